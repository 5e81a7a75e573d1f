"""The project's URLs plus two views that exercise the shared API plumbing directly.

Foundation has no JSON-accepting endpoint yet, so the parser, the envelope and the pagination are
driven through these, with the real middleware and settings around them.
"""

from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import path
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from ciel.api.pagination import CursorPagination
from ciel.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


class EchoSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=10)


class EchoView(APIView):
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        serializer = EchoSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class AlwaysThrottled(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        return False

    def wait(self) -> float:
        return 42.0


class ThrottledView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AlwaysThrottled]

    def get(self, request: Request) -> Response:
        return Response({})


class PrivateView(APIView):
    def get(self, request: Request) -> Response:
        return Response({})


class SlowView(APIView):
    """A read that takes ``?seconds=`` in PostgreSQL, for the statement timeout."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(%s)", [float(request.query_params["seconds"])])
        return Response({"slept": True})


class HandleSerializer(serializers.Serializer):
    handle = serializers.CharField()


class UserPageView(ListAPIView):
    permission_classes = [AllowAny]
    pagination_class = CursorPagination
    serializer_class = HandleSerializer
    cursor_ordering = ("-created_at", "-id")

    def get_queryset(self):
        return get_user_model().objects.all()


class UserByHandlePageView(UserPageView):
    cursor_ordering = ("handle", "id")


urlpatterns = [
    path("api/v1/test/echo", EchoView.as_view()),
    path("api/v1/test/throttled", ThrottledView.as_view()),
    path("api/v1/test/private", PrivateView.as_view()),
    path("api/v1/test/slow", SlowView.as_view()),
    path("api/v1/test/users", UserPageView.as_view()),
    path("api/v1/test/users-by-handle", UserByHandlePageView.as_view()),
    *urlpatterns,
]
