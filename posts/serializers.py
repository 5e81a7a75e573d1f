"""Input and output serializers of the posts app."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import PublicUserSerializer
from ciel.api.serializers import InputSerializer
from media.selectors import variant_urls
from media.serializers import VariantsSerializer
from posts.models import (
    CAPTION_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    MAX_MEDIA_PER_POST,
    Comment,
    Post,
    PostMedia,
    Visibility,
)


class PostMediaSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="media.id")
    width = serializers.IntegerField(source="media.width")
    height = serializers.IntegerField(source="media.height")
    blurhash = serializers.CharField(source="media.blurhash")
    variants = serializers.SerializerMethodField()

    @extend_schema_field(VariantsSerializer)
    def get_variants(self, link: PostMedia) -> dict:
        return variant_urls(link.media.variants)


class PostSerializer(serializers.ModelSerializer):
    author = PublicUserSerializer()
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    media = PostMediaSerializer(source="media_links", many=True)
    liked = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = (
            "id",
            "author",
            "caption",
            "visibility",
            "media",
            "like_count",
            "comment_count",
            "liked",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_liked(self, post: Post) -> bool:
        """Whether the viewer likes the post."""
        return bool(getattr(post, "liked_by_viewer", False))


class PostCreateInputSerializer(InputSerializer):
    caption = serializers.CharField(
        max_length=CAPTION_MAX_LENGTH, allow_blank=True, required=False, default=""
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PUBLIC)
    media_ids = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=MAX_MEDIA_PER_POST
    )

    def validate_media_ids(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Each media item may appear once.")
        return value


class PostUpdateInputSerializer(InputSerializer):
    caption = serializers.CharField(max_length=CAPTION_MAX_LENGTH, allow_blank=True, required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)


class LikeStateSerializer(serializers.Serializer):
    liked = serializers.BooleanField()
    like_count = serializers.IntegerField()


class CommentSerializer(serializers.ModelSerializer):
    author = PublicUserSerializer()

    class Meta:
        model = Comment
        fields = ("id", "post", "author", "body", "created_at")
        read_only_fields = fields


class CommentCreateInputSerializer(InputSerializer):
    body = serializers.CharField(max_length=COMMENT_MAX_LENGTH)
