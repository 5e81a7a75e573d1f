"""Reads of the media app."""

import uuid
from functools import partial

from django.conf import settings
from rest_framework.exceptions import NotFound

from accounts.models import User
from ciel import aws
from media.models import MediaItem


def media_get_for_owner(*, owner: User, media_id: uuid.UUID) -> MediaItem:
    """Media items are visible to their uploader only (posts show them to everyone else)."""
    media = MediaItem.objects.filter(pk=media_id, owner=owner).first()
    if media is None:
        raise NotFound()
    return media


def variant_urls(variants: dict[str, dict]) -> dict[str, dict]:
    """``{name: {url, width, height}}`` for a media item's stored variants: on the CDN when one
    is configured, else presigned GETs (a local HMAC, no request to S3, so cheap enough per
    response). The setting is read once per item, not per URL: a 50-post feed page has 200
    variant URLs, and each read of a Django setting costs about a microsecond."""
    cdn = settings.MEDIA_CDN_URL
    url = partial(_cdn_url, cdn.rstrip("/")) if cdn else _presigned_url
    return {
        name: {"url": url(v["key"]), "width": v["width"], "height": v["height"]}
        for name, v in variants.items()
    }


def _cdn_url(base: str, key: str) -> str:
    return f"{base}/{key}"


def _presigned_url(key: str) -> str:
    return aws.s3_client().generate_presigned_url(
        "get_object",
        Params={"Bucket": settings.MEDIA_BUCKET, "Key": key},
        ExpiresIn=settings.MEDIA_URL_EXPIRY_SECONDS,
    )
