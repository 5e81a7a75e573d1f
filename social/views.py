"""DRF views of the social app: follows, blocks, relationships, lists, notifications."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from accounts.authentication import request_user
from accounts.models import User
from accounts.selectors import user_get_for_viewer
from ciel.api.input import validated_input
from ciel.api.pagination import CursorPagination
from ciel.api.schema import error_response
from safety.limits import action_limited
from social import selectors, services
from social.serializers import (
    FollowerSerializer,
    FollowingSerializer,
    NotificationPageSerializer,
    NotificationReadInputSerializer,
    NotificationReadSerializer,
    NotificationSerializer,
    RelationshipSerializer,
)


def _target(handle: str) -> User:
    user = selectors.user_by_handle(handle)
    if user is None:
        raise NotFound()
    return user


def _relationship_response(viewer: User, handle: str, *, after_write: bool = False) -> Response:
    relationship = selectors.relationship_get(viewer=viewer, handle=handle)
    if relationship is None:
        raise NotFound()
    # A user who blocked the viewer is hidden from them (SPEC §5): reading the relationship is
    # a 404. After a write that went through (an unfollow, a block of one's own) the answer is
    # the state, not a 404 that would make an idempotent retry look like a failure; a follow
    # across the block says `blocked` (409) anyway, as the spec wants.
    if relationship.blocked_by and not after_write:
        raise NotFound()
    return Response(RelationshipSerializer(relationship).data)


class RelationshipView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="user_relationship", tags=["social"], responses=RelationshipSerializer
    )
    def get(self, request: Request, handle: str) -> Response:
        return _relationship_response(request_user(request), handle)


class FollowView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="user_follow",
        tags=["social"],
        request=None,
        responses={
            200: RelationshipSerializer,
            409: error_response("`follow_limit_reached`, `blocked` or `cannot_follow_self`."),
        },
        description="Follow; idempotent. Answers the relationship after the change.",
    )
    def post(self, request: Request, handle: str) -> Response:
        viewer = request_user(request)
        target = _target(handle)
        with action_limited(user=viewer, action="follow") as counted:
            _, created = services.follow_create(follower=viewer, followee=target)
            if not created:
                counted.refund()  # followed already: nothing happened
        return _relationship_response(viewer, handle, after_write=True)

    @extend_schema(
        operation_id="user_unfollow",
        tags=["social"],
        request=None,
        responses={200: RelationshipSerializer},
    )
    def delete(self, request: Request, handle: str) -> Response:
        viewer = request_user(request)
        services.follow_delete(follower=viewer, followee=_target(handle))
        return _relationship_response(viewer, handle, after_write=True)


class BlockView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="user_block",
        tags=["social"],
        request=None,
        responses={
            200: RelationshipSerializer,
            409: error_response("`cannot_block_self`."),
        },
        description="Block; idempotent. Ends the follows between the two in both directions.",
    )
    def post(self, request: Request, handle: str) -> Response:
        viewer = request_user(request)
        services.block_create(blocker=viewer, blocked=_target(handle))
        return _relationship_response(viewer, handle, after_write=True)

    @extend_schema(
        operation_id="user_unblock",
        tags=["social"],
        request=None,
        responses={200: RelationshipSerializer},
    )
    def delete(self, request: Request, handle: str) -> Response:
        viewer = request_user(request)
        services.block_delete(blocker=viewer, blocked=_target(handle))
        return _relationship_response(viewer, handle, after_write=True)


class FollowerListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination
    serializer_class: type[Serializer] = FollowerSerializer

    def get_queryset(self):
        viewer = request_user(self.request)
        target = user_get_for_viewer(viewer=viewer, handle=self.kwargs["handle"])
        return selectors.follower_list(viewer=viewer, target=target)

    @extend_schema(operation_id="user_followers", tags=["social"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class FollowingListView(FollowerListView):
    serializer_class = FollowingSerializer

    def get_queryset(self):
        viewer = request_user(self.request)
        target = user_get_for_viewer(viewer=viewer, handle=self.kwargs["handle"])
        return selectors.following_list(viewer=viewer, target=target)

    @extend_schema(operation_id="user_following", tags=["social"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class NotificationListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination
    serializer_class = NotificationSerializer

    def get_queryset(self):
        return selectors.notification_list(recipient=request_user(self.request))

    @extend_schema(
        operation_id="notifications_list",
        tags=["notifications"],
        responses=NotificationPageSerializer,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        response.data["unread_count"] = selectors.notification_unread_count(
            recipient=request_user(request)
        )
        return response


class NotificationReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_read",
        tags=["notifications"],
        request=NotificationReadInputSerializer,
        responses=NotificationReadSerializer,
    )
    def post(self, request: Request) -> Response:
        recipient = request_user(request)
        data = validated_input(NotificationReadInputSerializer, request)
        marked = services.notifications_mark_read(
            recipient=recipient, ids=None if data["all"] else data["ids"]
        )
        unread = selectors.notification_unread_count(recipient=recipient)
        return Response({"marked": marked, "unread_count": unread})
