"""A real API process (gunicorn) for fault tests: it reads the test database and whatever Redis
and S3/SQS the test points it at, so a dependency can be stopped under it as in production."""

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import REPO_ROOT, _database_url
from tests.helpers import free_port, wait_for

SERVER_START_TIMEOUT_SECONDS = 30


class ApiServer:
    """``gunicorn ciel.wsgi`` on a spare loopback port, its output in a log file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "ciel.wsgi",
                "--bind", f"127.0.0.1:{self.port}",
                # Two processes of eight threads: parallel requests as a load balancer sends
                # them, and few enough to start in a second or two.
                "--workers", "2", "--threads", "8", "--worker-class", "gthread",
                "--max-requests", "0",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_ready(self) -> None:
        def answers() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited:\n{self.log_tail()}")
            try:
                return requests.get(self.url + "/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_for(answers, timeout=SERVER_START_TIMEOUT_SECONDS, interval=0.2)

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text().splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            # gunicorn's quick shutdown: a graceful one would wait for idle keep-alive clients.
            self.process.send_signal(signal.SIGQUIT)
            # A throwaway server owes nobody a clean exit: 3 s, then SIGKILL.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=3)
        with contextlib.suppress(ProcessLookupError):  # the master and any worker it left
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()


@pytest.fixture
def start_api_server(transactional_db, tmp_path) -> Iterator[Callable[..., ApiServer]]:
    """Start API processes on the test database (committed rows, hence transactional_db), with
    the environment's settings plus the given overrides; all are stopped at the end."""
    servers: list[ApiServer] = []

    def start(**extra_env: str) -> ApiServer:
        env = dict(
            os.environ,
            DATABASE_URL=_database_url(),
            DATABASE_REPLICA_URLS="",  # the suite's replica setting names no test database
            DJANGO_SETTINGS_MODULE="ciel.settings",
            GUNICORN_ACCESS_LOG="",  # the test counts statuses itself
            **extra_env,
        )
        server = ApiServer(env, tmp_path / f"gunicorn-{len(servers)}.log")
        servers.append(server)
        server.wait_until_ready()
        return server

    yield start
    for server in servers:
        server.stop()
