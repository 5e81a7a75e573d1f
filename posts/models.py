"""Posts, their media, likes and comments (SPEC §8)."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q

from accounts.models import User

CAPTION_MAX_LENGTH = 2200
COMMENT_MAX_LENGTH = 1000
MAX_MEDIA_PER_POST = 10


class Visibility(models.TextChoices):
    PUBLIC = "public"
    FOLLOWERS = "followers"


class PostQuerySet(models.QuerySet["Post"]):
    """The visibility vocabulary every read of posts goes through (STYLE.md)."""

    def visible_to(self, viewer: User) -> "PostQuerySet":
        """Posts the viewer may see: no block between author and viewer, followers-only posts
        to the author and their followers only, and not removed (staff excepted)."""
        from social.selectors import blocked_ids_for, following_ids_for

        posts = self.exclude(author_id__in=blocked_ids_for(viewer.pk)).filter(
            Q(visibility=Visibility.PUBLIC)
            | Q(author_id=viewer.pk)
            | Q(author_id__in=following_ids_for(viewer.pk))
        )
        if viewer.is_staff:
            return posts  # staff also see removed posts and those of deleted accounts
        return posts.live()

    def live(self) -> "PostQuerySet":
        """Not removed, by an author whose account is active: a deleted (deactivated)
        author's posts disappear with the profile."""
        return self.filter(removed_at__isnull=True, author__is_active=True)

    def public_for(self, viewer: User) -> "PostQuerySet":
        """What explore and search show anyone: live public posts, minus the viewer's blocks."""
        from social.selectors import blocked_ids_for

        return (
            self.live()
            .filter(visibility=Visibility.PUBLIC)
            .exclude(author_id__in=blocked_ids_for(viewer.pk))
        )


class Post(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts"
    )
    caption = models.TextField(max_length=CAPTION_MAX_LENGTH, blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    # Set by a moderator; a removed post is 404 to everyone but staff.
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Caption search's text vector ('simple': no stemming, no stop words; captions are in any
    # language), kept by PostgreSQL. Computed per row at query time it was half of a search's
    # cost (a common word reads thousands of rows to find its newest matches), and computed
    # again to rank them.
    search_vector = models.GeneratedField(
        expression=SearchVector("caption", config="simple"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        indexes: ClassVar = [
            # Home feed and profiles: each author's newest live posts. Partial, so the feed's
            # per-author LIMIT is an index-only scan; without the condition every candidate
            # row was a heap fetch to read removed_at (300 ms instead of ~25 ms at 2,000
            # followees). Staff listing removed posts use the plain author index instead.
            models.Index(
                fields=["author", "-created_at", "-id"],
                name="post_author_live_idx",
                condition=Q(removed_at__isnull=True),
            ),
            # Explore: the newest public posts, keyset on (created_at, id).
            models.Index(
                fields=["-created_at", "-id"],
                name="post_explore_idx",
                condition=Q(visibility="public", removed_at__isnull=True),
            ),
            # Caption search (feed.selectors.search_posts): the rare words' matches.
            GinIndex(fields=["search_vector"], name="post_search_vector_idx"),
        ]

    def __str__(self) -> str:
        return f"post {self.pk} by {self.author_id}"


class PostMedia(models.Model):
    """A media item's place in a post; an item belongs to at most one post."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media_links")
    media = models.OneToOneField(
        "media.MediaItem", on_delete=models.PROTECT, related_name="post_link"
    )
    position = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("position",)
        constraints: ClassVar = [
            # Also the index that loads a post's media in order.
            models.UniqueConstraint(fields=["post", "position"], name="post_media_position_once"),
        ]

    def __str__(self) -> str:
        return f"media {self.media_id} at {self.position} of {self.post_id}"


class Like(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes"
    )
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            # One like per user and post; also the index of "did I like this".
            models.UniqueConstraint(fields=["user", "post"], name="like_once"),
        ]
        indexes: ClassVar = [
            # Deleting a post's likes, and counting them in tests.
            models.Index(fields=["post"], name="like_post_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class CommentQuerySet(models.QuerySet["Comment"]):
    def visible_to(self, viewer: User) -> "CommentQuerySet":
        from social.selectors import blocked_ids_for

        comments = self.exclude(author_id__in=blocked_ids_for(viewer.pk))
        if viewer.is_staff:
            return comments
        return comments.filter(removed_at__isnull=True, author__is_active=True)


class Comment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    body = models.TextField(max_length=COMMENT_MAX_LENGTH)
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        indexes: ClassVar = [
            # A post's comments, oldest first (keyset on created_at, id).
            models.Index(fields=["post", "created_at", "id"], name="comment_post_time_idx"),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.post_id}"
