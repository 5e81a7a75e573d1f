"""Data export, account deletion, the grace period, restore, and the purge."""

import datetime
import io
import json
import zipfile

import pytest
import requests
from django.apps import apps
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.lifecycle import account_restore, accounts_purge_due
from accounts.models import DataExport, User
from ciel import aws
from posts.models import Comment, Like, Post
from posts.services import comment_create, like_create
from social.models import Follow
from social.services import follow_create
from tests.factories import DEFAULT_PASSWORD, MediaFactory, PostFactory, UserFactory
from tests.helpers import assert_error, client_for, wait_for


def store_variants(media) -> None:
    for variant in media.variants.values():
        aws.s3_client().put_object(
            Bucket=settings.MEDIA_BUCKET, Key=variant["key"], Body=b"\xff\xd8image-bytes"
        )


@pytest.fixture
def active_user():
    """A user with a post (images in S3), a comment and a like on someone else's post,
    follows both ways, and an upload object."""
    user = UserFactory(handle="leaving")
    other = UserFactory(handle="staying")
    post = PostFactory(author=user)
    for link in post.media_links.all():
        # Real keys under the user's prefix, as the pipeline writes them.
        link.media.variants = {
            name: {**v, "key": f"media/{user.pk}/{link.media.pk}/{name}.webp"}
            for name, v in link.media.variants.items()
        }
        link.media.save()
        store_variants(link.media)
    aws.s3_client().put_object(
        Bucket=settings.MEDIA_BUCKET, Key=f"uploads/{user.pk}/raw", Body=b"raw"
    )
    others_post = PostFactory(author=other)
    comment_create(author=user, post=others_post, body="nice light")
    like_create(user=user, post=others_post)
    follow_create(follower=user, followee=other)
    follow_create(follower=other, followee=user)
    return user, other, post, others_post


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_export_zip_holds_everything_and_a_second_request_gets_429(celery_worker, active_user):
    user, _, post, _ = active_user
    client = client_for(user)

    response = client.post("/api/v1/account/export")

    assert response.status_code == 202
    export_id = response.json()["id"]
    body = wait_for(
        lambda: (
            (b := client.get(f"/api/v1/account/exports/{export_id}").json())["status"] == "ready"
            and b
        ),
        timeout=60,
    )
    archive = zipfile.ZipFile(io.BytesIO(requests.get(body["download_url"], timeout=30).content))
    assert archive.testzip() is None
    names = set(archive.namelist())
    assert {
        "profile.json", "posts.json", "comments.json", "likes.json", "follows.json",
        "blocks.json", "invites.json", "trust_ledger.json",
    } <= names  # fmt: skip
    assert json.loads(archive.read("profile.json"))["email"] == user.email
    assert [p["id"] for p in json.loads(archive.read("posts.json"))] == [str(post.pk)]
    assert json.loads(archive.read("comments.json"))[0]["body"] == "nice light"
    assert len(json.loads(archive.read("likes.json"))) == 1
    follows = json.loads(archive.read("follows.json"))
    assert follows["following"][0]["followee__handle"] == "staying"
    images = [name for name in names if name.startswith("images/")]
    assert len(images) == 1
    assert archive.read(images[0]) == b"\xff\xd8image-bytes"

    again = client.post("/api/v1/account/export")
    assert_error(again, 429, "rate_limited")
    assert int(again["Retry-After"]) > 6 * 24 * 3600
    assert DataExport.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_deleting_needs_the_password(user, user_client):
    response = user_client.delete("/api/v1/account", {"password": "wrong"})

    assert_error(response, 400, "validation_error")
    user.refresh_from_db()
    assert user.is_active


@pytest.mark.django_db
def test_deletion_hides_the_account_at_once_and_login_says_why(active_user):
    user, other, post, others_post = active_user
    client = client_for(user)

    assert client.delete("/api/v1/account", {"password": DEFAULT_PASSWORD}).status_code == 204

    assert_error(client.get("/api/v1/account"), 401, "token_invalid")
    viewer = client_for(other)
    assert viewer.get("/api/v1/users/leaving").status_code == 404
    assert viewer.get(f"/api/v1/posts/{post.pk}").status_code == 404
    comments = viewer.get(f"/api/v1/posts/{others_post.pk}/comments").json()["results"]
    assert comments == []
    login = APIClient().post(
        "/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD}
    )
    error = assert_error(login, 403, "account_deleted")
    assert "will be erased on" in error["message"]
    wrong = APIClient().post("/api/v1/auth/login", {"email": user.email, "password": "nope"})
    assert_error(wrong, 401, "invalid_credentials")


@pytest.mark.django_db
def test_a_moderator_restores_within_the_grace_period(active_user):
    user, *_ = active_user
    client_for(user).delete("/api/v1/account", {"password": DEFAULT_PASSWORD})

    account_restore(user=user, moderator=UserFactory(is_staff=True), reason="owner asked")

    login = APIClient().post(
        "/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 200
    assert accounts_purge_due(now=timezone.now() + datetime.timedelta(days=40)) == 0


def rows_referencing(user_id) -> dict[str, int]:
    """Every row in every table of ours with a foreign key to the user."""
    found = {}
    for model in apps.get_models():
        if model._meta.app_label not in {
            "accounts",
            "posts",
            "social",
            "safety",
            "invites",
            "media",
        }:
            continue
        for field in model._meta.fields:
            if field.is_relation and field.related_model is User:
                count = model.objects.filter(**{field.name: user_id}).count()
                if count:
                    found[f"{model.__name__}.{field.name}"] = count
    return found


@pytest.mark.django_db
def test_purge_after_the_grace_period_leaves_nothing_of_the_user(active_user):
    user, other, _, others_post = active_user
    client_for(user).delete("/api/v1/account", {"password": DEFAULT_PASSWORD})
    assert accounts_purge_due() == 0  # still in the grace period

    purged = accounts_purge_due(now=timezone.now() + datetime.timedelta(days=31))

    assert purged == 1
    assert not User.objects.filter(pk=user.pk).exists()
    assert rows_referencing(user.pk) == {}
    for prefix in (f"uploads/{user.pk}/", f"media/{user.pk}/", f"exports/{user.pk}/"):
        listed = aws.s3_client().list_objects_v2(Bucket=settings.MEDIA_BUCKET, Prefix=prefix)
        assert listed["KeyCount"] == 0, prefix
    # Everyone else's own data stays, with counts that still equal their rows.
    other.refresh_from_db()
    others_post.refresh_from_db()
    assert Post.objects.filter(pk=others_post.pk).exists()
    assert others_post.like_count == Like.objects.filter(post=others_post).count() == 0
    assert others_post.comment_count == Comment.objects.filter(post=others_post).count() == 0
    assert other.follower_count == Follow.objects.filter(followee=other).count() == 0
    assert other.following_count == Follow.objects.filter(follower=other).count() == 0
    assert MediaFactory._meta.model.objects.filter(owner=other).count() == 1


@pytest.mark.django_db
def test_an_export_undone_while_it_was_built_leaves_no_zip_behind(monkeypatch):
    # The request's broker send timed out and it deleted the row, but the message reached SQS
    # after all: the worker builds an export nobody will ever see, and must not keep it.
    import accounts.lifecycle

    export = DataExport.objects.create(user=UserFactory())
    documents = accounts.lifecycle.export_documents

    def documents_then_undo(user):
        DataExport.objects.filter(pk=export.pk).delete()
        return documents(user)

    monkeypatch.setattr(accounts.lifecycle, "export_documents", documents_then_undo)

    assert accounts.lifecycle.export_build(export_id=export.pk) is None
    listed = aws.s3_client().list_objects_v2(
        Bucket=settings.MEDIA_BUCKET, Prefix=f"exports/{export.user_id}/"
    )
    assert listed.get("KeyCount", 0) == 0
