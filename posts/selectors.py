"""Reads of the posts app. Every "get this for this viewer" goes through one function here."""

import uuid

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from rest_framework.exceptions import NotFound

from accounts.models import User
from posts.models import Comment, Like, Post, PostMedia


def with_display_data(posts: QuerySet[Post], viewer: User) -> QuerySet[Post]:
    """Author, media in order and "liked by me", in two queries whatever the number of posts."""
    return (
        posts.select_related("author")
        .prefetch_related(
            Prefetch(
                "media_links",
                queryset=PostMedia.objects.select_related("media").order_by("position"),
            )
        )
        .annotate(
            liked_by_viewer=Exists(Like.objects.filter(user_id=viewer.pk, post_id=OuterRef("pk")))
        )
    )


def post_get_for_viewer(*, viewer: User, post_id: uuid.UUID) -> Post:
    """The one door to a post: missing, removed, followers-only or blocked are the same 404."""
    post = with_display_data(Post.objects.visible_to(viewer), viewer).filter(pk=post_id).first()
    if post is None:
        raise NotFound()
    return post


def post_list_for_profile(*, viewer: User, author: User) -> QuerySet[Post]:
    """The author's posts the viewer may see, for ``GET /users/{handle}/posts``."""
    return with_display_data(Post.objects.visible_to(viewer).filter(author=author), viewer)


def comment_list_for_post(*, viewer: User, post: Post) -> QuerySet[Comment]:
    """Comments on a post the viewer may see, minus authors in a block with the viewer."""
    return Comment.objects.visible_to(viewer).filter(post=post).select_related("author")


def comment_get_for_viewer(*, viewer: User, comment_id: uuid.UUID) -> Comment:
    """A comment is reachable when it and its post are both visible to the viewer; a post's
    author reaches every comment on it, blocked commenters' too, to delete them."""
    on_visible_post = Comment.objects.filter(
        pk=comment_id, post__in=Post.objects.visible_to(viewer)
    )
    comment = (
        (
            Comment.objects.visible_to(viewer).filter(
                pk=comment_id, post__in=Post.objects.visible_to(viewer)
            )
            | on_visible_post.filter(post__author_id=viewer.pk)
        )
        .select_related("post")
        .first()
    )
    if comment is None:
        raise NotFound()
    return comment
