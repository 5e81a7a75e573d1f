"""The moderation console for users."""

from typing import ClassVar

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html_join

from accounts.lifecycle import account_restore
from accounts.models import Session, User, normalize_email
from accounts.services import sessions_revoke_all
from ciel.admin_tools import EstimatedCountPaginator, action_with_reason
from ciel.api.exceptions import RateLimited
from invites.models import Invite
from posts.models import Post
from safety.models import Ban, DeviceAccount, Report, Strike, TrustLedgerEntry
from safety.ratelimit import limit_enforce, login_attempt_reserve
from safety.services import audit_record, ban_issue, ban_lift, trust_level_verify


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "handle")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes: ClassVar[dict] = {"email": forms.EmailField}


PANEL_ROWS = 20


def _rows(template: str, rows) -> str:
    html = format_html_join("", template, rows)
    return html or "—"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """A user on one page: trust ledger, strikes, bans, devices, the invite tree both ways,
    reports by and against, recent posts; and the moderation actions."""

    form = UserEditForm
    add_form = UserCreationForm
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_display = ("handle", "email", "trust_level", "strike_count", "banned_until", "is_active")
    list_filter = ("trust_level", "is_staff", "is_active")
    search_fields = ("handle", "email")
    ordering = ("-created_at",)
    panels = (
        "invited_by", "invitees", "trust_ledger", "strikes", "bans", "devices",
        "reports_against", "reports_by", "recent_posts",
    )  # fmt: skip
    readonly_fields = (
        "id", "created_at", "updated_at", "last_login", "trust_points", "strike_count",
        "flag_score", "banned_until", "deleted_at", "follower_count", "following_count",
        "post_count", *panels,
    )  # fmt: skip
    fieldsets = (
        (None, {"fields": ("id", "email", "handle", "password")}),
        ("Profile", {"fields": ("display_name", "bio")}),
        (
            "Trust and safety",
            {
                "fields": (
                    "trust_level",
                    "trust_points",
                    "strike_count",
                    "flag_score",
                    "banned_until",
                    "deleted_at",
                )
            },
        ),
        ("Counts", {"fields": ("follower_count", "following_count", "post_count")}),
        ("Invite tree", {"fields": ("invited_by", "invitees")}),
        ("History", {"fields": ("trust_ledger", "strikes", "bans", "devices")}),
        ("Reports", {"fields": ("reports_against", "reports_by")}),
        ("Posts", {"fields": ("recent_posts",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "handle", "password1", "password2")}),
    )
    actions = (
        "verify", "ban_7_days", "ban_30_days", "ban_365_days", "unban", "revoke_sessions",
        "restore_deleted",
    )  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        # Moderators read a user; only superusers edit one (permissions, staff, profile).
        if request.user.is_superuser:
            return self.readonly_fields
        return [*self.readonly_fields, *(f for f in _EDITABLE if f not in self.readonly_fields)]

    def get_actions(self, request, *args, **kwargs):
        actions = super().get_actions(request, *args, **kwargs)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None) -> bool:
        # Accounts leave through deletion and the purge, which keep every counter right.
        return False

    def user_change_password(self, request, id, form_url=""):
        """Only superusers set passwords here; a moderator could otherwise take over any
        account, a superuser's included. A password set here ends every session, as the
        API's password change does, and is audited."""
        if not request.user.is_superuser:
            raise PermissionDenied
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, unquote(id))
            sessions_revoke_all(user=user, reason=Session.RevokeReason.PASSWORD_CHANGE)
            audit_record(
                actor=request.user, action="password_set", target_type="user", target_id=user.pk
            )
        return response

    def _targets(self, request, queryset):
        """Moderators act on members only: staff accounts and their own are for superusers."""
        if request.user.is_superuser:
            return queryset
        allowed = queryset.filter(is_staff=False, is_superuser=False).exclude(pk=request.user.pk)
        skipped = queryset.count() - allowed.count()
        if skipped:
            self.message_user(
                request, f"{skipped} staff account(s) skipped: only superusers act on staff.",
                messages.WARNING,
            )  # fmt: skip
        return allowed

    # --- Panels ---------------------------------------------------------------------------

    @admin.display(description="invited by")
    def invited_by(self, user: User) -> str:
        invite = Invite.objects.filter(used_by=user).select_related("created_by").first()
        return f"@{invite.created_by.handle} (code {invite.code})" if invite else "—"

    @admin.display(description="invited")
    def invitees(self, user: User) -> str:
        invites = Invite.objects.filter(created_by=user, used_by__isnull=False).select_related(
            "used_by"
        )[:PANEL_ROWS]
        return _rows(
            "<div>@{} on {}</div>", ((i.used_by.handle, f"{i.used_at:%Y-%m-%d}") for i in invites)
        )

    @admin.display(description="trust ledger")
    def trust_ledger(self, user: User) -> str:
        entries = TrustLedgerEntry.objects.filter(user=user).order_by("-created_at")[:PANEL_ROWS]
        return _rows(
            "<div>{} {} {}</div>",
            (
                (f"{e.created_at:%Y-%m-%d}", f"{e.points:+d}", e.get_reason_display())
                for e in entries
            ),
        )

    @admin.display(description="strikes")
    def strikes(self, user: User) -> str:
        rows = Strike.objects.filter(user=user).order_by("-sequence")[:PANEL_ROWS]
        return _rows(
            "<div>#{} {} ({}) {}</div>",
            (
                (s.sequence, f"{s.created_at:%Y-%m-%d}", s.get_source_display(), s.reason)
                for s in rows
            ),
        )

    @admin.display(description="bans")
    def bans(self, user: User) -> str:
        rows = Ban.objects.filter(user=user).order_by("-ends_at")[:PANEL_ROWS]
        return _rows(
            "<div>{} → {}{} {}</div>",
            (
                (
                    f"{b.starts_at:%Y-%m-%d}",
                    f"{b.ends_at:%Y-%m-%d}",
                    " (lifted)" if b.lifted_at else "",
                    b.reason,
                )
                for b in rows
            ),
        )

    @admin.display(description="devices")
    def devices(self, user: User) -> str:
        links = DeviceAccount.objects.filter(user=user).select_related("device")[:PANEL_ROWS]
        return _rows(
            "<div>{}… risk {} — last seen {}</div>",
            (
                (
                    link.device.fingerprint_hash[:12],
                    link.device.risk_score,
                    f"{link.last_seen_at:%Y-%m-%d}",
                )
                for link in links
            ),
        )

    @admin.display(description="reports against")
    def reports_against(self, user: User) -> str:
        rows = (
            Report.objects.filter(target_owner=user)
            .select_related("reporter")
            .order_by("-created_at")[:PANEL_ROWS]
        )
        return _rows(
            "<div>{} {} on a {} by @{} ({})</div>",
            (
                (f"{r.created_at:%Y-%m-%d}", r.reason, r.target_type, r.reporter.handle, r.status)
                for r in rows
            ),
        )

    @admin.display(description="reports made")
    def reports_by(self, user: User) -> str:
        rows = (
            Report.objects.filter(reporter=user)
            .select_related("target_owner")
            .order_by("-created_at")[:PANEL_ROWS]
        )
        return _rows(
            "<div>{} {} against @{} ({})</div>",
            ((f"{r.created_at:%Y-%m-%d}", r.reason, r.target_owner.handle, r.status) for r in rows),
        )

    @admin.display(description="recent posts")
    def recent_posts(self, user: User) -> str:
        rows = Post.objects.filter(author=user).order_by("-created_at")[:10]
        return _rows(
            "<div>{} {}{}: {}</div>",
            (
                (
                    f"{p.created_at:%Y-%m-%d}",
                    p.visibility,
                    " (removed)" if p.removed_at else "",
                    p.caption[:80],
                )
                for p in rows
            ),
        )

    # --- Actions --------------------------------------------------------------------------

    @action_with_reason("Grant verified")
    def verify(self, request, queryset, reason: str) -> int:
        queryset = self._targets(request, queryset)
        for user in queryset:
            trust_level_verify(user=user, moderator=request.user, reason=reason)
        return queryset.count()

    def _ban(self, request, queryset, reason: str, days: int) -> int:
        queryset = self._targets(request, queryset)
        for user in queryset:
            ban_issue(user=user, days=days, reason=reason, moderator=request.user)
        return queryset.count()

    @action_with_reason("Ban for 7 days")
    def ban_7_days(self, request, queryset, reason: str) -> int:
        return self._ban(request, queryset, reason, 7)

    @action_with_reason("Ban for 30 days")
    def ban_30_days(self, request, queryset, reason: str) -> int:
        return self._ban(request, queryset, reason, 30)

    @action_with_reason("Ban for 365 days")
    def ban_365_days(self, request, queryset, reason: str) -> int:
        return self._ban(request, queryset, reason, 365)

    @action_with_reason("Lift bans")
    def unban(self, request, queryset, reason: str) -> int:
        queryset = self._targets(request, queryset)
        for user in queryset:
            ban_lift(user=user, moderator=request.user, reason=reason)
        return queryset.count()

    @action_with_reason("Revoke every session (log out everywhere)")
    def revoke_sessions(self, request, queryset, reason: str) -> int:
        queryset = self._targets(request, queryset)
        for user in queryset:
            sessions_revoke_all(user=user, reason=Session.RevokeReason.LOGOUT_ALL)
            audit_record(
                actor=request.user, action="sessions_revoke", target_type="user",
                target_id=user.pk, reason=reason,
            )  # fmt: skip
        return queryset.count()

    @action_with_reason("Restore a deleted account (within its grace period)")
    def restore_deleted(self, request, queryset, reason: str) -> int:
        restored = 0
        for user in queryset.filter(deleted_at__isnull=False):
            account_restore(user=user, moderator=request.user, reason=reason)
            restored += 1
        return restored


_EDITABLE = (
    "email", "handle", "password", "display_name", "bio", "trust_level", "is_active", "is_staff",
    "is_superuser", "groups", "user_permissions",
)  # fmt: skip


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
        attempt = login_attempt_reserve(email=normalize_email(request.POST.get("username", "")))
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
