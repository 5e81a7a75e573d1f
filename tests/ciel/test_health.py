"""/healthz, /readyz and /metrics, including readiness with a dependency stopped."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from tests.helpers import throwaway_moto, throwaway_redis

pytestmark = pytest.mark.django_db

DEPENDENCIES = {"database", "redis", "broker", "storage"}


def point_cache_at(settings, redis_url: str) -> None:
    caches = {"default": {**settings.CACHES["default"], "LOCATION": redis_url + "/0"}}
    settings.CACHES = caches


def test_healthz_answers_without_touching_dependencies(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_all_four_dependencies():
    response = Client().get("/readyz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == DEPENDENCIES
    assert all(check["ok"] for check in body["checks"].values())
    assert set(body["worker_heartbeats"]) == {"default", "media"}


@pytest.mark.fault
def test_with_redis_stopped_readyz_names_redis_and_the_rest_still_answers(settings):
    with throwaway_redis() as redis:
        point_cache_at(settings, redis.url.replace("http://", "redis://"))
        assert Client().get("/readyz").status_code == 200
        cache.set("warm", 1)

        redis.stop()
        response = Client().get("/readyz")

        assert response.status_code == 503
        body = response.json()
        assert body["error"]["code"] == "unavailable"
        assert "redis" in body["error"]["message"]
        assert body["checks"]["redis"]["ok"] is False
        assert {name for name, check in body["checks"].items() if check["ok"]} == (
            DEPENDENCIES - {"redis"}
        )
        # Everything else still answers, and the cache degrades to misses.
        assert cache.get("warm") is None
        client = Client()
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/schema/").status_code == 200
        assert client.get("/metrics").status_code == 200
        assert client.get("/api/v1/nothing-here").status_code == 404


@pytest.mark.fault
def test_with_s3_and_sqs_stopped_readyz_names_broker_and_storage(settings):
    with throwaway_moto() as moto:
        settings.AWS_ENDPOINT_URL = moto.url
        call_command("setup_aws", verbosity=0)
        assert Client().get("/readyz").status_code == 200

        moto.stop()
        response = Client().get("/readyz")

        assert response.status_code == 503
        body = response.json()
        assert "broker" in body["error"]["message"]
        assert "storage" in body["error"]["message"]
        failed = {name for name, check in body["checks"].items() if not check["ok"]}
        assert failed == {"broker", "storage"}


def test_readyz_fails_when_the_queues_are_missing(settings):
    settings.SQS_QUEUE_PREFIX = "ciel-missing-"

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_metrics_exports_prometheus_text():
    Client().get("/healthz")

    response = Client().get("/metrics")

    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_view_transport_method_total" in text
    assert 'view="healthz"' in text
