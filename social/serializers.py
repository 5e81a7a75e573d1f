"""Input and output serializers of the social app."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.serializers import PublicUserSerializer
from ciel.api.serializers import InputSerializer
from social.models import Notification, NotificationType


class RelationshipSerializer(serializers.Serializer):
    following = serializers.BooleanField()
    followed_by = serializers.BooleanField()
    blocking = serializers.BooleanField()
    blocked_by = serializers.BooleanField()


class FollowerSerializer(serializers.Serializer):
    """An entry of a followers list: the user, and since when they follow."""

    user = PublicUserSerializer(source="follower")
    followed_at = serializers.DateTimeField(source="created_at")


class FollowingSerializer(serializers.Serializer):
    user = PublicUserSerializer(source="followee")
    followed_at = serializers.DateTimeField(source="created_at")


class NotificationSerializer(serializers.ModelSerializer):
    type = serializers.ChoiceField(choices=NotificationType.choices)
    actor = PublicUserSerializer(allow_null=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ("id", "type", "actor", "object_id", "message", "created_at", "read_at", "read")
        read_only_fields = fields

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


# The whole page, as the list view answers it: not an item for the paginator to wrap.
@extend_schema_serializer(many=False)
class NotificationPageSerializer(serializers.Serializer):
    results = NotificationSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)
    unread_count = serializers.IntegerField()


class NotificationReadInputSerializer(InputSerializer):
    ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=100, allow_empty=False
    )
    all = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if not attrs.get("all") and not attrs.get("ids"):
            raise serializers.ValidationError("Give ids, or all: true.")
        return attrs


class NotificationReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread_count = serializers.IntegerField()
