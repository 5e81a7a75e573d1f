"""DRF views of the safety app: trust score, rate limits, reports, devices."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_user
from accounts.models import User
from ciel.api.input import validated_input
from ciel.api.pagination import CursorPagination
from ciel.api.schema import error_response
from posts.selectors import comment_get_for_viewer, post_get_for_viewer
from safety import services
from safety.limits import action_limits_overview
from safety.models import ReportTarget
from safety.selectors import devices_for, trust_score_for
from safety.serializers import (
    DeviceRegisterInputSerializer,
    DeviceSerializer,
    RateLimitsSerializer,
    ReportInputSerializer,
    ReportSerializer,
    TrustScoreSerializer,
)
from social.selectors import blocked_ids_for


class TrustScoreView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="account_trust_score", tags=["safety"], responses=TrustScoreSerializer
    )
    def get(self, request: Request) -> Response:
        return Response(TrustScoreSerializer(trust_score_for(user=request_user(request))).data)


class RateLimitsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="account_rate_limits", tags=["safety"], responses=RateLimitsSerializer
    )
    def get(self, request: Request) -> Response:
        user = request_user(request)
        available, actions = action_limits_overview(user=user)
        body = {"trust_level": user.trust_level, "available": available, "actions": actions}
        return Response(RateLimitsSerializer(body).data)


def _report_target_owner(viewer: User, target_type: str, target_id) -> User:
    """The owner of a target the viewer can see; what they cannot see, they cannot report."""
    if target_type == ReportTarget.POST:
        return post_get_for_viewer(viewer=viewer, post_id=target_id).author
    if target_type == ReportTarget.COMMENT:
        return comment_get_for_viewer(viewer=viewer, comment_id=target_id).author
    user = User.objects.filter(pk=target_id, is_active=True).first()
    if user is None or user.pk in blocked_ids_for(viewer.pk):
        raise NotFound()
    return user


class ReportCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="report_create",
        tags=["safety"],
        request=ReportInputSerializer,
        responses={
            201: ReportSerializer,
            200: ReportSerializer,
            404: error_response("`not_found`: no such target, or one the caller cannot see."),
            409: error_response("`cannot_report_self`."),
        },
        description="Flag a post, comment or user. One flag per reporter and target: "
        "a repeat answers 200 with the existing report.",
    )
    def post(self, request: Request) -> Response:
        reporter = request_user(request)
        data = validated_input(ReportInputSerializer, request)
        owner = _report_target_owner(reporter, data["target_type"], data["target_id"])
        report, created = services.report_create(reporter=reporter, target_owner=owner, **data)
        return Response(
            ReportSerializer(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class DeviceRegisterView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="device_register",
        tags=["safety"],
        request=DeviceRegisterInputSerializer,
        responses=DeviceSerializer,
    )
    def post(self, request: Request) -> Response:
        data = validated_input(DeviceRegisterInputSerializer, request)
        link = services.device_register(user=request_user(request), **data)
        return Response(DeviceSerializer(link).data)


class DeviceListView(ListAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination
    serializer_class = DeviceSerializer
    cursor_ordering = ("-last_seen_at", "-id")

    def get_queryset(self):
        return devices_for(user=request_user(self.request))

    @extend_schema(operation_id="devices_list", tags=["safety"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
