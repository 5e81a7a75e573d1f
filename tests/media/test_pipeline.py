"""Uploads through a presigned POST to the local S3, processed by a real worker over SQS."""

import base64
import io
import json
import re
import time

import pytest
import requests
from django.conf import settings
from PIL import Image

from ciel import aws
from media.models import MediaItem, MediaStatus
from tests.factories import UserFactory
from tests.helpers import client_for, wait_for
from tests.media.images import jpeg_with_gps_and_rotation, plain_jpeg, png_bomb, truncated_jpeg

pytestmark = pytest.mark.django_db(transaction=True)


def upload(client, data: bytes, content_type: str = "image/jpeg", declared_size=None) -> str:
    """The client's whole upload: ask for a slot, POST the file to S3, say it is complete."""
    slot = client.post(
        "/api/v1/media/uploads",
        {"content_type": content_type, "byte_size": declared_size or len(data)},
    )
    assert slot.status_code == 201, slot.content
    body = slot.json()
    stored = requests.post(
        body["upload"]["url"],
        data=body["upload"]["fields"],
        files={"file": ("upload", data, content_type)},
        timeout=30,
    )
    assert stored.status_code in (200, 201, 204), stored.text
    complete = client.post(f"/api/v1/media/uploads/{body['id']}/complete")
    assert complete.status_code == 202
    return body["id"]


def wait_until_done(client, media_id: str, timeout: float = 60) -> dict:
    def done():
        body = client.get(f"/api/v1/media/{media_id}").json()
        return body if body["status"] in ("ready", "failed") else None

    return wait_for(done, timeout=timeout, interval=0.2)


def fetch(url: str) -> bytes:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200
    return response.content


def test_upload_slot_policy_fixes_key_type_size_and_expiry(user, user_client):
    response = user_client.post(
        "/api/v1/media/uploads", {"content_type": "image/png", "byte_size": 1234}
    )

    body = response.json()
    fields = body["upload"]["fields"]
    assert fields["key"] == f"uploads/{user.pk}/{body['id']}"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": fields["key"]} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, settings.MEDIA_MAX_BYTES] in conditions
    assert {"bucket": settings.MEDIA_BUCKET} in conditions
    expires_in = time.mktime(time.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ")) - (
        time.mktime(time.gmtime())
    )
    assert 280 <= expires_in <= 301
    assert MediaItem.objects.get(pk=body["id"]).status == MediaStatus.PENDING


@pytest.mark.parametrize(
    "body",
    [
        {"content_type": "image/gif", "byte_size": 10},
        {"content_type": "text/html", "byte_size": 10},
        {"content_type": "image/jpeg", "byte_size": 0},
        {"content_type": "image/jpeg", "byte_size": 20 * 1024 * 1024 + 1},
        {"content_type": "image/jpeg", "byte_size": "10"},
        {"content_type": "image/jpeg"},
    ],
)
def test_upload_slot_validation(user_client, body):
    response = user_client.post("/api/v1/media/uploads", body)

    assert response.status_code == 400
    assert not MediaItem.objects.exists()


def test_media_of_others_is_404(user_client):
    other = client_for(UserFactory())
    media_id = other.post(
        "/api/v1/media/uploads", {"content_type": "image/jpeg", "byte_size": 10}
    ).json()["id"]

    assert user_client.get(f"/api/v1/media/{media_id}").status_code == 404
    assert user_client.post(f"/api/v1/media/uploads/{media_id}/complete").status_code == 404
    assert MediaItem.objects.get(pk=media_id).status == MediaStatus.PENDING


@pytest.mark.worker
def test_a_real_jpeg_is_processed_end_to_end_without_its_metadata(celery_worker, user_client):
    media_id = upload(user_client, jpeg_with_gps_and_rotation(1600, 800))

    body = wait_until_done(user_client, media_id)

    assert body["status"] == "ready", body
    assert (body["width"], body["height"]) == (800, 1600)  # orientation applied
    assert body["blurhash"]
    expected = {
        "thumb": (150, 150),
        "small": (300, 300),
        "display": (540, 1080),
        "original": (800, 1600),
    }
    for name, size in expected.items():
        variant = body["variants"][name]
        data = fetch(variant["url"])
        image = Image.open(io.BytesIO(data))
        assert image.size == size == (variant["width"], variant["height"]), name
        assert not image.getexif(), name
        assert "xmp" not in image.info, name
        assert b"CielTestCam" not in data, name
        assert b"ns.adobe.com" not in data, name
        assert b"Exif\x00\x00" not in data, name
    display = Image.open(io.BytesIO(fetch(body["variants"]["display"]["url"]))).convert("RGB")
    assert display.getpixel((270, 200))[0] > 150  # the red half is on top
    assert display.getpixel((270, 900))[2] > 150


@pytest.mark.worker
def test_hostile_files_fail_with_a_reason_and_the_worker_carries_on(celery_worker, user_client):
    hostile = {
        "bomb": (png_bomb(), "image/png", None),
        "text": (b"not a jpeg at all\n" * 20, "image/jpeg", None),
        "truncated": (truncated_jpeg(), "image/jpeg", None),
        # Declared small, stored large: the local S3 does not enforce the policy's range.
        "oversize": (b"\xff\xd8" + b"\x00" * (settings.MEDIA_MAX_BYTES + 10), "image/jpeg", 1000),
    }
    ids = {
        name: upload(user_client, data, content_type, declared)
        for name, (data, content_type, declared) in hostile.items()
    }
    good = upload(user_client, plain_jpeg())

    results = {name: wait_until_done(user_client, media_id) for name, media_id in ids.items()}

    assert {name: body["status"] for name, body in results.items()} == dict.fromkeys(
        hostile, "failed"
    )
    assert "megapixels" in results["bomb"]["failure_reason"]
    assert "not a JPEG" in results["text"]["failure_reason"]
    assert "damaged" in results["truncated"]["failure_reason"]
    assert "larger than" in results["oversize"]["failure_reason"]
    assert all(body["variants"] is None for body in results.values())
    assert wait_until_done(user_client, good)["status"] == "ready"
    assert celery_worker.process.poll() is None, "the worker must still be running"


@pytest.mark.worker
def test_completing_twice_processes_once(celery_worker, user, user_client):
    media_id = upload(user_client, plain_jpeg())
    user_client.post(f"/api/v1/media/uploads/{media_id}/complete")

    body = wait_until_done(user_client, media_id)

    assert body["status"] == "ready"
    time.sleep(2)  # give a duplicate job the time to run, if one had been queued
    ready_lines = [line for line in celery_worker.lines if f"media {media_id} ready" in line]
    assert len(ready_lines) == 1


@pytest.mark.worker
def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(start_worker):
    user = UserFactory()
    client = client_for(user)
    first = start_worker()
    ids = [upload(client, plain_jpeg(1600, 1200)) for _ in range(20)]

    wait_for(
        lambda: MediaItem.objects.filter(pk__in=ids, status=MediaStatus.READY).count() >= 3,
        timeout=60,
    )
    first.kill()
    ready_at_kill = MediaItem.objects.filter(pk__in=ids, status=MediaStatus.READY).count()
    assert ready_at_kill < 20, "the batch finished before the kill; the test proves nothing"
    second = start_worker()

    wait_for(
        lambda: MediaItem.objects.filter(pk__in=ids, status=MediaStatus.READY).count() == 20,
        timeout=120,
        interval=0.5,
    )
    log = first.lines + second.lines
    for media_id in ids:
        completions = [line for line in log if re.search(f"media {media_id} ready in", line)]
        assert len(completions) == 1, (media_id, completions)
        listed = aws.s3_client().list_objects_v2(
            Bucket=settings.MEDIA_BUCKET, Prefix=f"media/{user.pk}/{media_id}/"
        )
        keys = sorted(item["Key"].rsplit("/", 1)[1] for item in listed.get("Contents", []))
        assert keys == ["display.webp", "original.jpg", "small.webp", "thumb.webp"]


@pytest.mark.worker
def test_deleting_a_post_removes_its_images_from_s3(celery_worker, user, user_client):
    media_id = upload(user_client, plain_jpeg())
    assert wait_until_done(user_client, media_id)["status"] == "ready"
    post = user_client.post("/api/v1/posts", {"media_ids": [media_id]}).json()
    prefix = {"Bucket": settings.MEDIA_BUCKET}
    variant_prefix = f"media/{user.pk}/{media_id}/"
    assert aws.s3_client().list_objects_v2(**prefix, Prefix=variant_prefix)["KeyCount"] == 4

    assert user_client.delete(f"/api/v1/posts/{post['id']}").status_code == 204

    wait_for(lambda: not MediaItem.objects.filter(pk=media_id).exists())
    assert aws.s3_client().list_objects_v2(**prefix, Prefix=variant_prefix)["KeyCount"] == 0
    upload_key = f"uploads/{user.pk}/{media_id}"
    assert aws.s3_client().list_objects_v2(**prefix, Prefix=upload_key)["KeyCount"] == 0
