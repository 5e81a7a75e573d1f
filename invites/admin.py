"""The moderation console for invite codes (read-only; staff create codes with create_invite)."""

from django.contrib import admin
from django.http import HttpRequest

from ciel.admin_tools import ModerationAdmin
from invites.models import Invite


@admin.register(Invite)
class InviteAdmin(ModerationAdmin):
    list_display = ("code", "created_by", "status", "created_at", "expires_at", "used_by")
    search_fields = ("code", "created_by__handle", "used_by__handle")
    list_select_related = ("created_by", "used_by")
    ordering = ("-created_at",)
    readonly_fields = (
        "code", "created_by", "created_at", "expires_at", "used_at", "used_by", "revoked_at",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
