"""The moderation console for users."""

from typing import ClassVar

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.http import HttpRequest, HttpResponse

from accounts.models import User, normalize_email
from ciel.api.exceptions import RateLimited
from safety.ratelimit import attempt_reserve, limit_enforce


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "handle")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes: ClassVar[dict] = {"email": forms.EmailField}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ("handle", "email", "display_name", "is_staff", "is_active", "created_at")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("handle", "email", "display_name")
    ordering = ("-created_at",)
    readonly_fields = ("id", "created_at", "updated_at", "last_login")
    fieldsets = (
        (None, {"fields": ("id", "email", "handle", "password")}),
        ("Profile", {"fields": ("display_name", "bio")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "handle", "password1", "password2")}),
    )


def rate_limited_admin_login(
    request: HttpRequest, extra_context: dict | None = None
) -> HttpResponse:
    """The admin's login page behind the same limits as the API's login (SPEC §4): per IP, and
    failed attempts per email, both before any password is hashed. Staff accounts are the ones
    most worth guessing."""
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    try:
        limit_enforce(request, group="login:ip", rate=settings.LOGIN_RATE_PER_IP)
        attempt = attempt_reserve(
            group="login:email",
            identity=normalize_email(request.POST.get("username", "")),
            rate=settings.LOGIN_FAILURE_RATE_PER_EMAIL,
        )
    except RateLimited as exc:
        response = HttpResponse(
            "Too many login attempts. Try again later.", status=429, content_type="text/plain"
        )
        response["Retry-After"] = str(exc.wait)
        return response
    response = admin.site.login(request, extra_context)
    if request.user.is_authenticated:
        attempt.release()
    return response
