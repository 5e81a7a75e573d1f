"""Writes of the social graph: follows under the cap, blocks, notifications.

Every follow, unfollow, block and unblock first locks both users' rows, lowest id first. That
one rule gives three guarantees: two writes about the same pair run one after the other (so a
follow and a block racing each other cannot leave a follow across the block); the follower's
row is held while its ``following_count`` is compared with the cap (so concurrent follows stop
exactly at the cap); and, since every transaction takes its locks in the same global order, no
two of them can deadlock on each other's counters.
"""

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from ciel.api.exceptions import Conflict
from ciel.cache import cached_id_set_invalidate_on_commit
from feed.services import follow_started, timelines_forget_on_commit
from social.models import Block, Follow, Notification, NotificationType
from social.selectors import BLOCK_SET, FOLLOWING_SET, block_exists_between


def _lock_pair(first: User, second: User) -> None:
    ids = sorted([first.pk, second.pk])
    list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


@transaction.atomic
def follow_create(*, follower: User, followee: User) -> tuple[Follow, bool]:
    """Follow; following again changes nothing. 409 across a block or at the cap.

    Returns the follow and whether this call made it, decided under the pair's lock (so two
    identical concurrent follows cannot both count as new)."""
    if follower.pk == followee.pk:
        raise Conflict("You cannot follow yourself.", code="cannot_follow_self")
    _lock_pair(follower, followee)
    if block_exists_between(follower.pk, followee.pk):
        raise Conflict("You cannot follow this user.", code="blocked")
    existing = Follow.objects.filter(follower=follower, followee=followee).first()
    if existing is not None:
        return existing, False
    cap = settings.MAX_FOLLOWING
    below_cap = User.objects.filter(pk=follower.pk, following_count__lt=cap)
    if not below_cap.update(following_count=F("following_count") + 1):
        raise Conflict(f"You can follow at most {cap} accounts.", code="follow_limit_reached")
    follow = Follow.objects.create(follower=follower, followee=followee)
    User.objects.filter(pk=followee.pk).update(follower_count=F("follower_count") + 1)
    notification_create(recipient=followee, actor=follower, type=NotificationType.FOLLOW)
    cached_id_set_invalidate_on_commit(FOLLOWING_SET, [follower.pk])
    follow_started(follower_id=follower.pk, followee_id=followee.pk)
    return follow, True


@transaction.atomic
def follow_delete(*, follower: User, followee: User) -> None:
    """Unfollow; unfollowing someone not followed changes nothing."""
    _lock_pair(follower, followee)
    _follows_delete([(follower.pk, followee.pk)])


def _follows_delete(pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """Delete these (follower, followee) rows where they exist, and their counts with them."""
    for follower_id, followee_id in pairs:
        deleted, _ = Follow.objects.filter(
            follower_id=follower_id, followee_id=followee_id
        ).delete()
        if deleted:
            User.objects.filter(pk=follower_id).update(following_count=F("following_count") - 1)
            User.objects.filter(pk=followee_id).update(follower_count=F("follower_count") - 1)
            cached_id_set_invalidate_on_commit(FOLLOWING_SET, [follower_id])
            timelines_forget_on_commit([follower_id])


@transaction.atomic
def block_create(*, blocker: User, blocked: User) -> Block:
    """Block, and end the follows between the two in both directions, in one transaction."""
    if blocker.pk == blocked.pk:
        raise Conflict("You cannot block yourself.", code="cannot_block_self")
    _lock_pair(blocker, blocked)
    block, _ = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    _follows_delete([(blocker.pk, blocked.pk), (blocked.pk, blocker.pk)])
    cached_id_set_invalidate_on_commit(BLOCK_SET, [blocker.pk, blocked.pk])
    timelines_forget_on_commit([blocker.pk, blocked.pk])
    return block


@transaction.atomic
def block_delete(*, blocker: User, blocked: User) -> None:
    """Unblock; follows ended by the block are not restored."""
    _lock_pair(blocker, blocked)
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    cached_id_set_invalidate_on_commit(BLOCK_SET, [blocker.pk, blocked.pk])


def notification_create(
    *,
    recipient: User,
    actor: User | None,
    type: NotificationType,
    object_id: uuid.UUID | None = None,
    message: str = "",
) -> None:
    """Notify, unless the actor is the recipient, the two are in a block, or it was sent before."""
    if actor is not None and (
        actor.pk == recipient.pk or block_exists_between(actor.pk, recipient.pk)
    ):
        return
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=recipient, actor=actor, type=type, object_id=object_id, message=message
            )
        ],
        ignore_conflicts=True,  # the once-per-action constraint turns repeats into no-ops
    )


def notifications_mark_read(*, recipient: User, ids: list[uuid.UUID] | None = None) -> int:
    """Mark the recipient's notifications read: these ids, or all when ids is None."""
    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
