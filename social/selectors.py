"""Reads of the social graph: block and follow sets, relationships, lists, notifications."""

import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import HANDLE_MAX_LENGTH, User
from ciel.cache import cached_id_set
from social.models import Block, Follow, Notification

BLOCK_SET = "block-set"
BLOCK_SET_TTL_SECONDS = 10 * 60
FOLLOWING_SET = "following-set"
FOLLOWING_SET_TTL_SECONDS = 5 * 60


def blocked_ids_for(user_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """Everyone in a block with the user, in either direction (cached 10 minutes)."""

    def compute() -> set[uuid.UUID]:
        pairs = Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id))
        return {
            blocked if blocker == user_id else blocker
            for blocker, blocked in pairs.values_list("blocker_id", "blocked_id")
        }

    return cached_id_set(BLOCK_SET, user_id, compute, ttl_seconds=BLOCK_SET_TTL_SECONDS)


def following_ids_for(user_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """Everyone the user follows (cached 5 minutes)."""

    def compute() -> QuerySet:
        return Follow.objects.filter(follower_id=user_id).values_list("followee_id", flat=True)

    return cached_id_set(FOLLOWING_SET, user_id, compute, ttl_seconds=FOLLOWING_SET_TTL_SECONDS)


def block_exists_between(first_id: uuid.UUID, second_id: uuid.UUID) -> bool:
    """Straight from PostgreSQL: for the writes that must not cross a block."""
    return Block.objects.filter(
        Q(blocker_id=first_id, blocked_id=second_id) | Q(blocker_id=second_id, blocked_id=first_id)
    ).exists()


def user_by_handle(handle: str) -> User | None:
    """An active user by handle, blocks aside (the follow and block endpoints need those)."""
    if len(handle) > HANDLE_MAX_LENGTH:
        return None
    return User.objects.filter(handle=handle.lower(), is_active=True).first()


@dataclass(frozen=True)
class Relationship:
    user_id: uuid.UUID
    following: bool
    followed_by: bool
    blocking: bool
    blocked_by: bool


def relationship_get(*, viewer: User, handle: str) -> Relationship | None:
    """The viewer's relationship with the user of this handle, in one query."""
    if len(handle) > HANDLE_MAX_LENGTH:
        return None
    target = OuterRef("pk")
    row = (
        User.objects.filter(handle=handle.lower(), is_active=True)
        .annotate(
            following=Exists(Follow.objects.filter(follower_id=viewer.pk, followee_id=target)),
            followed_by=Exists(Follow.objects.filter(follower_id=target, followee_id=viewer.pk)),
            blocking=Exists(Block.objects.filter(blocker_id=viewer.pk, blocked_id=target)),
            blocked_by=Exists(Block.objects.filter(blocker_id=target, blocked_id=viewer.pk)),
        )
        .values("pk", "following", "followed_by", "blocking", "blocked_by")
        .first()
    )
    if row is None:
        return None
    return Relationship(
        user_id=row["pk"],
        following=row["following"],
        followed_by=row["followed_by"],
        blocking=row["blocking"],
        blocked_by=row["blocked_by"],
    )


def follower_list(*, viewer: User, target: User) -> QuerySet[Follow]:
    """Who follows the target, newest first, minus deactivated accounts and anyone in a block
    with the viewer."""
    return (
        Follow.objects.filter(followee=target, follower__is_active=True)
        .exclude(follower_id__in=blocked_ids_for(viewer.pk))
        .select_related("follower")
    )


def following_list(*, viewer: User, target: User) -> QuerySet[Follow]:
    """Whom the target follows, newest first, minus deactivated accounts and anyone in a block
    with the viewer."""
    return (
        Follow.objects.filter(follower=target, followee__is_active=True)
        .exclude(followee_id__in=blocked_ids_for(viewer.pk))
        .select_related("followee")
    )


def _from_unblocked_actors(recipient: User) -> QuerySet[Notification]:
    """The recipient's notifications, minus those whose actor is in a block with them.

    Filtered in SQL at read time, so a block hides earlier notifications at once too.
    """
    actor = OuterRef("actor_id")
    in_block = Block.objects.filter(
        Q(blocker_id=recipient.pk, blocked_id=actor) | Q(blocker_id=actor, blocked_id=recipient.pk)
    )
    return Notification.objects.filter(recipient=recipient).exclude(Exists(in_block))


def notification_list(*, recipient: User) -> QuerySet[Notification]:
    return _from_unblocked_actors(recipient).select_related("actor")


def notification_unread_count(*, recipient: User) -> int:
    return _from_unblocked_actors(recipient).filter(read_at__isnull=True).count()
