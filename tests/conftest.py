"""Shared fixtures: real PostgreSQL, Redis (db 15) and the local S3/SQS server of `make test`."""

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User
from ciel import celery_app
from safety.ratelimit import local_windows
from tests.factories import UserFactory
from tests.hashers import CountingPasswordHasher
from tests.helpers import client_for

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKER_START_TIMEOUT_SECONDS = 60


def pytest_configure(config: pytest.Config) -> None:
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if urlsplit(endpoint).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise pytest.UsageError(
            "The tests need a local S3/SQS server: run `make test`, or start moto_server and "
            "set AWS_ENDPOINT_URL to its loopback address."
        )


@pytest.fixture(scope="session", autouse=True)
def aws_resources() -> None:
    """The test bucket and queues, as `manage.py setup_aws` makes them."""
    call_command("setup_aws", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture(autouse=True)
def password_hashes(settings) -> type[CountingPasswordHasher]:
    """A fast hasher (Argon2 costs ~150 ms a hash here) that counts the hashes computed."""
    settings.PASSWORD_HASHERS = ["tests.hashers.CountingPasswordHasher"]
    CountingPasswordHasher.reset()
    return CountingPasswordHasher


@pytest.fixture(autouse=True)
def _primary_reads_only(settings) -> None:
    """replica_0 (pyproject.toml) mirrors the test database, but the router leaves it alone: a
    test reads from it only if it allows that database and turns replicas on, as
    tests/ciel/test_db_router.py does."""
    settings.DATABASE_REPLICAS = []


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    """Each test starts and ends with an empty Redis db 15 (ours alone; see pyproject.toml)."""
    assert settings.REDIS_URL.endswith("/15"), "tests must use their own Redis database"
    cache.clear()
    local_windows.clear()
    yield
    cache.clear()
    local_windows.clear()


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run inline where they are queued (their retries too, without waiting)."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db) -> User:
    return UserFactory()


@pytest.fixture
def user_client(user) -> APIClient:
    return client_for(user)


def _database_url() -> str:
    database = connection.settings_dict
    user = quote(database["USER"] or "", safe="")
    password = f":{quote(database['PASSWORD'], safe='')}" if database["PASSWORD"] else ""
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{database['NAME']}"


class WorkerProcess:
    """A real `celery worker` process consuming the test queues over SQS."""

    def __init__(self, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "ciel", "worker",
                "-Q", ",".join(settings.CELERY_QUEUES),
                "--concurrency", "1", "--loglevel", "INFO",
                "--without-heartbeat", "--without-mingle", "--without-gossip",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, so kill() takes the pool too
        )  # fmt: skip
        threading.Thread(target=self._read_output, daemon=True).start()

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            if " ready." in line:
                self._ready.set()

    def wait_until_ready(self) -> None:
        if not self._ready.wait(WORKER_START_TIMEOUT_SECONDS):
            self.stop()
            pytest.fail("Celery worker did not start:\n" + "\n".join(self.lines[-30:]))

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once, as a crash or an OOM kill would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def start_worker(transactional_db) -> Iterator[Callable[[], WorkerProcess]]:
    """Start worker processes that see the test database, Redis db and queues; all are stopped
    at the end of the test."""
    env = dict(os.environ, DATABASE_URL=_database_url(), DJANGO_SETTINGS_MODULE="ciel.settings")
    workers: list[WorkerProcess] = []

    def start(**extra_env: str) -> WorkerProcess:
        worker = WorkerProcess({**env, **extra_env})
        workers.append(worker)
        worker.wait_until_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def celery_worker(start_worker) -> WorkerProcess:
    return start_worker()


@pytest.fixture
def moderators_group(db):
    """The Moderators group as its data migration makes it (transactional tests flush it)."""
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    migration = importlib.import_module("safety.migrations.0003_moderators_group")
    migration.create_moderators_group(apps, None)
    return Group.objects.get(name="Moderators")
