"""DRF views of the posts app: posts, likes, comments, profile timelines."""

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from accounts.selectors import user_get_for_viewer
from ciel.api.caching import conditional_read
from ciel.api.input import validated_input
from ciel.api.pagination import CursorPagination
from ciel.api.schema import error_response
from posts import services
from posts.models import Post
from posts.selectors import (
    comment_get_for_viewer,
    comment_list_for_post,
    post_get_for_viewer,
    post_list_for_profile,
)
from posts.serializers import (
    CommentCreateInputSerializer,
    CommentSerializer,
    LikeStateSerializer,
    PostCreateInputSerializer,
    PostSerializer,
    PostUpdateInputSerializer,
)
from safety.limits import action_limited

NOT_YOURS = error_response("`permission_denied`: only the author may do this.")


class PostCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="post_create",
        tags=["posts"],
        request=PostCreateInputSerializer,
        responses={
            201: PostSerializer,
            409: error_response("`media_not_ready` or `media_in_use`."),
        },
    )
    def post(self, request: Request) -> Response:
        viewer = request_user(request)
        data = validated_input(PostCreateInputSerializer, request)
        with action_limited(user=viewer, action="post"):
            post = services.post_create(author=viewer, **data)
        post = post_get_for_viewer(viewer=viewer, post_id=post.pk)
        return Response(PostSerializer(post).data, status=status.HTTP_201_CREATED)


class PostDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="post_get", tags=["posts"], responses=PostSerializer)
    @conditional_read
    def get(self, request: Request, post_id: uuid.UUID) -> Response:
        post = post_get_for_viewer(viewer=request_user(request), post_id=post_id)
        return Response(PostSerializer(post).data)

    @extend_schema(
        operation_id="post_update",
        tags=["posts"],
        request=PostUpdateInputSerializer,
        responses={200: PostSerializer, 403: NOT_YOURS},
    )
    def patch(self, request: Request, post_id: uuid.UUID) -> Response:
        viewer = request_user(request)
        post = post_get_for_viewer(viewer=viewer, post_id=post_id)
        data = validated_input(PostUpdateInputSerializer, request)
        services.post_update(post=post, editor=viewer, **data)
        return Response(PostSerializer(post_get_for_viewer(viewer=viewer, post_id=post_id)).data)

    @extend_schema(
        operation_id="post_delete", tags=["posts"], responses={204: None, 403: NOT_YOURS}
    )
    def delete(self, request: Request, post_id: uuid.UUID) -> Response:
        viewer = request_user(request)
        post = post_get_for_viewer(viewer=viewer, post_id=post_id)
        services.post_delete(post=post, deleter=viewer)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _like_state(post: Post, liked: bool) -> Response:
    post.refresh_from_db(fields=["like_count"])
    return Response({"liked": liked, "like_count": post.like_count})


class LikeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="post_like", tags=["posts"], request=None, responses=LikeStateSerializer
    )
    def post(self, request: Request, post_id: uuid.UUID) -> Response:
        viewer = request_user(request)
        post = post_get_for_viewer(viewer=viewer, post_id=post_id)
        with action_limited(user=viewer, action="like") as counted:
            if not services.like_create(user=viewer, post=post):
                counted.refund()  # liked already: nothing happened
        return _like_state(post, liked=True)

    @extend_schema(
        operation_id="post_unlike",
        tags=["posts"],
        request=None,
        responses={200: LikeStateSerializer},
    )
    def delete(self, request: Request, post_id: uuid.UUID) -> Response:
        viewer = request_user(request)
        post = post_get_for_viewer(viewer=viewer, post_id=post_id)
        services.like_delete(user=viewer, post=post)
        return _like_state(post, liked=False)


class CommentListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination
    serializer_class = CommentSerializer
    cursor_ordering = ("created_at", "id")  # oldest first, as a conversation reads

    def get_queryset(self):
        viewer = request_user(self.request)
        post = post_get_for_viewer(viewer=viewer, post_id=self.kwargs["post_id"])
        return comment_list_for_post(viewer=viewer, post=post)

    @extend_schema(operation_id="post_comments", tags=["posts"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="post_comment_create",
        tags=["posts"],
        request=CommentCreateInputSerializer,
        responses={201: CommentSerializer},
    )
    def post(self, request: Request, post_id: uuid.UUID) -> Response:
        viewer = request_user(request)
        post = post_get_for_viewer(viewer=viewer, post_id=post_id)
        data = validated_input(CommentCreateInputSerializer, request)
        with action_limited(user=viewer, action="comment"):
            comment = services.comment_create(author=viewer, post=post, **data)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class CommentDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="comment_delete",
        tags=["posts"],
        responses={
            204: None,
            403: error_response("`permission_denied`: not the comment's or post's author."),
        },
    )
    def delete(self, request: Request, comment_id: uuid.UUID) -> Response:
        viewer = request_user(request)
        comment = comment_get_for_viewer(viewer=viewer, comment_id=comment_id)
        services.comment_delete(comment=comment, deleter=viewer)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfilePostListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination
    serializer_class = PostSerializer

    def get_queryset(self):
        viewer = request_user(self.request)
        author = user_get_for_viewer(viewer=viewer, handle=self.kwargs["handle"])
        return post_list_for_profile(viewer=viewer, author=author)

    @extend_schema(operation_id="user_posts", tags=["posts"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
