"""The moderation console for reports, strikes, bans, devices and the audit log."""

import datetime

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html_join

from ciel.admin_tools import ModerationAdmin, action_with_reason
from posts.models import Comment, Post
from safety import services
from safety.models import (
    AuditLogEntry,
    Ban,
    Device,
    DeviceState,
    Report,
    ReportTarget,
    Strike,
)


class ReportAgeFilter(admin.SimpleListFilter):
    title = "age"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [("day", "Last 24 hours"), ("week", "Last 7 days"), ("older", "Older than 7 days")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "day":
            return queryset.filter(created_at__gte=now - datetime.timedelta(days=1))
        if self.value() == "week":
            return queryset.filter(created_at__gte=now - datetime.timedelta(days=7))
        if self.value() == "older":
            return queryset.filter(created_at__lt=now - datetime.timedelta(days=7))
        return queryset


def _reported_content(report: Report) -> Post | Comment | None:
    if report.target_type == ReportTarget.POST:
        return Post.objects.filter(pk=report.target_id).first()
    if report.target_type == ReportTarget.COMMENT:
        return Comment.objects.filter(pk=report.target_id).first()
    return None


def _ban_action(days: int):
    def apply(modeladmin, request: HttpRequest, queryset: QuerySet[Report], reason: str) -> int:
        owners = {report.target_owner for report in queryset.select_related("target_owner")}
        for owner in owners:
            services.ban_issue(user=owner, days=days, reason=reason, moderator=request.user)
        queryset.update(status="actioned", resolved_at=timezone.now(), resolved_by=request.user)
        return len(owners)

    apply.__name__ = f"ban_{days}_days"
    return action_with_reason(f"Ban the reported user for {days} days")(apply)


@admin.register(Report)
class ReportAdmin(ModerationAdmin):
    """The reports work queue: open reports, oldest first."""

    list_display = (
        "created_at", "target_type", "reason", "target_owner", "reporter", "weight", "status",
    )  # fmt: skip
    list_filter = ("status", "reason", "target_type", ReportAgeFilter)
    search_fields = ("target_owner__handle", "reporter__handle", "note")
    ordering = ("created_at",)
    list_select_related = ("target_owner", "reporter")
    readonly_fields = (
        "reporter", "target_type", "target_id", "target_owner", "reason", "note", "weight",
        "status", "resolved_at", "resolved_by", "created_at",
    )  # fmt: skip
    actions = (
        "dismiss", "remove_content", "strike_owner",
        _ban_action(7), _ban_action(30), _ban_action(365), "lift_ban",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        # The queue opens on what needs work: open reports. "All" is one click away.
        if not request.GET and request.method == "GET":
            return HttpResponseRedirect(f"{request.path}?status__exact=open")
        return super().changelist_view(request, extra_context)

    @action_with_reason("Dismiss the reports")
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Report], reason: str) -> int:
        for report in queryset:
            services.report_dismiss(report=report, moderator=request.user, reason=reason)
        return queryset.count()

    @action_with_reason("Remove the reported content (strikes its author)")
    def remove_content(self, request: HttpRequest, queryset: QuerySet[Report], reason: str) -> int:
        removed = 0
        for report in queryset:
            content = _reported_content(report)
            if content is not None:
                services.content_remove(target=content, moderator=request.user, reason=reason)
                removed += 1
        return removed

    @action_with_reason("Strike the reported user")
    def strike_owner(self, request: HttpRequest, queryset: QuerySet[Report], reason: str) -> int:
        reports = list(queryset.select_related("target_owner"))
        struck = set()
        for report in reports:
            if report.target_owner_id not in struck:
                services.report_strike(report=report, moderator=request.user, reason=reason)
                struck.add(report.target_owner_id)
        return len(struck)

    @action_with_reason("Lift the reported user's ban")
    def lift_ban(self, request: HttpRequest, queryset: QuerySet[Report], reason: str) -> int:
        owners = {report.target_owner for report in queryset.select_related("target_owner")}
        for owner in owners:
            services.ban_lift(user=owner, moderator=request.user, reason=reason)
        return len(owners)


class ReadOnlyAdmin(ModerationAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Strike)
class StrikeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "sequence", "source", "reason", "issued_by")
    list_filter = ("source",)
    search_fields = ("user__handle",)
    list_select_related = ("user", "issued_by")


@admin.register(Ban)
class BanAdmin(ReadOnlyAdmin):
    list_display = ("starts_at", "ends_at", "user", "reason", "issued_by", "lifted_at")
    search_fields = ("user__handle",)
    list_select_related = ("user", "issued_by")


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    """Append-only: nobody, superusers included, can add, change or delete an entry here."""

    list_display = ("created_at", "actor", "action", "target_type", "target_id", "reason")
    list_filter = ("action", "target_type")
    search_fields = ("=target_id", "actor__handle", "reason")
    list_select_related = ("actor",)
    ordering = ("-created_at",)


@admin.register(Device)
class DeviceAdmin(ModerationAdmin):
    list_display = (
        "fingerprint_prefix",
        "risk_score",
        "state",
        "blocked",
        "platform",
        "updated_at",
    )
    list_filter = ("state",)
    ordering = ("-risk_score",)
    readonly_fields = (
        "fingerprint_hash", "platform", "user_agent", "risk_score", "state", "linked_accounts",
        "created_at",
    )  # fmt: skip
    fields = readonly_fields
    actions = ("block", "allow", "automatic")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="fingerprint")
    def fingerprint_prefix(self, device: Device) -> str:
        return device.fingerprint_hash[:16] + "…"

    @admin.display(boolean=True)
    def blocked(self, device: Device) -> bool:
        return device.blocked

    @admin.display(description="linked accounts")
    def linked_accounts(self, device: Device) -> str:
        links = device.accounts.select_related("user").order_by("-last_seen_at")[:100]
        return format_html_join(
            "", "<div>@{} — last seen {} ({} times){}</div>",
            ((link.user.handle, f"{link.last_seen_at:%Y-%m-%d}", link.activity_count,
              " — banned" if link.user.ban_active() else "") for link in links),
        )  # fmt: skip

    def _moderate(self, request, queryset, reason: str, state: str) -> int:
        for device in queryset:
            services.device_moderate(
                device=device, moderator=request.user, state=state, reason=reason
            )
        return queryset.count()

    @action_with_reason("Block the devices")
    def block(self, request, queryset, reason: str) -> int:
        return self._moderate(request, queryset, reason, DeviceState.BLOCKED)

    @action_with_reason("Allow the devices (unblock)")
    def allow(self, request, queryset, reason: str) -> int:
        return self._moderate(request, queryset, reason, DeviceState.ALLOWED)

    @action_with_reason("Return the devices to their risk score")
    def automatic(self, request, queryset, reason: str) -> int:
        return self._moderate(request, queryset, reason, DeviceState.AUTOMATIC)
