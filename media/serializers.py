"""Input and output serializers of the media app."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ciel.api.serializers import InputSerializer
from media.models import ALLOWED_CONTENT_TYPES, MediaItem, MediaStatus
from media.selectors import variant_urls


class UploadInputSerializer(InputSerializer):
    content_type = serializers.ChoiceField(choices=sorted(ALLOWED_CONTENT_TYPES))
    byte_size = serializers.IntegerField(min_value=1)

    def validate_byte_size(self, value: int) -> int:
        if value > settings.MEDIA_MAX_BYTES:
            raise serializers.ValidationError(
                f"Images may be at most {settings.MEDIA_MAX_BYTES} bytes."
            )
        return value


class PresignedPostSerializer(serializers.Serializer):
    url = serializers.URLField()
    fields = serializers.DictField(  # type: ignore[assignment]  # popped by the metaclass
        child=serializers.CharField(),
        help_text="Send these as form fields before the `file` field, in a multipart POST.",
    )


class UploadSlotSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="media.id")
    upload = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField()

    @extend_schema_field(PresignedPostSerializer)
    def get_upload(self, slot) -> dict:
        return PresignedPostSerializer({"url": slot.url, "fields": slot.fields}).data


class VariantSerializer(serializers.Serializer):
    url = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class VariantsSerializer(serializers.Serializer):
    thumb = VariantSerializer()
    small = VariantSerializer()
    display = VariantSerializer()
    original = VariantSerializer()


class MediaSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=MediaStatus.choices)
    variants = serializers.SerializerMethodField()

    class Meta:
        model = MediaItem
        fields = (
            "id",
            "status",
            "failure_reason",
            "content_type",
            "width",
            "height",
            "blurhash",
            "variants",
            "created_at",
        )
        read_only_fields = fields

    @extend_schema_field(VariantsSerializer(allow_null=True))
    def get_variants(self, media: MediaItem) -> dict | None:
        """The URLs of the variants once the item is ready; null before."""
        if media.status != MediaStatus.READY:
            return None
        return variant_urls(media.variants)
