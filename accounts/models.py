"""The user model (SPEC §4): UUID id, email as the login name, a unique handle."""

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator, RegexValidator
from django.db import models

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
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can log into the moderation console.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[UserManager] = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["handle"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalize_email(self.email)
        self.handle = self.handle.lower()
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"@{self.handle}"
