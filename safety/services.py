"""Writes of the safety app: keyword-only, typed, atomic functions named <noun>_<verb>."""

import uuid

from django.db import transaction

from accounts.models import User
from safety.models import TRUST_POINTS, TrustLedgerEntry, TrustReason


@transaction.atomic
def trust_points_record(
    *, user: User, reason: TrustReason, source_id: uuid.UUID | None = None
) -> TrustLedgerEntry | None:
    """Add the points SPEC §6 gives for ``reason``, once per (user, reason, source).

    Returns the new entry, or None when this source was already recorded.
    """
    points = TRUST_POINTS[reason]
    if source_id is None:
        return TrustLedgerEntry.objects.create(user=user, reason=reason, points=points)
    entry, created = TrustLedgerEntry.objects.get_or_create(
        user=user, reason=reason, source_id=source_id, defaults={"points": points}
    )
    return entry if created else None
