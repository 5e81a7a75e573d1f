"""Reads of the accounts app."""

from rest_framework.exceptions import NotFound

from accounts.models import HANDLE_MAX_LENGTH, User
from social.selectors import blocked_ids_for


def user_get_for_viewer(*, viewer: User, handle: str) -> User:
    """The one door to a profile: missing, inactive, or in a block with the viewer are one 404."""
    if len(handle) > HANDLE_MAX_LENGTH:
        raise NotFound()
    user = User.objects.filter(handle=handle.lower(), is_active=True).first()
    if user is None or user.pk in blocked_ids_for(viewer.pk):
        raise NotFound()
    return user
