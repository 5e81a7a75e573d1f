"""Writes of the posts app: posts, likes and comments, with their counts in the same transaction."""

import logging
import uuid

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import NotFound, PermissionDenied

from accounts.models import User
from ciel.api.exceptions import Conflict
from ciel.queueing import BrokerUnavailable, task_enqueue
from feed.services import post_published
from media.models import MediaItem, MediaStatus
from media.services import DELETED_WITH_POST, media_attachable
from posts.models import Comment, Like, Post, PostMedia, Visibility
from safety.models import TrustReason
from safety.services import trust_points_record
from social.models import NotificationType
from social.services import notification_create

logger = logging.getLogger(__name__)

LIKES_PER_TRUST_POINT = 10


@transaction.atomic
def post_create(
    *, author: User, caption: str, visibility: Visibility, media_ids: list[uuid.UUID]
) -> Post:
    """Publish a post of 1–10 of the author's ready media items, in the order given.

    The items are locked, so one upload cannot end up in two posts, and only ready items are
    accepted, so a post is never visible with unprocessed media.
    """
    if len(set(media_ids)) != len(media_ids):
        raise Conflict("A media item can appear once in a post.", code="media_in_use")
    media = media_attachable(owner=author, media_ids=media_ids)
    if PostMedia.objects.filter(media__in=media).exists():
        raise Conflict("A media item can be in one post only.", code="media_in_use")
    post = Post.objects.create(author=author, caption=caption, visibility=visibility)
    PostMedia.objects.bulk_create(
        [PostMedia(post=post, media=item, position=index) for index, item in enumerate(media)]
    )
    User.objects.filter(pk=author.pk).update(post_count=F("post_count") + 1)
    trust_points_record(user=author, reason=TrustReason.POST_PUBLISHED, source_id=post.pk)
    post_published(post=post)
    return post


def _require_author(post: Post, user: User) -> None:
    if post.author_id != user.pk:
        raise PermissionDenied("Only the author can change this post.")


@transaction.atomic
def post_update(
    *,
    post: Post,
    editor: User,
    caption: str | None = None,
    visibility: Visibility | None = None,
) -> Post:
    _require_author(post, editor)
    fields = []
    if caption is not None:
        post.caption = caption
        fields.append("caption")
    if visibility is not None:
        post.visibility = visibility
        fields.append("visibility")
    if fields:
        post.save(update_fields=[*fields, "updated_at"])
    return post


@transaction.atomic
def post_delete(*, post: Post, deleter: User) -> None:
    """Delete the post with its likes and comments; its images leave S3 in a task."""
    _require_author(post, deleter)
    media_ids = [str(media_id) for media_id in post.media_links.values_list("media_id", flat=True)]
    deleted, _ = Post.objects.filter(pk=post.pk).delete()
    # Its images are on their way out of S3: no new post may take them meanwhile.
    MediaItem.objects.filter(pk__in=media_ids).update(
        status=MediaStatus.FAILED, failure_reason=DELETED_WITH_POST, updated_at=timezone.now()
    )
    if deleted:
        User.objects.filter(pk=post.author_id).update(post_count=F("post_count") - 1)
        transaction.on_commit(lambda: _media_cleanup_enqueue(media_ids))


def _media_cleanup_enqueue(media_ids: list[str]) -> None:
    """The post is gone, so the request succeeds even with the broker down: the marked items
    wait for the hourly sweep (media_orphans_delete_task) instead."""
    from media.tasks import delete_media_task

    try:
        task_enqueue(delete_media_task, media_ids)
    except BrokerUnavailable:
        logger.warning("cleanup of %s media items left to the orphan sweep", len(media_ids))


def _post_lock_live(post: Post) -> Post:
    """Lock the post against a concurrent delete, and refuse one that is gone or removed."""
    locked = Post.objects.select_for_update().filter(pk=post.pk, removed_at__isnull=True).first()
    if locked is None:
        raise NotFound()
    return locked


@transaction.atomic
def like_create(*, user: User, post: Post) -> bool:
    """Like; liking again changes nothing. True when this call added the like."""
    _post_lock_live(post)
    try:
        with transaction.atomic():
            Like.objects.create(user=user, post=post)
    except IntegrityError:
        return False  # already liked, perhaps by a concurrent request of the same user
    Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
    like_count = Post.objects.values_list("like_count", flat=True).get(pk=post.pk)
    notification_create(
        recipient=post.author, actor=user, type=NotificationType.LIKE, object_id=post.pk
    )
    if like_count % LIKES_PER_TRUST_POINT == 0:
        # One point per ten likes; the source names the post and the tenth, so unliking and
        # liking again around a multiple of ten does not pay twice.
        milestone = uuid.uuid5(post.pk, str(like_count))
        trust_points_record(
            user=post.author, reason=TrustReason.LIKES_RECEIVED, source_id=milestone
        )
    return True


@transaction.atomic
def like_delete(*, user: User, post: Post) -> bool:
    """Unlike; unliking a post not liked changes nothing. True when a like was removed."""
    deleted, _ = Like.objects.filter(user=user, post=post).delete()
    if deleted:
        Post.objects.filter(pk=post.pk).update(like_count=F("like_count") - 1)
    return bool(deleted)


@transaction.atomic
def comment_create(*, author: User, post: Post, body: str) -> Comment:
    _post_lock_live(post)
    comment = Comment.objects.create(author=author, post=post, body=body)
    Post.objects.filter(pk=post.pk).update(comment_count=F("comment_count") + 1)
    notification_create(
        recipient=post.author, actor=author, type=NotificationType.COMMENT, object_id=comment.pk
    )
    trust_points_record(user=author, reason=TrustReason.COMMENT_WRITTEN, source_id=comment.pk)
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, deleter: User) -> None:
    """The comment's author or the post's owner may delete it."""
    if deleter.pk not in (comment.author_id, comment.post.author_id):
        raise PermissionDenied("Only the comment's author or the post's owner can delete it.")
    deleted, _ = Comment.objects.filter(pk=comment.pk).delete()
    if deleted:
        Post.objects.filter(pk=comment.post_id).update(comment_count=F("comment_count") - 1)
