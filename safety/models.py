"""Models of the safety app: the trust-points ledger (SPEC §6)."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q


class TrustReason(models.TextChoices):
    """Why points changed; the values are SPEC §6's."""

    POST_PUBLISHED = "post_published", "published a post"
    COMMENT_WRITTEN = "comment_written", "wrote a comment"
    LIKES_RECEIVED = "likes_received", "received 10 likes"
    INVITEE_SIGNED_UP = "invitee_signed_up", "an invitee signed up"
    FLAG_RECEIVED = "flag_received", "was flagged"
    CONTENT_REMOVED = "content_removed", "content removed by a moderator"
    MANUAL_STRIKE = "manual_strike", "manual strike"


TRUST_POINTS = {
    TrustReason.POST_PUBLISHED: 2,
    TrustReason.COMMENT_WRITTEN: 1,
    TrustReason.LIKES_RECEIVED: 1,
    TrustReason.INVITEE_SIGNED_UP: 10,
    TrustReason.FLAG_RECEIVED: -10,
    TrustReason.CONTENT_REMOVED: -25,
    TrustReason.MANUAL_STRIKE: -50,
}


class TrustLedgerEntry(models.Model):
    """One change of a user's trust points, with its reason, so a moderator can see why."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trust_ledger"
    )
    points = models.IntegerField()
    reason = models.CharField(max_length=30, choices=TrustReason.choices)
    # What caused it (an invite, a post, a flag…): recording the same cause twice is a no-op.
    source_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "trust ledger entries"
        indexes: ClassVar = [
            # A user's ledger, newest first (trust score, moderator's user page).
            models.Index(fields=["user", "-created_at"], name="trust_ledger_user_idx"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "reason", "source_id"],
                condition=Q(source_id__isnull=False),
                name="trust_ledger_once_per_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} {self.reason} for {self.user_id}"


class ReportTarget(models.TextChoices):
    POST = "post"
    COMMENT = "comment"
    USER = "user"


class ReportReason(models.TextChoices):
    SPAM = "spam"
    ABUSE = "abuse"
    NUDITY = "nudity"
    VIOLENCE = "violence"
    OTHER = "other"


class ReportStatus(models.TextChoices):
    OPEN = "open"
    DISMISSED = "dismissed"
    ACTIONED = "actioned"


class Report(models.Model):
    """A flag: one per reporter and target (SPEC §6)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made"
    )
    target_type = models.CharField(max_length=10, choices=ReportTarget.choices)
    target_id = models.UUIDField()
    # Whose content it is: the one who loses points and may get a strike.
    target_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_received"
    )
    reason = models.CharField(max_length=10, choices=ReportReason.choices)
    note = models.CharField(max_length=500, blank=True)
    # In half flags: how much this flag counts toward automatic strikes (see report_create).
    weight = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports_resolved",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["reporter", "target_type", "target_id"], name="report_once_per_target"
            ),
        ]
        indexes: ClassVar = [
            # The moderators' queue: open reports, oldest first.
            models.Index(
                fields=["created_at"],
                name="report_open_idx",
                condition=Q(status="open"),
            ),
            # Reports against a user (their page in the console; the brigading check).
            models.Index(fields=["target_owner", "-created_at"], name="report_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} report on {self.target_type} {self.target_id}"


class StrikeSource(models.TextChoices):
    FLAGS = "flags", "automatic, from flags"
    CONTENT_REMOVED = "content_removed", "content removed by a moderator"
    MODERATOR = "moderator", "manual strike by a moderator"


class Strike(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="strikes"
    )
    # 1 for the user's first strike, 2 for the second…: the step of the escalation it took.
    sequence = models.PositiveIntegerField()
    source = models.CharField(max_length=20, choices=StrikeSource.choices)
    reason = models.CharField(max_length=300)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="strikes_issued",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            # Each step of the escalation happens once: concurrent strikes cannot share one.
            models.UniqueConstraint(fields=["user", "sequence"], name="strike_step_once"),
        ]

    def __str__(self) -> str:
        return f"strike {self.sequence} of {self.user_id}"


class Ban(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bans"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    strike = models.OneToOneField(
        Strike, on_delete=models.SET_NULL, null=True, blank=True, related_name="ban"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bans_issued",
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bans_lifted",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes: ClassVar = [
            # A user's bans, newest first (console, trust score).
            models.Index(fields=["user", "-ends_at"], name="ban_user_idx"),
        ]

    def __str__(self) -> str:
        return f"ban of {self.user_id} until {self.ends_at:%Y-%m-%d}"


class DeviceState(models.TextChoices):
    AUTOMATIC = "automatic", "by risk score"
    BLOCKED = "blocked", "blocked by a moderator"
    ALLOWED = "allowed", "allowed by a moderator"


class Device(models.Model):
    """A client device, known only by the SHA-256 of its fingerprint."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    fingerprint_hash = models.CharField(max_length=64, unique=True)
    platform = models.CharField(max_length=50, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    risk_score = models.PositiveSmallIntegerField(default=0)
    # A moderator's adjustment, added to the computed score (may be negative).
    risk_adjustment = models.SmallIntegerField(default=0)
    state = models.CharField(
        max_length=10, choices=DeviceState.choices, default=DeviceState.AUTOMATIC
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"device {self.fingerprint_hash[:12]}…"

    @property
    def blocked(self) -> bool:
        if self.state == DeviceState.AUTOMATIC:
            return self.risk_score > settings.DEVICE_BLOCK_RISK
        return self.state == DeviceState.BLOCKED


class DeviceAccount(models.Model):
    """A device used by an account: first and last seen, and how often."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="accounts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="device_links"
    )
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    activity_count = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            # Also the index of "which accounts use this device" (the risk score).
            models.UniqueConstraint(fields=["device", "user"], name="device_account_once"),
        ]
        indexes: ClassVar = [
            # A user's devices (GET /account/devices; risk recompute on a ban).
            models.Index(fields=["user", "-last_seen_at"], name="device_account_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.device_id}"


class AuditLogEntry(models.Model):
    """Append-only record of every moderation and safety action (who, what, target, when, why)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Null when the system acted (automatic strikes, bans from escalation).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    action = models.CharField(max_length=40)
    target_type = models.CharField(max_length=20)
    target_id = models.UUIDField()
    reason = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "audit log entries"
        indexes: ClassVar = [
            # Everything that happened to one target, newest first.
            models.Index(
                fields=["target_type", "target_id", "-created_at"], name="audit_target_idx"
            ),
            models.Index(fields=["-created_at"], name="audit_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.target_type} {self.target_id}"

    def save(self, *args, **kwargs) -> None:
        # Append-only: an entry, once written, is never rewritten.
        if not self._state.adding:
            raise ValueError("Audit log entries cannot be changed.")
        super().save(*args, **kwargs)
