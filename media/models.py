"""Uploaded images and their processed variants (SPEC §9)."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models


class MediaStatus(models.TextChoices):
    PENDING = "pending"  # upload URL handed out, nothing stored yet
    UPLOADED = "uploaded"  # the client says the upload is done; processing is queued
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


ALLOWED_CONTENT_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


class MediaItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media_items"
    )
    status = models.CharField(
        max_length=12, choices=MediaStatus.choices, default=MediaStatus.PENDING
    )
    content_type = models.CharField(max_length=20)
    byte_size = models.PositiveIntegerField(help_text="As declared by the client.")
    # A sentence the client can show when processing failed.
    failure_reason = models.CharField(max_length=200, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    blurhash = models.CharField(max_length=64, blank=True)
    # {"thumb": {"key": ..., "width": ..., "height": ..., "content_type": ...}, ...}
    variants = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [
            # A user's ready media, checked when a post is created.
            models.Index(fields=["owner", "status"], name="media_owner_status_idx"),
        ]

    def __str__(self) -> str:
        return f"media {self.pk} ({self.status})"

    @property
    def upload_key(self) -> str:
        """Where the client uploads the original: under the uploader's own prefix."""
        return f"uploads/{self.owner_id}/{self.pk}"

    def variant_key(self, name: str, extension: str) -> str:
        return f"media/{self.owner_id}/{self.pk}/{name}.{extension}"
