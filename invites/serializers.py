"""Input and output serializers of the invites app."""

from rest_framework import serializers

from accounts.serializers import PublicUserSerializer
from invites.models import Invite, InviteStatus


class InviteSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=InviteStatus.choices, read_only=True)
    used_by = PublicUserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Invite
        fields = ("code", "status", "created_at", "expires_at", "used_at", "used_by", "revoked_at")
        read_only_fields = fields


class InviteStatsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    used = serializers.IntegerField()
    active = serializers.IntegerField()
    expired = serializers.IntegerField()
    revoked = serializers.IntegerField()
    quota = serializers.IntegerField(allow_null=True, help_text="Null for staff: no quota.")
    remaining = serializers.IntegerField(allow_null=True, help_text="Codes still allowed.")
