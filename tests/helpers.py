"""Helpers shared by tests."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Session, User
from accounts.tokens import access_token_issue


def wait_for(predicate: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll until predicate() is truthy and return its value; fail the test after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


def own_connection() -> psycopg.Connection:
    """A psycopg connection to the test database of its own, beside Django's (autocommit)."""
    database = connection.settings_dict
    return psycopg.connect(
        dbname=database["NAME"],
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        user=database["USER"] or None,
        password=database["PASSWORD"] or None,
        autocommit=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, timeout: float = 15.0) -> None:
    def accepts() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_for(accepts, timeout=timeout)


@contextlib.contextmanager
def throwaway_redis() -> Iterator["ThrowawayServer"]:
    """A Redis server of the test's own on a spare port, never the machine's shared one."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    server = ThrowawayServer([*command, "--appendonly", "no"], port)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def throwaway_moto() -> Iterator["ThrowawayServer"]:
    """A moto_server (S3 and SQS) of the test's own on a spare port."""
    port = free_port()
    moto = shutil.which("moto_server", path=os.path.dirname(sys.executable)) or "moto_server"
    server = ThrowawayServer([moto, "-H", "127.0.0.1", "-p", str(port)], port)
    try:
        yield server
    finally:
        server.stop()


class ThrowawayServer:
    def __init__(self, command: list[str], port: int) -> None:
        self.port = port
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def session_for(user: User) -> Session:
    return Session.objects.create(user=user, last_used_at=timezone.now())


def client_for(user: User, *, ip: str = "127.0.0.1") -> APIClient:
    """A client holding a fresh access token for a new session of the user."""
    token, _ = access_token_issue(user.pk, session_for(user).pk)
    client = APIClient(REMOTE_ADDR=ip)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def assert_error(response, status: int, code: str) -> dict:
    """The response is the error envelope with this status and code; returns the error."""
    assert response.status_code == status, response.content[:500]
    error = response.json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    return error


def run_concurrently(functions: list[Callable[[], Any]]) -> list[Any]:
    """Run the functions in parallel threads, released together; each gets its own DB connection.

    Returns their results (or the exceptions they raised) in order.
    """
    from django.db import connection

    barrier = threading.Barrier(len(functions))

    def run(function: Callable[[], Any]) -> Any:
        try:
            barrier.wait(timeout=30)
            return function()
        except Exception as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(functions)) as pool:
        return list(pool.map(run, functions))


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI schema as the API serves it, in JSON."""
    return Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def openapi_operations(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The schema's operations by operationId."""
    return {
        operation["operationId"]: operation
        for path_item in schema["paths"].values()
        for operation in path_item.values()
    }
