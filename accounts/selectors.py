"""Reads of the accounts app."""

from rest_framework.exceptions import NotFound

from accounts.models import HANDLE_MAX_LENGTH, User


def user_get_for_viewer(*, viewer: User | None, handle: str) -> User:
    """The one door to a profile: a missing or hidden user is the same 404."""
    if len(handle) > HANDLE_MAX_LENGTH:
        raise NotFound()
    user = User.objects.filter(handle=handle.lower(), is_active=True).first()
    if user is None:
        raise NotFound()
    return user
