"""Reads of the media app."""

import uuid

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


def variant_url(key: str) -> str:
    """A variant's public URL: on the CDN when one is configured, else a presigned GET.

    Presigning is a local HMAC, no request to S3, so it is cheap enough per response.
    """
    if settings.MEDIA_CDN_URL:
        return f"{settings.MEDIA_CDN_URL.rstrip('/')}/{key}"
    return aws.s3_client().generate_presigned_url(
        "get_object",
        Params={"Bucket": settings.MEDIA_BUCKET, "Key": key},
        ExpiresIn=settings.MEDIA_URL_EXPIRY_SECONDS,
    )


def variant_urls(variants: dict[str, dict]) -> dict[str, dict]:
    """``{name: {url, width, height}}`` for a media item's stored variants."""
    return {
        name: {"url": variant_url(v["key"]), "width": v["width"], "height": v["height"]}
        for name, v in variants.items()
    }
