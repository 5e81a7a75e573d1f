"""PASETO v4.local access tokens (SPEC §4).

pyseto checks ``exp`` only with a JSON deserializer and never checks ``iss``, so every claim is
checked here after decryption: ``exp`` (required), ``iat``, ``iss``, ``aud``, the token type and
``sub``. The footer carries the PASERK id (``k4.lid``) of the key that encrypted the token, so a
token finds its key among ``PASETO_KEYS`` without trying each: the first key encrypts, all of
them decrypt, which lets keys rotate without logging anyone out.
"""

import datetime
import json
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyseto
from django.conf import settings
from django.utils import timezone
from pyseto import Key, Token

TOKEN_TYPE_ACCESS = "access"  # noqa: S105 — a claim value, not a secret
PREFIX = "v4.local."
# Ours are about 500 characters; anything far longer is not ours, and is not parsed.
MAX_TOKEN_LENGTH = 2048


class TokenError(Exception):
    """The token cannot be accepted; ``code`` is the API error code."""

    def __init__(self, message: str, *, code: str = "token_invalid") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    issued_at: datetime.datetime
    expires_at: datetime.datetime
    token_id: str


@lru_cache(maxsize=8)
def _keyring(paserks: tuple[str, ...]) -> tuple[Any, dict[str, Any]]:
    keys = [Key.from_paserk(paserk) for paserk in paserks]
    return keys[0], {key.to_paserk_id(): key for key in keys}


def _signing_key() -> Any:
    return _keyring(tuple(settings.PASETO_KEYS))[0]


def access_token_issue(user_id: uuid.UUID, session_id: uuid.UUID) -> tuple[str, datetime.datetime]:
    """A new access token for the user's session, and when it expires.

    The session id (``sid``) ties the token to its session: revoking the session (logout,
    refresh-token reuse, password change, ban) ends the token on the next request.
    """
    now = timezone.now()
    expires_at = now + datetime.timedelta(seconds=settings.ACCESS_TOKEN_TTL_SECONDS)
    key = _signing_key()
    payload = {
        "sub": str(user_id),
        "sid": str(session_id),
        "iat": now.isoformat(),
        "exp": expires_at.isoformat(),
        "iss": settings.PASETO_ISSUER,
        "aud": settings.PASETO_AUDIENCE,
        "jti": uuid.uuid4().hex,
        "typ": TOKEN_TYPE_ACCESS,
    }
    token = pyseto.encode(key, payload, footer={"kid": key.to_paserk_id()}, serializer=json)
    return token.decode(), expires_at


def access_token_decode(token: str) -> AccessClaims:
    """The claims of a valid access token; TokenError for anything else."""
    if not token.startswith(PREFIX):
        raise TokenError("Unsupported token version or purpose.")
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenError("Invalid token.")
    claims = _claims_of(
        token, tuple(settings.PASETO_KEYS), settings.PASETO_ISSUER, settings.PASETO_AUDIENCE
    )
    # Checked on every use: the claims may come from the cache, the clock has moved on.
    if claims.expires_at <= timezone.now():
        raise TokenError("Token expired.", code="token_expired")
    return claims


# A client sends the same access token with each request for its lifetime, and decrypting it
# and checking its claims took ~140 µs here, ~3 % of a home feed request's CPU. The claims
# depend only on the token and on the keys, issuer and audience configured (all part of the
# key), and an accepted token's claims stay valid until it expires, which is checked on each
# use; whether its session and user are still live is not cached (authentication asks
# PostgreSQL on every request). A refused token raises, and is not cached.
# 4,096 tokens are about 5 MB a process.
@lru_cache(maxsize=4096)
def _claims_of(token: str, keys: tuple[str, ...], issuer: str, audience: str) -> AccessClaims:
    key = _key_for(token, _keyring(keys)[1])
    try:
        payload = json.loads(bytes(pyseto.decode(key, token).payload))  # type: ignore[arg-type]
    except (pyseto.DecryptError, pyseto.VerifyError, ValueError) as exc:
        raise TokenError("Invalid token.") from exc
    if not isinstance(payload, dict):
        raise TokenError("Invalid token.")
    return _checked_claims(payload, issuer=issuer, audience=audience)


def _key_for(token: str, verification_keys: dict[str, Any]) -> Any:
    try:
        footer = json.loads(bytes(Token.new(token).footer or b"{}"))  # type: ignore[arg-type]
    except (ValueError, TypeError, RecursionError) as exc:
        raise TokenError("Invalid token.") from exc
    key_id = footer.get("kid") if isinstance(footer, dict) else None
    key = verification_keys.get(key_id) if isinstance(key_id, str) else None
    if key is None:
        raise TokenError("Token signed with an unknown key.")
    return key


def _checked_claims(payload: dict[str, Any], *, issuer: str, audience: str) -> AccessClaims:
    now = timezone.now()
    expires_at = _time_claim(payload, "exp")
    issued_at = _time_claim(payload, "iat")
    if expires_at <= now:
        raise TokenError("Token expired.", code="token_expired")
    if issued_at > now + datetime.timedelta(seconds=60):
        raise TokenError("Token issued in the future.")
    if payload.get("iss") != issuer:
        raise TokenError("Token from another issuer.")
    if payload.get("aud") != audience:
        raise TokenError("Token for another audience.")
    if payload.get("typ") != TOKEN_TYPE_ACCESS:
        raise TokenError("Not an access token.")
    try:
        user_id = uuid.UUID(str(payload.get("sub")))
        session_id = uuid.UUID(str(payload.get("sid")))
    except ValueError as exc:
        raise TokenError("Invalid token subject or session.") from exc
    return AccessClaims(
        user_id=user_id,
        session_id=session_id,
        issued_at=issued_at,
        expires_at=expires_at,
        token_id=str(payload.get("jti", "")),
    )


def _time_claim(payload: dict[str, Any], name: str) -> datetime.datetime:
    value = payload.get(name)
    if not isinstance(value, str):
        raise TokenError(f"Token without a valid {name} claim.")
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise TokenError(f"Token without a valid {name} claim.") from exc
    if moment.tzinfo is None:
        raise TokenError(f"Token without a valid {name} claim.")
    return moment
