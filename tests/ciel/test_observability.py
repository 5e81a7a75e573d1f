"""Request ids, structured logs, security events and the business metrics of SPEC §11."""

import io
import json
import logging
import uuid
from collections.abc import Iterator

import pytest
import requests
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families
from pythonjsonlogger.json import JsonFormatter

from accounts.models import TrustLevel
from ciel.request_context import RequestContextFilter
from safety.models import StrikeSource
from safety.services import ban_issue, device_register, strike_issue
from tests.factories import MediaFactory, PostFactory, UserFactory
from tests.helpers import assert_error, client_for, free_port, wait_for
from tests.media.images import plain_jpeg, truncated_jpeg
from tests.media.test_pipeline import upload

pytestmark = pytest.mark.django_db


def scrape() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, keyed by name and labels, as Prometheus would read them."""
    response = Client().get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def sample(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The production log format (JSON lines with the request context) on a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def log_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


# --- request ids and logs -------------------------------------------------------------------


def test_every_response_carries_a_request_id(user_client):
    first = user_client.get("/api/v1/account")
    second = user_client.get("/api/v1/account")

    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_sane_incoming_request_id_is_kept_and_anything_else_replaced(user_client):
    kept = user_client.get("/api/v1/account", HTTP_X_REQUEST_ID="lb-7f3a.1")
    replaced = user_client.get("/api/v1/account", HTTP_X_REQUEST_ID="a b\nforged=1")

    assert kept["X-Request-ID"] == "lb-7f3a.1"
    assert replaced["X-Request-ID"] != "a b\nforged=1"
    assert len(replaced["X-Request-ID"]) == 32


def test_log_lines_are_json_with_the_request_and_user_ids(json_log, user, user_client):
    response = user_client.post(
        "/api/v1/auth/logout", {"all": True}, format="json", HTTP_X_REQUEST_ID="trace-42"
    )

    assert response.status_code == 204
    line = next(x for x in log_lines(json_log) if x["message"].startswith("sessions_revoked"))
    assert line["logger"] == "ciel.security"
    assert line["level"] == "INFO"
    assert line["request_id"] == "trace-42"
    assert line["user_id"] == str(user.pk)
    assert "time" in line


def test_login_events_are_logged_without_secrets(json_log, api_client):
    UserFactory(email="ana@example.com", password="correct horse battery")

    api_client.post(
        "/api/v1/auth/login", {"email": "ana@example.com", "password": "wrong one"}, format="json"
    )
    ok = api_client.post(
        "/api/v1/auth/login",
        {"email": "ana@example.com", "password": "correct horse battery"},
        format="json",
    )

    messages = [
        line["message"] for line in log_lines(json_log) if line["logger"] == "ciel.security"
    ]
    assert any(m.startswith("login_failed") for m in messages)
    assert any(m.startswith("login user=") for m in messages)
    everything = json_log.getvalue()
    for secret in ("correct horse battery", "wrong one", ok.json()["refresh_token"]):
        assert secret not in everything
    assert ok.json()["access_token"] not in everything


def test_a_429_is_a_logged_security_event(json_log, settings, api_client):
    settings.LOGIN_FAILURE_RATE_PER_EMAIL = "1/h"
    body = {"email": "nobody@example.com", "password": "whatever it is"}
    api_client.post("/api/v1/auth/login", body, format="json")

    response = api_client.post("/api/v1/auth/login", body, format="json")

    assert_error(response, 429, "rate_limited")
    events = [line for line in log_lines(json_log) if line["message"].startswith("rate_limited")]
    assert events
    assert "path=/api/v1/auth/login" in events[0]["message"]


# --- business metrics -------------------------------------------------------------------------


def test_invite_codes_created_and_used_are_counted(django_capture_on_commit_callbacks):
    inviter = UserFactory(is_staff=True)
    before = scrape()

    with django_capture_on_commit_callbacks(execute=True):
        code = client_for(inviter).post("/api/v1/invites").json()["code"]
    with django_capture_on_commit_callbacks(execute=True):
        signup = Client().post(
            "/api/v1/auth/signup",
            {
                "invite_code": code,
                "email": "n@example.com",
                "handle": "newbie",
                "password": "a sturdy passphrase",
            },
            content_type="application/json",
        )

    assert signup.status_code == 201, signup.content
    after = scrape()
    assert (
        sample(after, "invite_codes_created_total") - sample(before, "invite_codes_created_total")
        == 1
    )
    assert sample(after, "invite_codes_used_total") - sample(before, "invite_codes_used_total") == 1


def test_strikes_and_bans_are_counted_by_reason_and_duration(django_capture_on_commit_callbacks):
    user = UserFactory(strike_count=2)
    before = scrape()

    with django_capture_on_commit_callbacks(execute=True):
        strike_issue(user=user, source=StrikeSource.FLAGS, reason="10 flags")  # the third: 7 days

    after = scrape()
    strikes = "strikes_issued_total"
    assert sample(after, strikes, reason="flags") - sample(before, strikes, reason="flags") == 1
    bans = "bans_issued_total"
    assert sample(after, bans, duration="7") - sample(before, bans, duration="7") == 1


def test_a_rolled_back_ban_is_not_counted():
    user = UserFactory()
    before = scrape()

    # The test's transaction never commits, so neither does the ban: no on_commit, no count.
    ban_issue(user=user, days=30, reason="test")

    after = scrape()
    assert sample(after, "bans_issued_total", duration="30") == sample(
        before, "bans_issued_total", duration="30"
    )


def test_device_scores_are_observed_and_high_risk_devices_counted(
    django_capture_on_commit_callbacks,
):
    fingerprint = f"device-{uuid.uuid4()}"
    banned = [UserFactory(banned_until="2099-01-01T00:00:00Z") for _ in range(3)]
    before = scrape()

    with django_capture_on_commit_callbacks(execute=True):
        for user in [*banned, *(UserFactory() for _ in range(8))]:
            device_register(user=user, fingerprint=fingerprint)

    after = scrape()
    assert (
        sample(after, "device_risk_score_count") - sample(before, "device_risk_score_count") == 11
    )
    # 11 accounts (5+15+30+50, capped at 100) with 3 banned cross 80 once, whatever follows.
    high = "high_risk_devices_detected_total"
    assert sample(after, high) - sample(before, high) == 1


def test_trust_level_users_is_read_from_the_database(settings):
    import ciel.metrics

    UserFactory.create_batch(3, trust_level=TrustLevel.TRUSTED)
    UserFactory(trust_level=TrustLevel.TRUSTED, is_active=False)
    ciel.metrics._gauges_refreshed_at = -ciel.metrics.GAUGE_REFRESH_SECONDS  # as on a first scrape

    samples = scrape()

    assert sample(samples, "trust_level_users", level="trusted") == 3
    assert sample(samples, "trust_level_users", level="verified") == 0


def test_feed_pages_count_timeline_hits_and_sql_misses(user, user_client):
    PostFactory(author=user)
    before = scrape()

    user_client.get("/api/v1/feed/home")  # cold: from SQL, and the timeline is warmed
    user_client.get("/api/v1/feed/home")  # warm: from the timeline

    after = scrape()
    assert sample(after, "feed_cache_misses_total") - sample(before, "feed_cache_misses_total") == 1
    assert sample(after, "feed_cache_hits_total") - sample(before, "feed_cache_hits_total") == 1


@pytest.mark.django_db(transaction=True)
def test_media_processing_time_is_observed_by_outcome(eager_celery):
    client = client_for(UserFactory())
    metric = "media_processing_seconds_count"
    before = scrape()

    for data in (plain_jpeg(), truncated_jpeg()):
        media_id = upload(client, data)
        assert client.post(f"/api/v1/media/uploads/{media_id}/complete").status_code == 202

    after = scrape()
    assert sample(after, metric, outcome="ready") - sample(before, metric, outcome="ready") == 1
    assert sample(after, metric, outcome="failed") - sample(before, metric, outcome="failed") == 1
    assert MediaFactory._meta.model.objects.count() == 2


@pytest.mark.worker
def test_a_worker_serves_the_metrics_of_its_pool_processes(start_worker, tmp_path):
    port = free_port()
    start_worker(WORKER_METRICS_PORT=str(port), PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    client = client_for(UserFactory())
    media_id = upload(client, truncated_jpeg())

    client.post(f"/api/v1/media/uploads/{media_id}/complete")

    def failed_count() -> float | None:
        try:
            text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        except requests.ConnectionError:
            return None
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        return sample(samples, "media_processing_seconds_count", outcome="failed") or None

    # Counted in the pool child, served by the parent: only the shared directory joins them.
    assert wait_for(failed_count) == 1


def test_metrics_can_be_kept_for_the_scraper_alone(settings):
    settings.METRICS_TOKEN = "scrape-secret"

    assert Client().get("/metrics").status_code == 404
    assert Client(HTTP_AUTHORIZATION="Bearer wrong").get("/metrics").status_code == 404
    allowed = Client(HTTP_AUTHORIZATION="Bearer scrape-secret").get("/metrics")
    assert allowed.status_code == 200
    assert b"invite_codes_created_total" in allowed.content


def test_cache_operations_are_timed():
    from django.core.cache import cache

    before = scrape()
    cache.set("observability-probe", 1, 10)
    cache.get("observability-probe")

    after = scrape()
    for operation in ("set", "get"):
        name = "django_cache_operation_seconds_count"
        assert sample(after, name, operation=operation) > sample(before, name, operation=operation)
