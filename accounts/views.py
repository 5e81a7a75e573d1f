"""DRF views of the accounts app: routing, auth, permissions, rate limits, nothing else."""

import uuid

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import lifecycle, services
from accounts.authentication import PasetoAuthentication, request_user
from accounts.models import Session, normalize_email
from accounts.selectors import user_get_for_viewer
from accounts.serializers import (
    AccountDeleteInputSerializer,
    AccountSerializer,
    AccountUpdateInputSerializer,
    DataExportSerializer,
    LoginInputSerializer,
    LogoutInputSerializer,
    PasswordChangeInputSerializer,
    PublicUserSerializer,
    RefreshInputSerializer,
    SignupInputSerializer,
    TokenPairSerializer,
)
from ciel.api.caching import conditional_read
from ciel.api.input import validated_input
from ciel.api.network import client_ip
from ciel.api.schema import error_response
from ciel.db_router import replica_reads
from safety.ratelimit import limit_enforce, login_attempt_reserve, password_attempt

TOO_MANY_LOGINS = "Too many login attempts. Try again later."
RATE_LIMITED = error_response("`rate_limited`: see Retry-After.")


def client_info(request: Request, device_fingerprint: str | None = None) -> services.ClientInfo:
    return services.ClientInfo(
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        ip_address=client_ip(request),
        device_fingerprint=device_fingerprint,
    )


def token_response(pair: services.TokenPair, status_code: int = 200) -> Response:
    return Response(TokenPairSerializer(pair).data, status=status_code)


class PublicAuthView(APIView):
    """Endpoints that take credentials in the body: a stale Authorization header is ignored."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_authenticate_header(self, request: Request) -> str:
        # Bad credentials are a 401 here too (DRF makes it 403 without an authenticator).
        return PasetoAuthentication().authenticate_header(request)


class SignupView(PublicAuthView):
    @extend_schema(
        operation_id="auth_signup",
        tags=["auth"],
        request=SignupInputSerializer,
        responses={
            201: TokenPairSerializer,
            403: error_response("`device_blocked`."),
            409: error_response("`handle_taken`: the handle or email is in use."),
            429: RATE_LIMITED,
        },
    )
    def post(self, request: Request) -> Response:
        limit_enforce(request, group="signup:ip", rate=settings.SIGNUP_RATE_PER_IP)
        data = validated_input(SignupInputSerializer, request)
        fingerprint = data.pop("device_fingerprint", None)
        pair = services.user_signup(**data, client=client_info(request, fingerprint))
        return token_response(pair, status.HTTP_201_CREATED)


class LoginView(PublicAuthView):
    @extend_schema(
        operation_id="auth_login",
        tags=["auth"],
        request=LoginInputSerializer,
        responses={
            200: TokenPairSerializer,
            401: error_response("`invalid_credentials`: the email or password is incorrect."),
            403: error_response(
                "`account_banned` (with `ends_at`), `account_deleted` or `device_blocked`."
            ),
            429: RATE_LIMITED,
        },
    )
    def post(self, request: Request) -> Response:
        # Both limits are checked before the password is hashed (SPEC §4).
        limit_enforce(
            request, group="login:ip", rate=settings.LOGIN_RATE_PER_IP, message=TOO_MANY_LOGINS
        )
        data = validated_input(LoginInputSerializer, request)
        email = normalize_email(data["email"])
        attempt = login_attempt_reserve(email=email, message=TOO_MANY_LOGINS)
        pair = services.session_login(
            email=email,
            password=data["password"],
            client=client_info(request, data.get("device_fingerprint")),
        )
        attempt.release()  # only failures count toward the per-account limit
        return token_response(pair)


class RefreshView(PublicAuthView):
    @extend_schema(
        operation_id="auth_refresh",
        tags=["auth"],
        request=RefreshInputSerializer,
        responses={
            200: TokenPairSerializer,
            401: error_response("`token_invalid` or `token_expired`: log in again."),
            403: error_response("`account_banned`, with `ends_at`."),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated_input(RefreshInputSerializer, request)
        return token_response(services.session_refresh(refresh_token=data["refresh_token"]))


class LogoutView(PublicAuthView):
    """Logging out one session needs only its refresh token: the access token a client holds
    when the user taps "log out" has often expired, and must not stop the logout."""

    @extend_schema(
        operation_id="auth_logout",
        tags=["auth"],
        request=LogoutInputSerializer,
        responses={
            204: None,
            401: error_response("`not_authenticated`: `all` needs an access token."),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated_input(LogoutInputSerializer, request)
        if data["all"]:
            authenticated = PasetoAuthentication().authenticate(request)
            if authenticated is None:
                raise NotAuthenticated("Logging out everywhere needs an access token.")
            services.sessions_revoke_all(
                user=authenticated[0], reason=Session.RevokeReason.LOGOUT_ALL
            )
        else:
            services.session_logout(refresh_token=data["refresh_token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="account_get", tags=["account"], responses={200: AccountSerializer})
    @conditional_read
    def get(self, request: Request) -> Response:
        return Response(AccountSerializer(request.user).data)

    @extend_schema(
        operation_id="account_update",
        tags=["account"],
        request=AccountUpdateInputSerializer,
        responses={200: AccountSerializer},
    )
    def patch(self, request: Request) -> Response:
        data = validated_input(AccountUpdateInputSerializer, request)
        user = services.account_update(user=request_user(request), **data)
        return Response(AccountSerializer(user).data)

    @extend_schema(
        operation_id="account_delete",
        tags=["account"],
        request=AccountDeleteInputSerializer,
        responses={
            204: None,
            400: error_response("`validation_error`: the password is missing or wrong."),
            413: error_response("`payload_too_large`."),
            415: error_response("`unsupported_media_type`."),
        },
        description="Deactivate the account now; it is erased after 30 days unless restored "
        "by a moderator. Needs the password.",
    )
    def delete(self, request: Request) -> Response:
        user = request_user(request)
        data = validated_input(AccountDeleteInputSerializer, request)
        with password_attempt(user_id=user.pk, wrong_password=lifecycle.WrongPassword):
            lifecycle.account_delete(user=user, password=data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExportCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="account_export_create",
        tags=["account"],
        request=None,
        responses={
            202: DataExportSerializer,
            503: error_response(
                "The job queue is unavailable (`unavailable`); nothing was started, try again."
            ),
        },
        description="Start a data export (one per 7 days; 429 otherwise).",
    )
    def post(self, request: Request) -> Response:
        export = lifecycle.export_request(user=request_user(request))
        return Response(_export_body(export), status=status.HTTP_202_ACCEPTED)


class ExportDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="account_export_get", tags=["account"], responses=DataExportSerializer
    )
    def get(self, request: Request, export_id: uuid.UUID) -> Response:
        export = lifecycle.export_get_for_owner(owner=request_user(request), export_id=export_id)
        return Response(_export_body(export))


def _export_body(export) -> dict:
    return DataExportSerializer(
        {
            "id": export.pk,
            "status": export.status,
            "created_at": export.created_at,
            "completed_at": export.completed_at,
            "byte_size": export.byte_size,
            "download_url": lifecycle.export_download_url(export),
        }
    ).data


class PasswordChangeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="account_password_change",
        tags=["account"],
        request=PasswordChangeInputSerializer,
        responses={200: TokenPairSerializer},
        description="Change the password. Every session ends; the response starts a new one.",
    )
    def post(self, request: Request) -> Response:
        user = request_user(request)
        data = validated_input(PasswordChangeInputSerializer, request)
        with password_attempt(user_id=user.pk, wrong_password=services.WrongCurrentPassword):
            pair = services.password_change(user=user, **data, client=client_info(request))
        return token_response(pair)


class UserProfileView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="user_get", tags=["users"], responses={200: PublicUserSerializer})
    @conditional_read
    @replica_reads()
    def get(self, request: Request, handle: str) -> Response:
        user = user_get_for_viewer(viewer=request_user(request), handle=handle)
        return Response(PublicUserSerializer(user).data)
