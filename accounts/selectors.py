"""Reads of the accounts app."""

import uuid

from django.db.models import QuerySet
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


def users_in_order(ids: list[uuid.UUID]) -> list[User]:
    """The users with these ids, in the order of ``ids`` (one query by primary key)."""
    users = User.objects.in_bulk(ids)
    return [users[user_id] for user_id in ids if user_id in users]


def inactive_user_ids() -> QuerySet[User, uuid.UUID]:
    """The ids of inactive accounts, as a subquery, from a partial index that holds just them
    (User.Meta). Mostly deleted accounts awaiting their purge, 30 days after deletion; an
    account deactivated by hand in the admin stays until someone deletes it."""
    return User.objects.filter(is_active=False).values_list("pk", flat=True)
