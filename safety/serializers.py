"""Input and output serializers of the safety app."""

from rest_framework import serializers

from ciel.api.serializers import InputSerializer
from safety.models import DeviceAccount, Report, ReportReason, ReportTarget


class RequirementSerializer(serializers.Serializer):
    minimum = serializers.IntegerField()
    current = serializers.IntegerField()
    missing = serializers.IntegerField()


class NextLevelSerializer(serializers.Serializer):
    level = serializers.CharField()
    requirements = serializers.DictField(child=RequirementSerializer())


class BanStateSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    ends_at = serializers.DateTimeField(allow_null=True)
    last_reason = serializers.CharField(allow_null=True)


class TrustScoreSerializer(serializers.Serializer):
    level = serializers.CharField()
    points = serializers.IntegerField()
    points_by_reason = serializers.DictField(child=serializers.IntegerField())
    counters = serializers.DictField(child=serializers.IntegerField())
    strikes = serializers.IntegerField()
    ban = BanStateSerializer()
    next_level = NextLevelSerializer(allow_null=True)


class WindowSerializer(serializers.Serializer):
    window_seconds = serializers.IntegerField()
    limit = serializers.IntegerField()
    remaining = serializers.IntegerField()
    reset_at = serializers.DateTimeField()


class RateLimitsSerializer(serializers.Serializer):
    trust_level = serializers.CharField()
    available = serializers.BooleanField(help_text="False while the limiter cannot be read.")
    actions = serializers.DictField(child=WindowSerializer(many=True))


class ReportInputSerializer(InputSerializer):
    target_type = serializers.ChoiceField(choices=ReportTarget.choices)
    target_id = serializers.UUIDField()
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = ("id", "target_type", "target_id", "reason", "note", "status", "created_at")
        read_only_fields = fields


class DeviceRegisterInputSerializer(InputSerializer):
    fingerprint = serializers.CharField(max_length=256)
    platform = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    user_agent = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class DeviceSerializer(serializers.ModelSerializer):
    """One of the caller's devices. The risk score stays with the moderators."""

    id = serializers.UUIDField(source="device.id")
    platform = serializers.CharField(source="device.platform")
    user_agent = serializers.CharField(source="device.user_agent")
    blocked = serializers.BooleanField(source="device.blocked")

    class Meta:
        model = DeviceAccount
        fields = (
            "id",
            "platform",
            "user_agent",
            "first_seen_at",
            "last_seen_at",
            "activity_count",
            "blocked",
        )
        read_only_fields = fields
