"""Input and output serializers of the accounts app, kept apart."""

from django.core.validators import MinLengthValidator
from rest_framework import serializers

from accounts.models import (
    HANDLE_MAX_LENGTH,
    HANDLE_MIN_LENGTH,
    User,
    handle_pattern_validator,
    normalize_email,
    validate_handle_not_reserved,
)
from ciel.api.serializers import InputSerializer

# Argon2 hashes any length, but a megabyte password would still cost a megabyte of hashing.
PASSWORD_MAX_LENGTH = 256

# --- Output ---------------------------------------------------------------------------------------


class PublicUserSerializer(serializers.ModelSerializer):
    """A user as anyone else sees them, wherever a user is embedded. Never the email."""

    class Meta:
        model = User
        fields = (
            "id",
            "handle",
            "display_name",
            "bio",
            "follower_count",
            "following_count",
            "post_count",
            "created_at",
        )
        read_only_fields = fields


class AccountSerializer(serializers.ModelSerializer):
    """The owner's own account: the public fields plus the private ones."""

    class Meta:
        model = User
        fields = (
            *PublicUserSerializer.Meta.fields,
            "email",
            "trust_level",
            "is_staff",
            "updated_at",
        )
        read_only_fields = fields


class TokenPairSerializer(serializers.Serializer):
    user = AccountSerializer()
    access_token = serializers.CharField()
    access_expires_at = serializers.DateTimeField()
    refresh_token = serializers.CharField()


# --- Input ----------------------------------------------------------------------------------------


class HandleField(serializers.CharField):
    """A handle as SPEC §4 allows it; input is lowercased, since handles ignore case."""

    def __init__(self, **kwargs):
        super().__init__(
            min_length=HANDLE_MIN_LENGTH,
            max_length=HANDLE_MAX_LENGTH,
            validators=[
                MinLengthValidator(HANDLE_MIN_LENGTH),
                handle_pattern_validator,
                validate_handle_not_reserved,
            ],
            **kwargs,
        )

    def to_internal_value(self, data):
        return super().to_internal_value(data).lower()


class NormalizedEmailField(serializers.EmailField):
    """An email as it will be stored (lowercased), checked again after lowercasing: some
    characters lowercase to two ("İ"), which could push a valid address over 254."""

    def to_internal_value(self, data):
        value = normalize_email(super().to_internal_value(data))
        if len(value) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return value


class SignupInputSerializer(InputSerializer):
    invite_code = serializers.CharField(min_length=12, max_length=12)
    email = NormalizedEmailField(max_length=254)
    handle = HandleField()
    password = serializers.CharField(
        max_length=PASSWORD_MAX_LENGTH, write_only=True, trim_whitespace=False
    )
    display_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    device_fingerprint = serializers.CharField(
        max_length=256, required=False, help_text="A stable device id, e.g. FingerprintJS's."
    )


class LoginInputSerializer(InputSerializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)
    device_fingerprint = serializers.CharField(max_length=256, required=False)


class RefreshInputSerializer(InputSerializer):
    refresh_token = serializers.CharField(max_length=200)


class LogoutInputSerializer(InputSerializer):
    refresh_token = serializers.CharField(max_length=200, required=False)
    all = serializers.BooleanField(
        required=False, default=False, help_text="End every session (needs an access token)."
    )

    def validate(self, attrs):
        if not attrs.get("all") and not attrs.get("refresh_token"):
            raise serializers.ValidationError("Give a refresh_token, or all: true.")
        return attrs


class PasswordChangeInputSerializer(InputSerializer):
    current_password = serializers.CharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)
    new_password = serializers.CharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)


class AccountUpdateInputSerializer(InputSerializer):
    """The only fields PATCH /account can change; any other field in the body is ignored."""

    display_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    bio = serializers.CharField(max_length=160, required=False, allow_blank=True)


class AccountDeleteInputSerializer(InputSerializer):
    password = serializers.CharField(max_length=PASSWORD_MAX_LENGTH, trim_whitespace=False)


class DataExportSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    byte_size = serializers.IntegerField(allow_null=True)
    download_url = serializers.CharField(
        allow_null=True, help_text="A short-lived link to the zip, once it is ready."
    )
