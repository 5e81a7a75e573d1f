"""The own account, public profiles, and the rule that no one sees another user's email."""

import re

import pytest
from rest_framework.test import APIClient

from accounts.models import DataExport, Session
from posts.models import Comment
from tests.factories import InviteFactory, MediaFactory, PostFactory, UserFactory
from tests.helpers import assert_error, client_for, openapi_schema

pytestmark = pytest.mark.django_db

ACCOUNT = "/api/v1/account"


def test_own_account_shows_the_email(user, user_client):
    body = user_client.get(ACCOUNT).json()

    assert body["email"] == user.email
    assert body["handle"] == user.handle
    assert body["trust_level"] == "new"


def test_patch_changes_display_name_and_bio(user, user_client):
    response = user_client.patch(ACCOUNT, {"display_name": "Ana Lima", "bio": "Photos of light."})

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("Ana Lima", "Photos of light.")


@pytest.mark.parametrize(("field", "length"), [("display_name", 51), ("bio", 161)])
def test_patch_enforces_lengths(user, user_client, field, length):
    before = getattr(user, field)

    response = user_client.patch(ACCOUNT, {field: "x" * length})

    assert field in assert_error(response, 400, "validation_error")["fields"]
    user.refresh_from_db()
    assert getattr(user, field) == before


@pytest.mark.parametrize("padding", [" ", "\x1e", "\n"])
def test_lengths_count_what_the_client_sent_before_trimming(user, user_client, padding):
    # Schemathesis found this: 50 characters after a trimmed control character were accepted,
    # although the schema promises maxLength 50 on the value sent.
    before = user.display_name

    response = user_client.patch(ACCOUNT, {"display_name": padding + "x" * 50})

    assert "display_name" in assert_error(response, 400, "validation_error")["fields"]
    user.refresh_from_db()
    assert user.display_name == before


def test_patch_cannot_touch_privileged_fields(user, user_client):
    response = user_client.patch(
        ACCOUNT,
        {
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "trust_level": "verified",
            "strikes": 0,
            "trust_points": 1000,
            "email": "stolen@example.com",
            "handle": "new_handle",
            "password": "owned",
            "id": "00000000-0000-0000-0000-000000000000",
            "bio": "only this changes",
        },
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert not user.is_staff
    assert not user.is_superuser
    assert user.is_active
    assert user.trust_level == "new"
    assert user.email.startswith("person")
    assert user.handle.startswith("person_")
    assert user.check_password("correct horse battery staple")
    assert user.bio == "only this changes"


def test_public_profile_never_shows_the_email(user_client):
    other = UserFactory(handle="other_one", display_name="Other", bio="Hi")

    response = user_client.get("/api/v1/users/other_one")

    assert response.status_code == 200
    body = response.json()
    assert body["handle"] == "other_one"
    assert "email" not in body
    assert other.email not in response.content.decode()


def test_profile_handles_ignore_case(user_client):
    UserFactory(handle="other_one")

    assert user_client.get("/api/v1/users/OTHER_ONE").status_code == 200


@pytest.mark.parametrize("handle", ["nobody_here", "x" * 300, "..", "a b", "%C3%A9t%C3%A9"])
def test_unknown_profile_is_404(user_client, handle):
    assert_error(user_client.get(f"/api/v1/users/{handle}"), 404, "not_found")


@pytest.mark.parametrize("url", ["/api/v1/users/a%00b", "/api/v1/invites?cursor=%00"])
def test_a_nul_byte_in_the_url_is_a_400(user_client, url):
    assert_error(user_client.get(url), 400, "validation_error")


def test_deactivated_profile_is_404_like_a_missing_one(user_client):
    UserFactory(handle="gone_user", is_active=False)

    assert_error(user_client.get("/api/v1/users/gone_user"), 404, "not_found")


def test_profiles_need_a_login():
    UserFactory(handle="other_one")

    assert_error(APIClient().get("/api/v1/users/other_one"), 401, "not_authenticated")


def _path_values(user, other, own_invite) -> dict[str, str]:
    """A value for every path parameter in the schema, pointing at objects near other users."""
    post = PostFactory(author=other)
    comment = Comment.objects.create(post=post, author=other, body="hello")
    return {
        "handle": other.handle,
        "code": own_invite.code,
        "post_id": str(post.pk),
        "comment_id": str(comment.pk),
        "media_id": str(MediaFactory(owner=user).pk),
        "export_id": str(DataExport.objects.create(user=user).pk),
    }


def test_no_endpoint_shows_another_users_email(user):
    """Walk every GET operation of the schema as one user, with other users all around."""
    other = UserFactory(handle="other_one", email="other.secret@example.com")
    invitee = UserFactory(email="invitee.secret@example.com")
    own_invite = InviteFactory(created_by=user, used_by=invitee, used_at=user.created_at)
    InviteFactory(created_by=user)
    Session.objects.create(user=other, last_used_at=other.created_at)
    schema = openapi_schema()
    values = _path_values(user, other, own_invite)
    client = client_for(user)
    walked = []

    for path, operations in schema["paths"].items():
        if "get" not in operations or not path.startswith("/api/v1/"):
            continue
        url = re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], path)
        response = client.get(url)
        assert response.status_code < 500, url
        text = response.content.decode()
        walked.append(url)
        for secret in (other.email, invitee.email):
            assert secret not in text, f"{url} shows {secret}"

    assert "/api/v1/users/other_one" in walked
    assert "/api/v1/invites" in walked


@pytest.mark.parametrize(
    "body", [{"bio": 0}, {"display_name": ["x"]}, {"bio": True}, {"display_name": {"a": 1}}]
)
def test_wrong_json_types_are_refused_not_coerced(user, user_client, body):
    response = user_client.patch(ACCOUNT, body)

    field = next(iter(body))
    assert assert_error(response, 400, "validation_error")["fields"] == {
        field: ["Must be a string."]
    }
    user.refresh_from_db()
    assert user.bio == ""


def test_logout_all_must_be_a_boolean(user_client):
    response = user_client.post("/api/v1/auth/logout", {"all": "yes"})

    assert assert_error(response, 400, "validation_error")["fields"] == {
        "all": ["Must be a boolean."]
    }
