"""Operational endpoints: liveness and readiness."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ciel.api.errors import error_body
from ciel.api.schema import ErrorSerializer
from ciel.health import readiness_checks
from ciel.tasks import worker_heartbeat_get

CheckSerializer = inline_serializer(
    "ReadinessCheck",
    {
        "ok": serializers.BooleanField(),
        "ms": serializers.FloatField(),
        "error": serializers.CharField(required=False),
    },
)
ReadinessSerializer = inline_serializer(
    "Readiness",
    {
        "status": serializers.ChoiceField(choices=["ok", "unavailable"]),
        "checks": serializers.DictField(child=CheckSerializer),
        "worker_heartbeats": serializers.DictField(
            child=serializers.DateTimeField(allow_null=True),
            help_text="When a worker last served each queue; informative, not a condition.",
        ),
    },
)


class HealthzView(APIView):
    """Liveness: the process answers. Touches no dependency."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        operation_id="healthz",
        tags=["operations"],
        responses={200: inline_serializer("Liveness", {"status": serializers.CharField()})},
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class ReadyzView(APIView):
    """Readiness: PostgreSQL, Redis, the SQS queues and the S3 bucket all answer."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        operation_id="readyz",
        tags=["operations"],
        responses={200: ReadinessSerializer, 503: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        results = readiness_checks()
        checks = {
            result.name: {"ok": result.ok, "ms": round(result.milliseconds, 1)}
            | ({"error": result.error} if result.error else {})
            for result in results
        }
        heartbeats = {queue: worker_heartbeat_get(queue) for queue in settings.CELERY_QUEUES}
        failed = [result.name for result in results if not result.ok]
        if failed:
            body = error_body("unavailable", f"Not ready: {', '.join(failed)} unavailable.")
            return Response(
                body | {"status": "unavailable", "checks": checks, "worker_heartbeats": heartbeats},
                status=503,
            )
        return Response({"status": "ok", "checks": checks, "worker_heartbeats": heartbeats})
