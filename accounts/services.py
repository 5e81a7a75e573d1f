"""Writes of the accounts app: signup, sessions (login, refresh, logout), password, profile."""

import datetime
import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import (
    APIException,
    AuthenticationFailed,
    PermissionDenied,
    ValidationError,
)

from accounts.models import RefreshToken, Session, User, normalize_email
from accounts.tokens import access_token_issue
from ciel.api.exceptions import AccountBanned, Conflict, DeviceBlocked
from invites.services import invite_check, invite_lock_for_redemption, invite_mark_used
from safety.services import device_blocked, device_register

security_log = logging.getLogger("ciel.security")

REFRESH_TOKEN_BYTES = 32


@dataclass(frozen=True)
class ClientInfo:
    """Where a session was started from, kept on the session for its owner and moderators."""

    user_agent: str = ""
    ip_address: str | None = None
    device_fingerprint: str | None = None


def _device_check(client: ClientInfo) -> None:
    """Refuse a blocked device before any password is hashed."""
    if device_blocked(fingerprint=client.device_fingerprint):
        security_log.warning("device_blocked ip=%s", client.ip_address)
        raise DeviceBlocked()


def _device_record(user: User, client: ClientInfo) -> None:
    if client.device_fingerprint:
        device_register(
            user=user, fingerprint=client.device_fingerprint, user_agent=client.user_agent
        )


@dataclass(frozen=True)
class TokenPair:
    user: User
    session: Session
    access_token: str
    access_expires_at: datetime.datetime
    refresh_token: str


class InvalidCredentials(AuthenticationFailed):
    default_detail = "The email or password is incorrect."
    default_code = "invalid_credentials"


class WrongCurrentPassword(ValidationError):
    def __init__(self) -> None:
        super().__init__({"current_password": ["The current password is incorrect."]})


class AccountInactive(PermissionDenied):
    """403 for the right password of a deactivated account, saying why (SPEC §9)."""

    def __init__(self, user: User) -> None:
        if user.deleted_at is not None:
            from accounts.lifecycle import purge_due_at

            purge_at = purge_due_at(user)
            super().__init__(
                f"This account was deleted and will be erased on {purge_at:%Y-%m-%d}. "
                "Contact support to restore it before then.",
                code="account_deleted",
            )
        else:
            super().__init__("This account is deactivated.", code="account_inactive")


class InvalidRefreshToken(AuthenticationFailed):
    default_detail = "This refresh token is not valid. Log in again."
    default_code = "token_invalid"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refresh_token_add(session: Session) -> str:
    """A new opaque refresh token for the session; only its SHA-256 is stored."""
    token = secrets.token_urlsafe(REFRESH_TOKEN_BYTES)
    RefreshToken.objects.create(session=session, token_hash=_token_hash(token))
    return token


def _pair_for(session: Session, refresh_token: str) -> TokenPair:
    access_token, access_expires_at = access_token_issue(session.user_id, session.pk)
    return TokenPair(
        user=session.user,
        session=session,
        access_token=access_token,
        access_expires_at=access_expires_at,
        refresh_token=refresh_token,
    )


@transaction.atomic
def session_start(*, user: User, client: ClientInfo) -> TokenPair:
    session = Session.objects.create(
        user=user,
        last_used_at=timezone.now(),
        user_agent=client.user_agent[:300],
        ip_address=client.ip_address,
    )
    return _pair_for(session, _refresh_token_add(session))


def _password_check_rules(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError({"password": list(exc.messages)}) from exc


def user_signup(
    *,
    invite_code: str,
    email: str,
    handle: str,
    password: str,
    display_name: str = "",
    client: ClientInfo,
) -> TokenPair:
    """Create an account with an invite code, redeeming the code exactly once."""
    user = User(email=normalize_email(email), handle=handle.lower(), display_name=display_name)
    _device_check(client)
    invite_check(code=invite_code)  # a cheap early answer before the slow hash
    _password_check_rules(password, user)
    # Hash outside the transaction: ~150 ms of Argon2 must not hold the invite's row lock.
    user.password = make_password(password)
    with transaction.atomic():
        invite = invite_lock_for_redemption(code=invite_code)
        _user_insert(user)
        invite_mark_used(invite=invite, invitee=user)
        _device_record(user, client)
        pair = session_start(user=user, client=client)
    security_log.info("signup user=%s invite=%s", user.pk, invite.pk)
    return pair


def _user_insert(user: User) -> None:
    """Insert the user; the unique indexes decide, also between concurrent signups."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Which one is taken is no secret here: getting this far takes a valid invite code.
        if User.objects.filter(handle=user.handle).exists():
            raise Conflict("This handle is taken.", code="handle_taken") from None
        raise Conflict("An account with this email already exists.", code="handle_taken") from None


def session_login(*, email: str, password: str, client: ClientInfo) -> TokenPair:
    """Check the password and start a session. Unknown email and wrong password look alike."""
    _device_check(client)
    # Django's backend hashes once even for an unknown email, so timing says nothing either.
    user = authenticate(email=normalize_email(email), password=password)
    if user is None:
        security_log.info("login_failed ip=%s", client.ip_address)
        raise InvalidCredentials()
    if not user.is_active:
        # Told only to someone who knows the password.
        raise AccountInactive(user)
    if user.ban_active():
        # Told only to someone who knows the password.
        security_log.info("login_refused_banned user=%s", user.pk)
        raise AccountBanned(user.banned_until)
    with transaction.atomic():
        _device_record(user, client)
        pair = session_start(user=user, client=client)
    security_log.info("login user=%s session=%s ip=%s", user.pk, pair.session.pk, client.ip_address)
    return pair


def session_refresh(*, refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair; a token used twice revokes its whole family."""
    token_hash = _token_hash(refresh_token)
    now = timezone.now()
    with transaction.atomic():
        # The conditional UPDATE is the exchange: of two concurrent uses, exactly one matches.
        rotated = RefreshToken.objects.filter(token_hash=token_hash, rotated_at__isnull=True)
        exchanged = rotated.update(rotated_at=now, updated_at=now) == 1
        token = (
            RefreshToken.objects.select_related("session__user")
            .filter(token_hash=token_hash)
            .first()
        )
        if token is None:
            raise InvalidRefreshToken()
        session = Session.objects.select_for_update().get(pk=token.session_id)
        if not exchanged and session.revoked_at is None:
            _session_revoke(session, Session.RevokeReason.REUSE)
            security_log.warning(
                "refresh_token_reuse user=%s session=%s", session.user_id, session.pk
            )
        failure: APIException
        if not exchanged or session.revoked_at is not None:
            failure = InvalidRefreshToken()
        elif _session_expired(session, now):
            _session_revoke(session, Session.RevokeReason.EXPIRED)
            failure = InvalidRefreshToken(
                "This session has expired. Log in again.", code="token_expired"
            )
        elif not token.session.user.is_active:
            _session_revoke(session, Session.RevokeReason.DEACTIVATED)
            failure = InvalidRefreshToken("This account is not active.")
        elif token.session.user.ban_active():
            _session_revoke(session, Session.RevokeReason.BANNED)
            failure = AccountBanned(token.session.user.banned_until)
        else:
            session.last_used_at = now
            session.save(update_fields=["last_used_at", "updated_at"])
            session.user = token.session.user
            return _pair_for(session, _refresh_token_add(session))
    # Raised after the commit, so a revocation above is kept.
    raise failure


def _session_expired(session: Session, now: datetime.datetime) -> bool:
    idle_limit = datetime.timedelta(days=settings.REFRESH_TOKEN_IDLE_DAYS)
    absolute_limit = datetime.timedelta(days=settings.REFRESH_TOKEN_ABSOLUTE_DAYS)
    return now - session.last_used_at > idle_limit or now - session.created_at > absolute_limit


def _session_revoke(session: Session, reason: Session.RevokeReason) -> None:
    session.revoked_at = timezone.now()
    session.revoke_reason = reason
    session.save(update_fields=["revoked_at", "revoke_reason", "updated_at"])


@transaction.atomic
def session_logout(*, refresh_token: str) -> None:
    """Revoke the session the refresh token belongs to; an unknown token changes nothing."""
    token = RefreshToken.objects.filter(token_hash=_token_hash(refresh_token)).first()
    if token is None:
        return
    session = Session.objects.select_for_update().get(pk=token.session_id)
    if session.revoked_at is None:
        _session_revoke(session, Session.RevokeReason.LOGOUT)


@transaction.atomic
def sessions_revoke_all(*, user: User, reason: Session.RevokeReason) -> int:
    """End every session of the user, refresh and access tokens alike. Returns how many.

    A refresh in flight holds its session's row lock, so this UPDATE waits for it and then
    revokes the session it just renewed: no token outlives the revocation.
    """
    now = timezone.now()
    revoked = (
        Session.objects.active()
        .filter(user=user)
        .update(revoked_at=now, revoke_reason=reason, updated_at=now)
    )
    security_log.info("sessions_revoked user=%s reason=%s count=%s", user.pk, reason, revoked)
    return revoked


def password_change(
    *, user: User, current_password: str, new_password: str, client: ClientInfo
) -> TokenPair:
    """Change the password, end every session, and start a new one for the caller."""
    if not user.check_password(current_password):
        raise WrongCurrentPassword()
    _password_check_rules(new_password, user)
    user.set_password(new_password)
    with transaction.atomic():
        user.save(update_fields=["password", "updated_at"])
        sessions_revoke_all(user=user, reason=Session.RevokeReason.PASSWORD_CHANGE)
        return session_start(user=user, client=client)


@transaction.atomic
def account_update(*, user: User, display_name: str | None = None, bio: str | None = None) -> User:
    """Change the profile fields a user may edit; nothing else is reachable from here."""
    fields = []
    if display_name is not None:
        user.display_name = display_name
        fields.append("display_name")
    if bio is not None:
        user.bio = bio
        fields.append("bio")
    if fields:
        user.save(update_fields=[*fields, "updated_at"])
    return user
