"""HTTP efficiency: conditional GET (ETag, 304) on profile, post and account reads, and gzip for
large reads but never for responses that carry credentials."""

import gzip
import json

import pytest
from django.test import Client

from posts.models import Visibility
from tests.factories import DEFAULT_PASSWORD, PostFactory, UserFactory
from tests.helpers import assert_error, client_for, openapi_operations, openapi_schema

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _stable_media_urls(settings):
    """Production serves variants from a CDN. Without one, each response presigns its media URLs
    anew (they change every second), and so does the ETag of anything that shows a post."""
    settings.MEDIA_CDN_URL = "https://cdn.ciel.example"


def _header_values(response, name: str) -> set[str]:
    return {value.strip().lower() for value in response.get(name, "").split(",") if value.strip()}


def assert_private_and_revalidated(response) -> None:
    """No shared cache may keep it (it differs per viewer); the client revalidates each use."""
    assert {"private", "no-cache"} <= _header_values(response, "Cache-Control")
    assert "authorization" in _header_values(response, "Vary")


# --- Conditional GET --------------------------------------------------------------------------


@pytest.mark.parametrize("resource", ["profile", "post", "account"])
def test_a_read_repeated_with_its_etag_is_answered_304_without_a_body(user, user_client, resource):
    post = PostFactory(author=user)
    path = {
        "profile": f"/api/v1/users/{user.handle}",
        "post": f"/api/v1/posts/{post.pk}",
        "account": "/api/v1/account",
    }[resource]

    first = user_client.get(path)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag
    assert_private_and_revalidated(first)

    again = user_client.get(path, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert_private_and_revalidated(again)
    # Any other validator gets the full body.
    stale = user_client.get(path, HTTP_IF_NONE_MATCH='"not-the-current-one"')
    assert stale.status_code == 200
    assert stale.json() == first.json()


def test_a_changed_profile_gets_a_new_etag(user, user_client):
    path = f"/api/v1/users/{user.handle}"
    etag = user_client.get(path)["ETag"]

    assert user_client.patch("/api/v1/account", {"bio": "Now with a bio"}).status_code == 200
    response = user_client.get(path, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["bio"] == "Now with a bio"
    assert response["ETag"] != etag


def test_the_etag_of_a_post_differs_per_viewer_and_follows_the_like(user, user_client):
    post = PostFactory(visibility=Visibility.PUBLIC)
    path = f"/api/v1/posts/{post.pk}"
    other_client = client_for(UserFactory())
    before = user_client.get(path)["ETag"]
    assert other_client.get(path)["ETag"] == before  # same body so far

    assert user_client.post(f"{path}/like").status_code == 200

    mine = user_client.get(path, HTTP_IF_NONE_MATCH=before)
    assert mine.status_code == 200
    assert mine.json()["liked"] is True
    # The other viewer's copy changed only by the count: they do not like it.
    theirs = other_client.get(path, HTTP_IF_NONE_MATCH=before)
    assert theirs.status_code == 200
    assert theirs.json()["liked"] is False
    assert theirs.json()["like_count"] == 1
    assert len({before, mine["ETag"], theirs["ETag"]}) == 3


def test_a_hidden_post_answers_404_whatever_the_validator(user_client):
    """`If-None-Match: *` means "any current representation": it must not reveal that one
    exists for a post the viewer may not see."""
    hidden = PostFactory(visibility=Visibility.FOLLOWERS)

    for validator in ("*", '"anything"'):
        response = user_client.get(f"/api/v1/posts/{hidden.pk}", HTTP_IF_NONE_MATCH=validator)
        assert_error(response, 404, "not_found")
        assert "ETag" not in response


def test_the_etag_survives_gzip_as_a_weak_validator(user, user_client):
    """A gzipped copy carries W/"…"; sent back, it still matches (weak comparison)."""
    user.bio = "b" * 150  # a body big enough to compress
    user.save(update_fields=["bio"])
    path = f"/api/v1/users/{user.handle}"

    compressed = user_client.get(path, HTTP_ACCEPT_ENCODING="gzip")
    assert compressed["Content-Encoding"] == "gzip"
    assert compressed["ETag"].startswith('W/"')

    again = user_client.get(
        path, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=compressed["ETag"]
    )
    assert again.status_code == 304


def test_the_schema_documents_304_only_where_it_can_happen():
    schema = openapi_schema()
    operations = openapi_operations(schema)

    for operation_id in ("user_get", "post_get", "account_get"):
        operation = operations[operation_id]
        assert "304" in operation["responses"], operation_id
        assert "content" not in operation["responses"]["304"]
        assert "ETag" in operation["responses"]["304"]["headers"]
        assert "ETag" in operation["responses"]["200"]["headers"]
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert headers == ["If-None-Match"], operation_id
    assert "400" not in operations["account_get"]["responses"]  # a header is never refused
    others = [op for op in operations if op not in ("user_get", "post_get", "account_get")]
    assert all("304" not in operations[op]["responses"] for op in others)


# --- gzip -------------------------------------------------------------------------------------


def test_a_50_post_feed_page_is_gzipped_and_decodes_to_the_same_json(user, user_client):
    followee = UserFactory()
    assert user_client.post(f"/api/v1/users/{followee.handle}/follow").status_code in (200, 201)
    PostFactory.create_batch(50, author=followee)
    path = "/api/v1/feed/home?limit=50"

    plain = user_client.get(path)
    compressed = user_client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert "Content-Encoding" not in plain
    assert "accept-encoding" in _header_values(plain, "Vary")
    assert compressed.status_code == 200
    assert compressed["Content-Encoding"] == "gzip"
    assert int(compressed["Content-Length"]) == len(compressed.content)
    assert len(compressed.content) * 4 < len(plain.content)
    decoded = gzip.decompress(compressed.content)
    assert len(plain.json()["results"]) == 50
    assert json.loads(decoded) == plain.json()


def test_login_responses_are_never_gzipped():
    """They carry a token pair: no compression where a secret sits (BREACH)."""
    user = UserFactory()

    response = Client().post(
        "/api/v1/auth/login",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        content_type="application/json",
        HTTP_ACCEPT_ENCODING="gzip",
    )

    assert response.status_code == 200
    assert len(response.content) > 200  # big enough that plain GZipMiddleware would compress it
    assert "Content-Encoding" not in response
    assert response.json()["refresh_token"]


def test_invite_codes_are_never_gzipped(user, user_client):
    """A GET that carries credentials (each invite code is an account) stays uncompressed."""
    user.is_staff = True  # no quota: enough codes for a body worth compressing
    user.save(update_fields=["is_staff"])
    for _ in range(5):
        assert user_client.post("/api/v1/invites").status_code == 201

    response = user_client.get("/api/v1/invites", HTTP_ACCEPT_ENCODING="gzip")

    assert response.status_code == 200
    assert len(response.content) > 200
    assert "Content-Encoding" not in response
