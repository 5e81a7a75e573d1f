"""The hourly sweep of deleted posts' images whose cleanup job never reached the queue."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from ciel import aws
from media.models import MediaItem, MediaStatus
from media.services import DELETED_WITH_POST, media_orphans_delete
from tests.factories import MediaFactory

pytestmark = pytest.mark.django_db


def stored(status: MediaStatus, reason: str, *, age: datetime.timedelta) -> MediaItem:
    media = MediaFactory(status=status, failure_reason=reason)
    variants = {
        name: {**variant, "key": media.variant_key(name, "webp")}
        for name, variant in media.variants.items()
    }
    MediaItem.objects.filter(pk=media.pk).update(variants=variants, updated_at=timezone.now() - age)
    for key in [media.upload_key, *(variant["key"] for variant in variants.values())]:
        aws.s3_client().put_object(Bucket=settings.MEDIA_BUCKET, Key=key, Body=b"image")
    return media


def objects_of(media: MediaItem) -> int:
    client = aws.s3_client()
    return sum(
        client.list_objects_v2(Bucket=settings.MEDIA_BUCKET, Prefix=prefix)["KeyCount"]
        for prefix in (media.upload_key, f"media/{media.owner_id}/{media.pk}/")
    )


def test_the_sweep_deletes_only_old_items_of_deleted_posts():
    hour = datetime.timedelta(hours=1)
    orphan = stored(MediaStatus.FAILED, DELETED_WITH_POST, age=2 * hour)
    # A cleanup job may still be on its way for this one.
    recent = stored(MediaStatus.FAILED, DELETED_WITH_POST, age=datetime.timedelta(minutes=5))
    # A failed upload is the owner's to see, not garbage.
    failed = stored(MediaStatus.FAILED, "The file is not a JPEG.", age=2 * hour)
    ready = stored(MediaStatus.READY, "", age=2 * hour)

    assert media_orphans_delete(older_than=hour) == 1

    assert not MediaItem.objects.filter(pk=orphan.pk).exists()
    assert objects_of(orphan) == 0
    for kept in (recent, failed, ready):
        assert MediaItem.objects.filter(pk=kept.pk).exists()
        assert objects_of(kept) == 5
    assert media_orphans_delete(older_than=hour) == 0  # running it again changes nothing


def test_the_sweep_runs_hourly():
    entry = settings.CELERY_BEAT_SCHEDULE["media-orphans"]

    assert entry["task"] == "media.tasks.media_orphans_delete_task"
    assert entry["schedule"] == 3600.0
