"""Writes of the invites app: creating, revoking and redeeming codes."""

import datetime
import secrets
import string

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError

from accounts.models import User
from ciel.api.exceptions import Conflict
from ciel.metrics import INVITE_CODES_CREATED, INVITE_CODES_USED, count_after_commit
from invites.models import Invite, InviteStatus
from invites.selectors import invite_quota_for
from safety.models import TrustReason
from safety.services import trust_points_record
from social.models import NotificationType
from social.services import notification_create

CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 12
INVALID_CODE_MESSAGE = "This invite code is not valid: it may be used, expired or revoked."


def invite_code_generate() -> str:
    """12 characters from [A-Za-z0-9] drawn with `secrets`: about 71 bits."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@transaction.atomic
def invite_create(*, created_by: User) -> Invite:
    """A new code for the user, within their quota (staff have none)."""
    quota = invite_quota_for(created_by)
    if quota is not None:
        # Lock the inviter's row so two concurrent creates cannot both pass the count.
        User.objects.select_for_update().filter(pk=created_by.pk).first()
        held = Invite.objects.filter(created_by=created_by).counting_toward_quota().count()
        if held >= quota:
            raise Conflict(
                f"You have used your quota of {quota} invite codes.",
                code="invite_quota_exceeded",
            )
    expires_at = timezone.now() + datetime.timedelta(days=settings.INVITE_EXPIRY_DAYS)
    for _ in range(3):  # a collision among 62^12 codes is unlikely; retry it all the same
        try:
            with transaction.atomic():
                invite = Invite.objects.create(
                    code=invite_code_generate(), created_by=created_by, expires_at=expires_at
                )
        except IntegrityError:
            continue
        count_after_commit(INVITE_CODES_CREATED.inc)
        return invite
    raise IntegrityError("could not draw a unique invite code")


@transaction.atomic
def invite_revoke(*, owner: User, code: str) -> Invite:
    """Revoke one of the owner's unused codes; revoking twice changes nothing."""
    invite = Invite.objects.select_for_update().filter(created_by=owner, code=code).first()
    if invite is None:
        raise NotFound()
    if invite.status == InviteStatus.USED:
        raise Conflict("This invite code has been used already.", code="invite_used")
    if invite.revoked_at is None:
        invite.revoked_at = timezone.now()
        invite.save(update_fields=["revoked_at", "updated_at"])
    return invite


def invite_check(*, code: str) -> None:
    """Refuse a code that cannot be redeemed, without locking (a cheap early answer)."""
    if not Invite.objects.active().filter(code=code).exists():
        raise ValidationError({"invite_code": [INVALID_CODE_MESSAGE]}, code="invite_invalid")


def invite_lock_for_redemption(*, code: str) -> Invite:
    """Lock an active code for the signup transaction that will redeem it.

    Concurrent signups with one code queue on this row lock; every one after the first finds
    the code used once the first commits, and a signup that fails (say, a taken handle) rolls
    back and leaves the code unused.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invite_lock_for_redemption must run inside the signup transaction")
    invite = Invite.objects.select_for_update().filter(code=code).first()
    if invite is None or invite.status != InviteStatus.ACTIVE:
        raise ValidationError({"invite_code": [INVALID_CODE_MESSAGE]}, code="invite_invalid")
    return invite


def invite_mark_used(*, invite: Invite, invitee: User) -> Invite:
    """Record the invite tree (inviter → invitee), credit the inviter's +10 trust points and
    tell them who joined."""
    invite.used_by = invitee
    invite.used_at = timezone.now()
    invite.save(update_fields=["used_by", "used_at", "updated_at"])
    trust_points_record(
        user=invite.created_by, reason=TrustReason.INVITEE_SIGNED_UP, source_id=invite.pk
    )
    notification_create(
        recipient=invite.created_by,
        actor=invitee,
        type=NotificationType.INVITE_USED,
        object_id=invite.pk,
    )
    count_after_commit(INVITE_CODES_USED.inc)
    return invite
