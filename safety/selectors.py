"""Reads of the safety app: the trust score and a user's devices."""

from typing import Any

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import timezone

from accounts.models import TrustLevel, User
from safety.models import Ban, DeviceAccount, Report, TrustLedgerEntry, TrustReason

NEXT_LEVEL = {TrustLevel.NEW: TrustLevel.BASIC, TrustLevel.BASIC: TrustLevel.TRUSTED}


def _requirements(level: str) -> dict[str, int]:
    if level == TrustLevel.BASIC:
        return {
            "account_age_days": settings.TRUST_BASIC_MIN_AGE_DAYS,
            "posts": settings.TRUST_BASIC_MIN_POSTS,
            "points": settings.TRUST_BASIC_MIN_POINTS,
        }
    return {
        "account_age_days": settings.TRUST_TRUSTED_MIN_AGE_DAYS,
        "posts": settings.TRUST_TRUSTED_MIN_POSTS,
        "points": settings.TRUST_TRUSTED_MIN_POINTS,
    }


def trust_score_for(*, user: User) -> dict[str, Any]:
    """Level, points, counters, strikes, ban state, and what the next level still needs."""
    user.refresh_from_db()
    age_days = (timezone.now() - user.created_at).days
    by_reason = dict(
        TrustLedgerEntry.objects.filter(user=user)
        .values_list("reason")
        .annotate(total=Sum("points"))
        .values_list("reason", "total")
    )
    current = {"account_age_days": age_days, "posts": user.post_count, "points": user.trust_points}
    next_level = NEXT_LEVEL.get(TrustLevel(user.trust_level))
    if user.strike_count >= settings.STRIKES_FOR_DEMOTION:
        next_level = None  # demoted by strikes: no promotion until a moderator steps in
    latest_ban = Ban.objects.filter(user=user).order_by("-ends_at").first()
    return {
        "level": user.trust_level,
        "points": user.trust_points,
        "points_by_reason": {
            reason.value: by_reason.get(reason.value, 0) for reason in TrustReason
        },
        "counters": {
            "posts": user.post_count,
            "followers": user.follower_count,
            "following": user.following_count,
            "flags_received": Report.objects.filter(target_owner=user).count(),
        },
        "strikes": user.strike_count,
        "ban": {
            "active": user.ban_active(),
            "ends_at": user.banned_until if user.ban_active() else None,
            "last_reason": latest_ban.reason if latest_ban else None,
        },
        "next_level": None
        if next_level is None
        else {
            "level": next_level,
            "requirements": {
                name: {
                    "minimum": required,
                    "current": current[name],
                    "missing": max(0, required - current[name]),
                }
                for name, required in _requirements(next_level).items()
            },
        },
    }


def devices_for(*, user: User) -> QuerySet[DeviceAccount]:
    return (
        DeviceAccount.objects.filter(user=user).select_related("device").order_by("-last_seen_at")
    )
