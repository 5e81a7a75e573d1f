"""DRF authentication with PASETO access tokens: ``Authorization: Bearer v4.local…``."""

from typing import Any

from django.db.models import Exists, OuterRef
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.models import Session, User
from accounts.tokens import TokenError, access_token_decode
from ciel.api.exceptions import AccountBanned
from ciel.request_context import user_id_bind


class PasetoAuthentication(authentication.BaseAuthentication):
    """Every request loads the user through the token's session, in one query, so a
    deactivated user and a revoked session (logout, logout all, refresh-token reuse, password
    change) are refused on the next request, not when the token expires."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, str] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Authorization header must be 'Bearer <token>'.", code="token_invalid"
            )
        try:
            token = header[1].decode("ascii")
            claims = access_token_decode(token)
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.", code="token_invalid") from exc
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(str(exc), code=exc.code) from exc
        user = (
            User.objects.filter(pk=claims.user_id, is_active=True)
            .annotate(
                session_live=Exists(
                    Session.objects.filter(
                        pk=claims.session_id, user_id=OuterRef("pk"), revoked_at__isnull=True
                    )
                )
            )
            .first()
        )
        if user is not None and user.ban_active():
            raise AccountBanned(user.banned_until)
        if user is None or not user.session_live:
            raise exceptions.AuthenticationFailed(
                "This session has ended or the account is not active.", code="token_invalid"
            )
        user_id_bind(user.pk)
        return user, token

    def authenticate_header(self, request: Request) -> str:
        # Its presence makes DRF answer 401 (not 403) to unauthenticated requests.
        return f'{self.keyword} realm="api"'


class PasetoAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = PasetoAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "PASETO v4.local"}


def request_user(request: Request) -> User:
    """The authenticated user of a request behind IsAuthenticated, typed as our User."""
    if not isinstance(request.user, User):
        raise exceptions.NotAuthenticated()
    return request.user
