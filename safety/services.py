"""Writes of the safety app: trust points and levels, reports, strikes, bans, devices, audit log.

The moderation console calls these same functions, so every path writes the same audit rows.
"""

import datetime
import hashlib
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, Q, Value, When
from django.utils import timezone

from accounts.models import Session, TrustLevel, User
from ciel.api.exceptions import Conflict
from ciel.metrics import (
    BANS_ISSUED,
    DEVICE_RISK_SCORE,
    HIGH_RISK_DEVICES,
    STRIKES_ISSUED,
    count_after_commit,
)
from safety.models import (
    TRUST_POINTS,
    AuditLogEntry,
    Ban,
    Device,
    DeviceAccount,
    Report,
    ReportReason,
    ReportTarget,
    Strike,
    StrikeSource,
    TrustLedgerEntry,
    TrustReason,
)

logger = logging.getLogger(__name__)
security_log = logging.getLogger("ciel.security")

# Half flags: a flag from an established account counts 2, from a `new` account 1.
FULL_FLAG = 2
HALF_FLAG = 1


# --- Audit log ---------------------------------------------------------------------------------


def audit_record(
    *,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: uuid.UUID,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditLogEntry:
    return AuditLogEntry.objects.create(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason[:500],
        details=details or {},
    )


# --- Trust points and levels -------------------------------------------------------------------


@transaction.atomic
def trust_points_record(
    *, user: User, reason: TrustReason, source_id: uuid.UUID | None = None
) -> TrustLedgerEntry | None:
    """Add the points SPEC §6 gives for ``reason``, once per (user, reason, source), keep the
    user's total in step, and recompute their level.

    Returns the new entry, or None when this source was already recorded.
    """
    points = TRUST_POINTS[reason]
    if source_id is None:
        entry = TrustLedgerEntry.objects.create(user=user, reason=reason, points=points)
    else:
        entry, created = TrustLedgerEntry.objects.get_or_create(
            user=user, reason=reason, source_id=source_id, defaults={"points": points}
        )
        if not created:
            return None
    User.objects.filter(pk=user.pk).update(trust_points=F("trust_points") + points)
    trust_level_recalculate(user_ids=[user.pk])
    return entry


def trust_level_expression() -> Case:
    """The level each user should have now (SPEC §6), as one SQL expression.

    Verified is granted by moderators only and kept until the strikes demote it; otherwise the
    level is the highest whose age, post and point requirements the user meets.
    """
    now = timezone.now()
    return Case(
        When(strike_count__gte=settings.STRIKES_FOR_DEMOTION, then=Value(TrustLevel.NEW)),
        When(trust_level=TrustLevel.VERIFIED, then=Value(TrustLevel.VERIFIED)),
        When(
            created_at__lte=now - datetime.timedelta(days=settings.TRUST_TRUSTED_MIN_AGE_DAYS),
            post_count__gte=settings.TRUST_TRUSTED_MIN_POSTS,
            trust_points__gte=settings.TRUST_TRUSTED_MIN_POINTS,
            then=Value(TrustLevel.TRUSTED),
        ),
        When(
            created_at__lte=now - datetime.timedelta(days=settings.TRUST_BASIC_MIN_AGE_DAYS),
            post_count__gte=settings.TRUST_BASIC_MIN_POSTS,
            trust_points__gte=settings.TRUST_BASIC_MIN_POINTS,
            then=Value(TrustLevel.BASIC),
        ),
        default=Value(TrustLevel.NEW),
    )


def trust_level_recalculate(*, user_ids: list[uuid.UUID]) -> int:
    """Set these users' levels from their counters in one UPDATE; running it twice is harmless."""
    return User.objects.filter(pk__in=user_ids).update(trust_level=trust_level_expression())


def trust_level_recalculate_all(*, batch_size: int | None = None) -> int:
    """Every user's level, in batches of primary keys so no transaction holds many rows long.

    Returns how many users changed level.
    """
    batch_size = batch_size or settings.TRUST_RECALCULATION_BATCH
    changed = 0
    last_id = None
    while True:
        ids = User.objects.order_by("pk")
        if last_id is not None:
            ids = ids.filter(pk__gt=last_id)
        batch = list(ids.values_list("pk", flat=True)[:batch_size])
        if not batch:
            return changed
        expression = trust_level_expression()
        changed += (
            User.objects.filter(pk__in=batch)
            .annotate(target_level=expression)
            .exclude(trust_level=F("target_level"))
            .update(trust_level=expression)
        )
        last_id = batch[-1]


@transaction.atomic
def trust_level_verify(*, user: User, moderator: User, reason: str) -> User:
    """Grant `verified`; only moderators do this."""
    User.objects.filter(pk=user.pk).update(trust_level=TrustLevel.VERIFIED)
    user.refresh_from_db()
    audit_record(
        actor=moderator, action="verify", target_type="user", target_id=user.pk, reason=reason
    )
    return user


# --- Strikes and bans --------------------------------------------------------------------------


def _ban_days_for(strike_count: int) -> int | None:
    steps = sorted(settings.BAN_DAYS_BY_STRIKES.items())
    days = None
    for threshold, length in steps:
        if strike_count >= threshold:
            days = length
    return days


@transaction.atomic
def strike_issue(
    *,
    user: User,
    source: StrikeSource,
    reason: str,
    moderator: User | None = None,
) -> Strike:
    """One strike, and the escalation it triggers (SPEC §6), exactly once.

    The user's row is locked first, so concurrent strikes queue here and each sees the count
    the previous one left: the steps 1, 2, 3… are taken one at a time, never skipped or shared
    (a unique (user, sequence) constraint backs this up).
    """
    from social.models import NotificationType
    from social.services import notification_create

    locked = User.objects.select_for_update().get(pk=user.pk)
    sequence = locked.strike_count + 1
    User.objects.filter(pk=user.pk).update(strike_count=sequence)
    strike = Strike.objects.create(
        user=user, sequence=sequence, source=source, reason=reason[:300], issued_by=moderator
    )
    if source == StrikeSource.MODERATOR:
        trust_points_record(user=user, reason=TrustReason.MANUAL_STRIKE, source_id=strike.pk)
    elif source == StrikeSource.CONTENT_REMOVED:
        trust_points_record(user=user, reason=TrustReason.CONTENT_REMOVED, source_id=strike.pk)
    trust_level_recalculate(user_ids=[user.pk])
    audit_record(
        actor=moderator,
        action="strike",
        target_type="user",
        target_id=user.pk,
        reason=reason,
        details={"sequence": sequence, "source": source},
    )
    notification_create(
        recipient=user,
        actor=None,
        type=NotificationType.STRIKE,
        object_id=strike.pk,
        message=f"You received a strike ({sequence} in total): {reason}"[:300],
    )
    security_log.info("strike user=%s sequence=%s source=%s", user.pk, sequence, source)
    count_after_commit(STRIKES_ISSUED.labels(reason=source).inc)
    days = _ban_days_for(sequence)
    if days is not None:
        ban_issue(
            user=user,
            days=days,
            reason=f"{sequence} strikes",
            moderator=moderator,
            strike=strike,
        )
    return strike


@transaction.atomic
def ban_issue(
    *,
    user: User,
    days: int,
    reason: str,
    moderator: User | None = None,
    strike: Strike | None = None,
) -> Ban:
    """Ban for ``days``: every session ends now, and the ban ends by itself (reads compare
    ``banned_until`` with the time; no job has to lift it)."""
    from accounts.services import sessions_revoke_all
    from social.models import NotificationType
    from social.services import notification_create

    now = timezone.now()
    ends_at = now + datetime.timedelta(days=days)
    ban = Ban.objects.create(
        user=user, starts_at=now, ends_at=ends_at, reason=reason, strike=strike, issued_by=moderator
    )
    # A longer ban already running is not shortened.
    User.objects.filter(pk=user.pk).filter(
        Q(banned_until__isnull=True) | Q(banned_until__lt=ends_at)
    ).update(banned_until=ends_at)
    user.refresh_from_db(fields=["banned_until"])
    sessions_revoke_all(user=user, reason=Session.RevokeReason.BANNED)
    audit_record(
        actor=moderator,
        action="ban",
        target_type="user",
        target_id=user.pk,
        reason=reason,
        details={"days": days, "ends_at": ends_at.isoformat()},
    )
    notification_create(
        recipient=user,
        actor=None,
        type=NotificationType.BAN,
        object_id=ban.pk,
        message=f"Your account is suspended until {ends_at:%Y-%m-%d %H:%M} UTC."[:300],
    )
    security_log.warning("ban user=%s days=%s until=%s", user.pk, days, ends_at.isoformat())
    count_after_commit(BANS_ISSUED.labels(duration=str(days)).inc)
    device_risk_recalculate_for_user(user=user)
    return ban


@transaction.atomic
def ban_lift(*, user: User, moderator: User, reason: str) -> int:
    """End the user's running bans now. Returns how many were lifted."""
    now = timezone.now()
    lifted = Ban.objects.filter(user=user, lifted_at__isnull=True, ends_at__gt=now).update(
        lifted_at=now, lifted_by=moderator, updated_at=now
    )
    User.objects.filter(pk=user.pk).update(banned_until=None)
    user.refresh_from_db(fields=["banned_until"])
    audit_record(
        actor=moderator, action="ban_lift", target_type="user", target_id=user.pk, reason=reason
    )
    device_risk_recalculate_for_user(user=user)
    return lifted


# --- Reports -----------------------------------------------------------------------------------


def _flag_weight(*, reporter: User, owner: User) -> int:
    """How much a flag counts toward automatic strikes, in half flags. Why:

    - a reporter counts once per member, however many of their posts they flag: otherwise one
      person flagging ten posts would strike anyone;
    - a `new` account counts half: accounts are cheap to get with invites, and a brigade is
      usually fresh accounts;
    - an account that shares a device with an account that already flagged this owner counts
      nothing: several accounts on one phone are one person flagging once.
    """
    if Report.objects.filter(reporter=reporter, target_owner=owner).exists():
        return 0
    shared_device_reporters = Report.objects.filter(
        target_owner=owner,
        reporter__device_links__device__accounts__user=reporter,
    ).exclude(reporter=reporter)
    if shared_device_reporters.exists():
        return 0
    return HALF_FLAG if reporter.trust_level == TrustLevel.NEW else FULL_FLAG


@transaction.atomic
def report_create(
    *,
    reporter: User,
    target_type: ReportTarget,
    target_id: uuid.UUID,
    target_owner: User,
    reason: ReportReason,
    note: str = "",
) -> tuple[Report, bool]:
    """Flag a post, comment or user once; True when this call made the flag.

    The owner loses 10 points per flag; every ``FLAGS_PER_AUTOMATIC_STRIKE`` weighted flags give
    an automatic strike. The owner's row is locked, so concurrent flags count one at a time.
    """
    if target_owner.pk == reporter.pk:
        raise Conflict("You cannot report yourself.", code="cannot_report_self")
    # Flags on one owner queue on this lock, so the repeat check below and the counting are safe.
    owner = User.objects.select_for_update().get(pk=target_owner.pk)
    existing = Report.objects.filter(
        reporter=reporter, target_type=target_type, target_id=target_id
    ).first()
    if existing is not None:
        return existing, False
    weight = _flag_weight(reporter=reporter, owner=owner)
    report = Report.objects.create(
        reporter=reporter,
        target_type=target_type,
        target_id=target_id,
        target_owner=owner,
        reason=reason,
        note=note,
        weight=weight,
    )
    # −10 per flag, once per reporter and member (the ledger's source is the reporter).
    trust_points_record(user=owner, reason=TrustReason.FLAG_RECEIVED, source_id=reporter.pk)
    threshold = settings.FLAGS_PER_AUTOMATIC_STRIKE * FULL_FLAG
    before, after = owner.flag_score, owner.flag_score + weight
    User.objects.filter(pk=owner.pk).update(flag_score=after)
    for _ in range(after // threshold - before // threshold):
        strike_issue(
            user=owner,
            source=StrikeSource.FLAGS,
            reason=f"{settings.FLAGS_PER_AUTOMATIC_STRIKE} flags from other members",
        )
    return report, True


# --- Devices -----------------------------------------------------------------------------------


def fingerprint_hash(fingerprint: str) -> str:
    """Only the SHA-256 of a fingerprint is ever stored."""
    return hashlib.sha256(fingerprint.encode()).hexdigest()


# Points for the number of accounts on one device, reached tier by tier (SPEC §6): 2 accounts
# +5, 3 +15 more, 6 +30 more, 11 +50 more. Read as cumulative tiers: the spec's own acceptance
# case — 12 accounts, one banned, blocked above 80 — holds only this way (5+15+30+50+25).
ACCOUNT_TIERS = ((2, 5), (3, 15), (6, 30), (11, 50))
POINTS_PER_BANNED_ACCOUNT = 25


def device_risk_score(*, accounts: int, banned_accounts: int, adjustment: int) -> int:
    score = sum(points for minimum, points in ACCOUNT_TIERS if accounts >= minimum)
    score += POINTS_PER_BANNED_ACCOUNT * banned_accounts + adjustment
    return max(0, min(100, score))


def device_risk_recalculate(*, device: Device) -> Device:
    counts = DeviceAccount.objects.filter(device=device).aggregate(
        accounts=Count("id"),
        banned=Count("id", filter=Q(user__banned_until__gt=timezone.now())),
    )
    score_before = device.risk_score
    device.risk_score = device_risk_score(
        accounts=counts["accounts"],
        banned_accounts=counts["banned"],
        adjustment=device.risk_adjustment,
    )
    device.save(update_fields=["risk_score", "updated_at"])
    score = device.risk_score
    count_after_commit(lambda: DEVICE_RISK_SCORE.observe(score))
    if score_before <= settings.DEVICE_BLOCK_RISK < device.risk_score:
        count_after_commit(HIGH_RISK_DEVICES.inc)
    return device


def device_risk_recalculate_for_user(*, user: User) -> None:
    for device in Device.objects.filter(accounts__user=user):
        device_risk_recalculate(device=device)


def device_blocked(*, fingerprint: str | None) -> bool:
    """Is the device with this fingerprint blocked (risk above the limit, or by a moderator)?"""
    if not fingerprint:
        return False
    device = Device.objects.filter(fingerprint_hash=fingerprint_hash(fingerprint)).first()
    if device is None:
        return False
    # Rescored now: a ban that ended by itself no longer counts against the device.
    return device_risk_recalculate(device=device).blocked


@transaction.atomic
def device_register(
    *, user: User, fingerprint: str, platform: str = "", user_agent: str = ""
) -> DeviceAccount:
    """Record that the user is on this device: link it, count the activity, rescore it."""
    device, _ = Device.objects.get_or_create(
        fingerprint_hash=fingerprint_hash(fingerprint),
        defaults={"platform": platform[:50], "user_agent": user_agent[:300]},
    )
    # Locked until commit, so two accounts registering at once are scored one after the other
    # and the second score counts both links.
    device = Device.objects.select_for_update().get(pk=device.pk)
    now = timezone.now()
    link, created = DeviceAccount.objects.get_or_create(
        device=device, user=user, defaults={"last_seen_at": now}
    )
    if not created:
        DeviceAccount.objects.filter(pk=link.pk).update(
            last_seen_at=now, activity_count=F("activity_count") + 1, updated_at=now
        )
        link.refresh_from_db()
    if platform or user_agent:
        Device.objects.filter(pk=device.pk).update(
            platform=platform[:50] or F("platform"), user_agent=user_agent[:300] or F("user_agent")
        )
    device_risk_recalculate(device=device)
    return link


@transaction.atomic
def device_moderate(
    *, device: Device, moderator: User, state: str, reason: str, adjustment: int | None = None
) -> Device:
    """A moderator blocks, allows, or returns a device to its risk score, or adjusts the score."""
    device.state = state
    fields = ["state", "updated_at"]
    if adjustment is not None:
        device.risk_adjustment = adjustment
        fields.append("risk_adjustment")
    device.save(update_fields=fields)
    device_risk_recalculate(device=device)
    audit_record(
        actor=moderator,
        action=f"device_{state}",
        target_type="device",
        target_id=device.pk,
        reason=reason,
        details={"adjustment": device.risk_adjustment, "risk_score": device.risk_score},
    )
    return device


# --- Moderation of content and reports --------------------------------------------------------


def _content_target(target: Any) -> tuple[str, Any]:
    from posts.models import Comment, Post

    if isinstance(target, Post):
        return "post", target
    if isinstance(target, Comment):
        return "comment", target
    raise TypeError(f"cannot moderate {type(target).__name__}")


def _reports_resolve(
    *, target_type: str, target_id: uuid.UUID, moderator: User, status: str
) -> None:
    Report.objects.filter(target_type=target_type, target_id=target_id, status="open").update(
        status=status, resolved_at=timezone.now(), resolved_by=moderator, updated_at=timezone.now()
    )


@transaction.atomic
def content_remove(*, target: Any, moderator: User, reason: str) -> None:
    """Remove a post or comment (hidden from everyone but staff) and strike its author."""
    target_type, content = _content_target(target)
    # Conditional, so two moderators removing the same post strike its author once.
    removed = (
        type(content)
        .objects.filter(pk=content.pk, removed_at__isnull=True)
        .update(removed_at=timezone.now())
    )
    if not removed:
        return
    content.refresh_from_db(fields=["removed_at"])
    audit_record(
        actor=moderator, action="content_remove", target_type=target_type,
        target_id=content.pk, reason=reason,
    )  # fmt: skip
    _reports_resolve(
        target_type=target_type, target_id=content.pk, moderator=moderator, status="actioned"
    )
    strike_issue(
        user=content.author,
        source=StrikeSource.CONTENT_REMOVED,
        reason=f"Your {target_type} was removed: {reason}",
        moderator=moderator,
    )


@transaction.atomic
def content_restore(*, target: Any, moderator: User, reason: str) -> None:
    """Show a removed post or comment again (the strike stays: lift it with a ban lift)."""
    from feed.services import post_published

    target_type, content = _content_target(target)
    type(content).objects.filter(pk=content.pk).update(removed_at=None)
    content.refresh_from_db(fields=["removed_at"])
    audit_record(
        actor=moderator, action="content_restore", target_type=target_type,
        target_id=content.pk, reason=reason,
    )  # fmt: skip
    if target_type == "post":
        # Back in the timelines as a new post would be: those rebuilt while it was removed
        # lack it, and would pass for complete.
        post_published(post=content)


@transaction.atomic
def report_dismiss(*, report: Report, moderator: User, reason: str) -> None:
    if not Report.objects.filter(pk=report.pk, status="open").update(
        status="dismissed", resolved_at=timezone.now(), resolved_by=moderator
    ):
        return
    audit_record(
        actor=moderator, action="report_dismiss", target_type="report", target_id=report.pk,
        reason=reason,
    )  # fmt: skip


@transaction.atomic
def report_strike(*, report: Report, moderator: User, reason: str) -> Strike | None:
    """Strike the reported content's owner from an open report, and close the report; a
    report already closed (or the confirmation posted twice) strikes nobody."""
    if not Report.objects.filter(pk=report.pk, status="open").update(
        status="actioned", resolved_at=timezone.now(), resolved_by=moderator
    ):
        return None
    return strike_issue(
        user=report.target_owner, source=StrikeSource.MODERATOR, reason=reason, moderator=moderator
    )
