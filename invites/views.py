"""DRF views of the invites app."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from ciel.api.pagination import CursorPagination
from ciel.api.schema import error_response
from invites.selectors import invite_list_for_owner, invite_stats_for_owner
from invites.serializers import InviteSerializer, InviteStatsSerializer
from invites.services import invite_create, invite_revoke


class InviteListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = InviteSerializer
    pagination_class = CursorPagination

    def get_queryset(self):
        return invite_list_for_owner(owner=request_user(self.request))

    @extend_schema(operation_id="invites_list", tags=["invites"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="invites_create",
        tags=["invites"],
        request=None,
        responses={
            201: InviteSerializer,
            409: error_response("`invite_quota_exceeded`: the quota is used up."),
        },
        description="A new code, within the quota of the caller's trust level. "
        "409 `invite_quota_exceeded` when the quota is used up.",
    )
    def post(self, request: Request) -> Response:
        invite = invite_create(created_by=request_user(request))
        return Response(InviteSerializer(invite).data, status=status.HTTP_201_CREATED)


class InviteStatsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="invites_stats", tags=["invites"], responses=InviteStatsSerializer)
    def get(self, request: Request) -> Response:
        return Response(
            InviteStatsSerializer(invite_stats_for_owner(owner=request_user(request))).data
        )


class InviteRevokeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="invites_revoke",
        tags=["invites"],
        request=None,
        responses={
            200: InviteSerializer,
            409: error_response("`invite_used`: a used code cannot be revoked."),
        },
    )
    def post(self, request: Request, code: str) -> Response:
        invite = invite_revoke(owner=request_user(request), code=code)
        return Response(InviteSerializer(invite).data)
