"""The local S3/SQS server stopped under a real API process: clear 503s, nothing lost, and the
queued work resumes when the server is back.

The throwaway moto_server is frozen with SIGSTOP rather than killed. A frozen server keeps its
in-memory buckets, queues and messages, so the test can show that nothing queued or stored
before the outage is lost; and a server that accepts connections but never answers is the
harder case, the one only client timeouts end (a killed server refuses connections at once,
the last part of the test). Killing and restarting moto would lose its state, which a real S3
or SQS outage does not.
"""

import datetime
import os
import signal
import threading
import time
import uuid
from typing import Any

import pytest
import requests
from django.conf import settings as django_settings
from django.core.management import call_command

from accounts.models import DataExport, User
from accounts.tokens import access_token_issue
from ciel import aws
from feed import timelines
from media.models import MediaItem, MediaStatus
from media.services import DELETED_WITH_POST, media_orphans_delete
from posts.models import Post
from tests.factories import MediaFactory, UserFactory
from tests.helpers import session_for, throwaway_moto, wait_for
from tests.media.images import plain_jpeg

pytestmark = [pytest.mark.fault, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Against a frozen server the broker's client gives up after 2 attempts of a 2 s read (settings,
# "client-config"), and readiness after one 2 s attempt for each of SQS and S3: 4 s either way,
# plus room for a busy machine. A hang, or one more attempt each, would exceed it.
FROZEN_ANSWER_SECONDS = 7


class Api:
    """A client of the API process, with one user's access token."""

    def __init__(self, base_url: str, user: User) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        token, _ = access_token_issue(user.pk, session_for(user).pk)
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base_url + path, timeout=60, **kwargs)

    def upload_slot(self, data: bytes) -> dict:
        response = self.call(
            "POST",
            "/api/v1/media/uploads",
            json={"content_type": "image/jpeg", "byte_size": len(data)},
        )
        assert response.status_code == 201, response.text
        return response.json()

    def upload(self, data: bytes) -> str:
        """Ask for a slot and store the file in S3 (without calling complete)."""
        slot = self.upload_slot(data)
        stored = requests.post(
            slot["upload"]["url"],
            data=slot["upload"]["fields"],
            files={"file": ("upload", data, "image/jpeg")},
            timeout=30,
        )
        assert stored.status_code in (200, 201, 204), stored.text
        return slot["id"]


def timed(function, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = function(*args, **kwargs)
    return result, time.monotonic() - started


def run_in_parallel(calls: dict[str, Any]) -> dict[str, tuple[requests.Response, float]]:
    """Each call in its own thread, as separate clients would send them; (response, seconds)."""
    results: dict[str, Any] = {}

    def run(name: str) -> None:
        try:
            results[name] = timed(calls[name])
        except Exception as exc:  # reported by the assertions, not lost in a thread
            results[name] = (exc, 0.0)

    threads = [threading.Thread(target=run, args=(name,)) for name in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def stored_media(owner: User) -> MediaItem:
    """A ready item whose original and variants are real objects in S3, under its own keys."""
    media = MediaFactory(owner=owner)
    variants = {
        name: {**variant, "key": media.variant_key(name, "webp")}
        for name, variant in media.variants.items()
    }
    MediaItem.objects.filter(pk=media.pk).update(variants=variants)
    for key in [media.upload_key, *(variant["key"] for variant in variants.values())]:
        aws.s3_client().put_object(Bucket=django_settings.MEDIA_BUCKET, Key=key, Body=b"image")
    return MediaItem.objects.get(pk=media.pk)


def keys_under(prefix: str) -> list[str]:
    listed = aws.s3_client().list_objects_v2(Bucket=django_settings.MEDIA_BUCKET, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def assert_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "unavailable"
    assert response.json()["error"]["message"]


def test_with_s3_and_sqs_stopped_requests_get_503s_and_nothing_is_lost(
    settings, start_api_server, start_worker
):
    author = UserFactory(trust_level="verified")
    follower, exporter = UserFactory(), UserFactory()
    with throwaway_moto() as moto:
        settings.AWS_ENDPOINT_URL = moto.url  # this process's S3 calls, and setup_aws
        call_command("setup_aws", verbosity=0)
        server = start_api_server(AWS_ENDPOINT_URL=moto.url)
        api, follower_api = Api(server.url, author), Api(server.url, follower)
        exporter_api = Api(server.url, exporter)
        assert follower_api.call("POST", f"/api/v1/users/{author.handle}/follow").ok
        assert follower_api.call("GET", "/api/v1/feed/home").ok  # a warm timeline in Redis

        # Before the outage: one upload completed (its job waits in SQS: no worker yet), one
        # stored but not completed, one slot never used, and a post whose images are in S3.
        queued = api.upload(plain_jpeg())
        assert api.call("POST", f"/api/v1/media/uploads/{queued}/complete").status_code == 202
        stored = api.upload(plain_jpeg())
        never_uploaded = api.upload_slot(plain_jpeg())["id"]
        doomed_media = stored_media(author)
        doomed = api.call("POST", "/api/v1/posts", json={"media_ids": [str(doomed_media.pk)]})
        assert doomed.status_code == 201, doomed.text
        doomed_prefixes = [doomed_media.upload_key, f"media/{author.pk}/{doomed_media.pk}/"]
        assert all(keys_under(prefix) for prefix in doomed_prefixes)
        new_post_media = MediaFactory(owner=author)

        os.kill(moto.process.pid, signal.SIGSTOP)
        try:
            frozen = run_in_parallel(
                {
                    "readyz": lambda: requests.get(server.url + "/readyz", timeout=60),
                    "complete": lambda: api.call(
                        "POST", f"/api/v1/media/uploads/{stored}/complete"
                    ),
                    "export": lambda: exporter_api.call("POST", "/api/v1/account/export"),
                    "post_create": lambda: api.call(
                        "POST", "/api/v1/posts", json={"media_ids": [str(new_post_media.pk)]}
                    ),
                    "post_delete": lambda: api.call(
                        "DELETE", f"/api/v1/posts/{doomed.json()['id']}"
                    ),
                    "slot": lambda: api.call(
                        "POST",
                        "/api/v1/media/uploads",
                        json={"content_type": "image/png", "byte_size": 100},
                    ),
                    "feed": lambda: follower_api.call("GET", "/api/v1/feed/home"),
                }
            )
        finally:
            os.kill(moto.process.pid, signal.SIGCONT)

        # While frozen: clear 503s in the error envelope, in seconds, not a hang or a 500.
        for name in ("readyz", "complete", "export"):
            response, seconds = frozen[name]
            assert_unavailable(response)
            assert seconds < FROZEN_ANSWER_SECONDS, (name, seconds)
        readyz = frozen["readyz"][0].json()
        assert {name for name, check in readyz["checks"].items() if not check["ok"]} == {
            "broker",
            "storage",
        }
        assert frozen["complete"][0].headers["Retry-After"] == "5"
        # …and nothing lost: the upload can be completed again, the export asked for again.
        assert MediaItem.objects.get(pk=stored).status == MediaStatus.PENDING
        assert not DataExport.objects.filter(user=exporter).exists()
        # What needs no S3 or SQS on its path still works: a slot is signed locally, feeds
        # and posts live in PostgreSQL and Redis.
        assert frozen["slot"][0].status_code == 201
        assert frozen["feed"][0].status_code == 200
        # A new post is published, and reaches the follower's warm timeline without the
        # fan-out task (sent to no queue, it ran in the request).
        created = frozen["post_create"][0]
        assert created.status_code == 201, created.text
        post_id = created.json()["id"]
        warm = timelines.timeline_read(follower.pk, before_score=None, count=10)
        assert warm is not None
        assert uuid.UUID(post_id).hex in warm
        # A deleted post is gone; its images wait, marked, for the cleanup that could not be
        # queued.
        assert frozen["post_delete"][0].status_code == 204
        assert not Post.objects.filter(pk=doomed.json()["id"]).exists()
        assert MediaItem.objects.get(pk=doomed_media.pk).failure_reason == DELETED_WITH_POST

        # The server is back: ready again, the retries succeed, and a worker does every job,
        # those queued before the outage included.
        wait_for(lambda: requests.get(server.url + "/readyz", timeout=10).status_code == 200)
        # Clients retry a 503 after its Retry-After; each API process also pauses its sends
        # for BROKER_PAUSE_SECONDS after a failure, so the first retries may still get 503s.
        wait_for(
            lambda: api.call("POST", f"/api/v1/media/uploads/{stored}/complete").status_code == 202,
            timeout=30,
            interval=1,
        )
        export = wait_for(
            lambda: (
                response
                if (response := exporter_api.call("POST", "/api/v1/account/export")).status_code
                == 202
                else None
            ),
            timeout=30,
            interval=1,
        )
        worker = start_worker(AWS_ENDPOINT_URL=moto.url)

        def status_of(media_id: str) -> str:
            return MediaItem.objects.get(pk=media_id).status

        wait_for(lambda: {status_of(queued), status_of(stored)} == {MediaStatus.READY}, timeout=90)
        wait_for(
            lambda: (
                exporter_api.call("GET", f"/api/v1/account/exports/{export.json()['id']}")
                .json()
                .get("status")
                == "ready"
            ),
            timeout=60,
        )
        # The doomed post's images leave S3: by a cleanup job SQS took after all (a send that
        # timed out may still have arrived) or by the hourly sweep, run here.
        media_orphans_delete(older_than=datetime.timedelta(0))
        assert not MediaItem.objects.filter(pk=doomed_media.pk).exists()
        assert [keys_under(prefix) for prefix in doomed_prefixes] == [[], []]
        for media_id in (queued, stored):
            done = [line for line in worker.lines if f"media {media_id} ready in" in line]
            assert len(done) == 1, (media_id, done)
        worker.stop()

        # Killed rather than frozen, the server refuses connections: the 503 comes at once.
        moto.stop()
        response, seconds = timed(
            api.call, "POST", f"/api/v1/media/uploads/{never_uploaded}/complete"
        )
        assert_unavailable(response)
        assert seconds < FROZEN_ANSWER_SECONDS
        assert MediaItem.objects.get(pk=never_uploaded).status == MediaStatus.PENDING
