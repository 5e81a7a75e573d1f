"""The user model (SPEC §4): UUID id, email as the login name, a unique handle."""

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator, RegexValidator
from django.db import models
from django.utils import timezone

HANDLE_MIN_LENGTH = 3
HANDLE_MAX_LENGTH = 30
# Handles that would impersonate the service or collide with a route.
RESERVED_HANDLES = frozenset(
    {
        "about", "abuse", "account", "admin", "administrator", "api", "auth", "ciel", "contact",
        "explore", "feed", "help", "home", "invite", "invites", "legal", "login", "logout",
        "me", "media", "moderator", "moderators", "notifications", "official", "post", "posts",
        "privacy", "report", "reports", "root", "search", "security", "settings", "signup",
        "staff", "static", "support", "system", "terms", "user", "users",
    }
)  # fmt: skip

handle_pattern_validator = RegexValidator(
    r"\A[a-z0-9_]+\Z",
    "Use only lowercase letters, digits and underscores.",
    code="invalid_handle",
)


def validate_handle_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_HANDLES:
        raise ValidationError("This handle is reserved.", code="reserved_handle")


def normalize_email(email: str) -> str:
    """Emails are unique without regard to case (SPEC §4): stored and compared lowercased."""
    return email.strip().lower()


class TrustLevel(models.TextChoices):
    NEW = "new"
    BASIC = "basic"
    TRUSTED = "trusted"
    VERIFIED = "verified"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(
        self, email: str, handle: str, password: str | None, **extra_fields: Any
    ) -> "User":
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=normalize_email(email), handle=handle.lower(), **extra_fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(
        self, email: str, handle: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, handle, password, **extra_fields)

    def create_superuser(
        self, email: str, handle: str, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not (extra_fields["is_staff"] and extra_fields["is_superuser"]):
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, handle, password, **extra_fields)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=normalize_email(username or ""))


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Stored lowercased (see save), so these unique indexes are case-insensitive.
    email = models.EmailField(
        max_length=254,
        unique=True,
        error_messages={"unique": "An account with this email already exists."},
    )
    handle = models.CharField(
        max_length=HANDLE_MAX_LENGTH,
        validators=[
            MinLengthValidator(HANDLE_MIN_LENGTH),
            handle_pattern_validator,
            validate_handle_not_reserved,
        ],
        unique=True,
        error_messages={"unique": "This handle is taken."},
        help_text="3–30 lowercase letters, digits or underscores.",
    )
    display_name = models.CharField(max_length=50, blank=True)
    bio = models.CharField(max_length=160, blank=True)
    # Denormalised counts, changed with F() in the transaction that adds or removes the rows.
    follower_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    post_count = models.PositiveIntegerField(default=0)
    # Trust (SPEC §6): the sum of the ledger, strikes so far, weighted flags received (in half
    # flags), and the end of the current ban. Kept on the user row so that every request's
    # authentication and every rate-limit check read them with the user, at no extra query.
    trust_points = models.IntegerField(default=0)
    strike_count = models.PositiveIntegerField(default=0)
    flag_score = models.PositiveIntegerField(default=0)
    banned_until = models.DateTimeField(null=True, blank=True)
    # Set when the owner deletes the account: it is deactivated at once and purged after the
    # grace period (ACCOUNT_PURGE_AFTER_DAYS), unless a moderator restores it first.
    deleted_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can log into the moderation console.")
    trust_level = models.CharField(
        max_length=10, choices=TrustLevel.choices, default=TrustLevel.NEW
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[UserManager] = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["handle"]

    class Meta:
        indexes: ClassVar = [
            # User search: trigram similarity (pg_trgm) for names and longer queries…
            GinIndex(OpClass("handle", name="gin_trgm_ops"), name="user_handle_trgm_idx"),
            GinIndex(OpClass("display_name", name="gin_trgm_ops"), name="user_name_trgm_idx"),
            # …and short handle prefixes as a btree range (LIKE 'abc%') over active accounts,
            # with the id, so a page's keys come from the index alone (feed.views). The planner
            # preferred the trigram index to the unique constraint's own pattern index for
            # prefixes: "u12" took 10–14 ms to rank its 1,111 matches, ~1 ms here.
            models.Index(
                fields=["handle"],
                opclasses=["varchar_pattern_ops"],
                include=["id"],
                condition=models.Q(is_active=True),
                name="user_handle_prefix_idx",
            ),
            # The inactive accounts alone (accounts.selectors.inactive_user_ids): post search
            # (feed.selectors.search_posts) leaves their posts out of its 200-candidate bound
            # without checking each candidate's author.
            models.Index(
                fields=["id"], condition=models.Q(is_active=False), name="user_inactive_idx"
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalize_email(self.email)
        self.handle = self.handle.lower()
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"@{self.handle}"

    def ban_active(self) -> bool:
        """A ban ends by itself: it applies while its end is in the future."""
        return self.banned_until is not None and self.banned_until > timezone.now()


class SessionQuerySet(models.QuerySet["Session"]):
    def active(self) -> "SessionQuerySet":
        return self.filter(revoked_at__isnull=True)


class Session(models.Model):
    """One login: a family of refresh tokens, each replacing the one before (SPEC §4)."""

    class RevokeReason(models.TextChoices):
        LOGOUT = "logout"
        LOGOUT_ALL = "logout_all"
        PASSWORD_CHANGE = "password_change"  # noqa: S105 — a reason, not a password
        REUSE = "reuse", "refresh token reused"
        EXPIRED = "expired"
        BANNED = "banned"
        DEACTIVATED = "deactivated"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_used_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=20, choices=RevokeReason.choices, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        indexes: ClassVar = [
            # Revoke every active session of a user (logout all, password change, ban).
            models.Index(
                fields=["user"],
                name="session_user_active_idx",
                condition=models.Q(revoked_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} of {self.user_id}"


class RefreshToken(models.Model):
    """A refresh token of a session; only its SHA-256 is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="refresh_tokens")
    # Hex SHA-256 of the token; the unique index serves the lookup on every refresh.
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set when the token is exchanged for the next one; presenting it again is reuse.
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refresh token of {self.session_id}"


class ExportStatus(models.TextChoices):
    PENDING = "pending"
    READY = "ready"
    EXPIRED = "expired"  # the zip was removed after EXPORT_RETENTION_DAYS


class DataExport(models.Model):
    """A user's data export: a zip in S3, built by a Celery job (SPEC §9)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="exports")
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    object_key = models.CharField(max_length=200, blank=True)
    byte_size = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [
            # "Has this user asked for an export in the last 7 days?"
            models.Index(fields=["user", "-created_at"], name="export_user_idx"),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.user_id} ({self.status})"
