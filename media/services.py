"""Writes of the media app: upload slots, the processing job's steps, deletion."""

import datetime
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from ciel import aws
from ciel.api.exceptions import Conflict
from ciel.queueing import BrokerUnavailable, task_enqueue
from media.imaging import ImageRejected, process_image
from media.models import ALLOWED_CONTENT_TYPES, MediaItem, MediaStatus

logger = logging.getLogger(__name__)

# Variants never change once written (new media gets a new id), so caches may keep them forever.
VARIANT_CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class UploadSlot:
    media: MediaItem
    url: str
    fields: dict[str, str]
    expires_at: datetime.datetime


def media_upload_create(*, owner: User, content_type: str, byte_size: int) -> UploadSlot:
    """A pending media item and a presigned S3 POST that can store only its original."""
    media = MediaItem.objects.create(owner=owner, content_type=content_type, byte_size=byte_size)
    expires_in = settings.MEDIA_UPLOAD_EXPIRY_SECONDS
    post = aws.s3_client().generate_presigned_post(
        Bucket=settings.MEDIA_BUCKET,
        Key=media.upload_key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"Content-Type": content_type},
            ["content-length-range", 1, settings.MEDIA_MAX_BYTES],
        ],
        ExpiresIn=expires_in,
    )
    return UploadSlot(
        media=media,
        url=post["url"],
        fields=post["fields"],
        expires_at=timezone.now() + datetime.timedelta(seconds=expires_in),
    )


def media_upload_complete(*, media: MediaItem) -> MediaItem:
    """pending → uploaded, and queue processing after commit; repeating it changes nothing.

    If the broker cannot take the job, the item goes back to pending and the call raises
    BrokerUnavailable (503): the client's retry of ``complete`` queues it again.
    """
    with transaction.atomic():
        moved = MediaItem.objects.filter(pk=media.pk, status=MediaStatus.PENDING).update(
            status=MediaStatus.UPLOADED, updated_at=timezone.now()
        )
        if moved:
            transaction.on_commit(lambda: _processing_enqueue(media.pk))
    media.refresh_from_db()
    return media


def _processing_enqueue(media_id: uuid.UUID) -> None:
    from media.tasks import process_media_task

    try:
        task_enqueue(process_media_task, str(media_id))
    except BrokerUnavailable:
        # Only from uploaded: a job SQS took after all (a timed-out send may have arrived) and
        # a worker already claimed keeps its item; an unclaimed one finds pending and does
        # nothing, and the retried complete queues a job that does the work once.
        MediaItem.objects.filter(pk=media_id, status=MediaStatus.UPLOADED).update(
            status=MediaStatus.PENDING, updated_at=timezone.now()
        )
        raise


class TransientStorageError(Exception):
    """S3 failed in a way worth retrying (throttling, a 5xx, a dropped connection)."""


def media_process(*, media_id: uuid.UUID) -> MediaItem | None:
    """Run the processing job for one media item; safe to run twice, or after a crash.

    The claim moves ``uploaded`` (or a ``processing`` left by a killed worker) to ``processing``;
    a ready or failed item is left alone, so a duplicate delivery changes nothing. Variants go to
    fixed keys, so a re-run overwrites rather than adds. A bad image fails at once; storage
    trouble raises TransientStorageError for the task to retry.
    """
    claimed = MediaItem.objects.filter(
        pk=media_id, status__in=[MediaStatus.UPLOADED, MediaStatus.PROCESSING]
    ).update(status=MediaStatus.PROCESSING, updated_at=timezone.now())
    if not claimed:
        return None
    media = MediaItem.objects.get(pk=media_id)
    started = time.perf_counter()
    try:
        data = _download_checked(media)
        processed = process_image(
            data,
            expected_format=ALLOWED_CONTENT_TYPES[media.content_type],
            max_pixels=settings.MEDIA_MAX_PIXELS,
        )
    except ImageRejected as exc:
        return _media_fail(media, str(exc))
    variants = {}
    for variant in processed.variants:
        key = media.variant_key(variant.name, variant.extension)
        _put_object(key, variant.data, variant.content_type)
        variants[variant.name] = {
            "key": key,
            "width": variant.width,
            "height": variant.height,
            "content_type": variant.content_type,
        }
    finished = MediaItem.objects.filter(pk=media.pk, status=MediaStatus.PROCESSING).update(
        status=MediaStatus.READY,
        width=processed.width,
        height=processed.height,
        blurhash=processed.blurhash,
        variants=variants,
        failure_reason="",
        processed_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if not finished:  # another delivery of the same job finished it first
        return None
    logger.info("media %s ready in %.0f ms", media.pk, (time.perf_counter() - started) * 1000)
    return MediaItem.objects.get(pk=media.pk)


def _download_checked(media: MediaItem) -> bytes:
    """The stored original, after checking what the upload policy should have enforced.

    The policy fixes size and type, but a local S3 server does not enforce POST policies, and
    this check costs one HEAD: so it is the real guard, not the policy.
    """
    client = aws.s3_client()
    try:
        head = client.head_object(Bucket=settings.MEDIA_BUCKET, Key=media.upload_key)
    except ClientError as exc:
        if _error_code(exc) in ("404", "NoSuchKey", "NotFound"):
            raise ImageRejected("No file was uploaded.") from exc
        raise TransientStorageError(str(exc)) from exc
    if head["ContentLength"] > settings.MEDIA_MAX_BYTES:
        limit_mb = settings.MEDIA_MAX_BYTES // (1024 * 1024)
        raise ImageRejected(f"The file is larger than {limit_mb} MB.")
    if head.get("ContentType") != media.content_type:
        raise ImageRejected("The file's type does not match the declared type.")
    try:
        body = client.get_object(Bucket=settings.MEDIA_BUCKET, Key=media.upload_key)["Body"]
        # Read one byte past the limit: the object may have grown since the HEAD.
        data = body.read(settings.MEDIA_MAX_BYTES + 1)
    except ClientError as exc:
        raise TransientStorageError(str(exc)) from exc
    if len(data) > settings.MEDIA_MAX_BYTES:
        raise ImageRejected("The file is too large.")
    return data


def _put_object(key: str, data: bytes, content_type: str) -> None:
    try:
        aws.s3_client().put_object(
            Bucket=settings.MEDIA_BUCKET,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl=VARIANT_CACHE_CONTROL,
        )
    except ClientError as exc:
        raise TransientStorageError(str(exc)) from exc


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _media_fail(media: MediaItem, reason: str) -> MediaItem:
    MediaItem.objects.filter(pk=media.pk, status=MediaStatus.PROCESSING).update(
        status=MediaStatus.FAILED, failure_reason=reason, updated_at=timezone.now()
    )
    logger.info("media %s failed: %s", media.pk, reason)
    media.refresh_from_db()
    return media


def media_fail_after_retries(*, media_id: uuid.UUID) -> None:
    """Give up on an item whose storage kept failing, so the client is not left waiting."""
    MediaItem.objects.filter(
        pk=media_id, status__in=[MediaStatus.UPLOADED, MediaStatus.PROCESSING]
    ).update(
        status=MediaStatus.FAILED,
        failure_reason="Processing failed. Try uploading the image again.",
        updated_at=timezone.now(),
    )


def media_attachable(*, owner: User, media_ids: list[uuid.UUID]) -> list[MediaItem]:
    """Lock the owner's ready media with these ids, in order; 409 if any is not usable."""
    found = {
        item.pk: item
        for item in MediaItem.objects.select_for_update().filter(pk__in=media_ids, owner=owner)
    }
    missing_or_unready = [
        media_id
        for media_id in media_ids
        if media_id not in found or found[media_id].status != MediaStatus.READY
    ]
    if missing_or_unready:
        raise Conflict(
            "Every media item must be one of your own uploads, processed and ready.",
            code="media_not_ready",
        )
    return [found[media_id] for media_id in media_ids]


# A deleted post's items, marked so (no new post may take them) until their objects leave S3.
DELETED_WITH_POST = "Deleted with its post."
ORPHAN_SWEEP_BATCH = 1000


def media_orphans_delete(*, older_than: datetime.timedelta) -> int:
    """Delete the items of deleted posts whose cleanup job never ran (the broker was down when
    the post went): their rows are the durable record of the job, picked up here."""
    cutoff = timezone.now() - older_than
    media_ids = list(
        MediaItem.objects.filter(
            status=MediaStatus.FAILED, failure_reason=DELETED_WITH_POST, updated_at__lt=cutoff
        ).values_list("pk", flat=True)[:ORPHAN_SWEEP_BATCH]
    )
    return media_objects_delete(media_ids=media_ids) if media_ids else 0


def media_objects_delete(*, media_ids: list[uuid.UUID]) -> int:
    """Delete the items' objects from S3 (original and variants), then their rows."""
    items = list(MediaItem.objects.filter(pk__in=media_ids))
    keys: list[dict[str, Any]] = []
    for item in items:
        keys.append({"Key": item.upload_key})
        keys += [{"Key": variant["key"]} for variant in item.variants.values()]
    client = aws.s3_client()
    for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
        client.delete_objects(
            Bucket=settings.MEDIA_BUCKET, Delete={"Objects": keys[start : start + 1000]}
        )
    MediaItem.objects.filter(pk__in=[item.pk for item in items]).delete()
    return len(items)
