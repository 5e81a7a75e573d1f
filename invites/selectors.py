"""Reads of the invites app."""

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from invites.models import Invite, InviteQuerySet


def invite_quota_for(user: User) -> int | None:
    """How many codes the user may hold (active plus used); None for staff, who have no quota."""
    if user.is_staff:
        return None
    return settings.INVITE_QUOTAS[user.trust_level]


def invite_list_for_owner(*, owner: User) -> InviteQuerySet:
    return Invite.objects.filter(created_by=owner).select_related("used_by")


def invite_stats_for_owner(*, owner: User) -> dict[str, int | None]:
    """Created, used, active, expired and revoked counts, and the quota left, in one query."""
    now = timezone.now()
    unused = Q(used_at__isnull=True, revoked_at__isnull=True)
    counts = Invite.objects.filter(created_by=owner).aggregate(
        created=Count("id"),
        used=Count("id", filter=Q(used_at__isnull=False)),
        active=Count("id", filter=unused & Q(expires_at__gt=now)),
        expired=Count("id", filter=unused & Q(expires_at__lte=now)),
        revoked=Count("id", filter=Q(revoked_at__isnull=False)),
    )
    quota = invite_quota_for(owner)
    in_quota = counts["used"] + counts["active"]
    return {
        **counts,
        "quota": quota,
        "remaining": None if quota is None else max(0, quota - in_quota),
    }
