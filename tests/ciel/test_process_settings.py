"""The process settings of docs/operations.md: gunicorn.conf.py as gunicorn reads it, and the
per-queue worker script."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def gunicorn_config(**env: str | None) -> dict[str, str]:
    """The settings gunicorn resolves from gunicorn.conf.py (found in the working directory);
    a variable given as None is removed from the environment."""
    environment = {**os.environ, **env}
    output = subprocess.run(
        [str(GUNICORN), "--print-config", "ciel.wsgi"],
        cwd=REPO,
        env={name: value for name, value in environment.items() if value is not None},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return {
        name.strip(): value.strip()
        for name, _, value in (line.partition("=") for line in output.splitlines())
    }


def test_gunicorn_reads_the_config_file():
    config = gunicorn_config(WEB_CONCURRENCY="3", GUNICORN_THREADS="4")

    assert config["workers"] == "3"
    assert config["worker_class"] == "gthread"
    assert config["threads"] == "4"
    assert config["max_requests"] == "1000"
    assert config["preload_app"] == "True"  # a recycled worker forks ready, not importing
    assert int(config["max_requests_jitter"]) > 0
    # The load balancer (ALB: 60 s idle) must close idle connections before gunicorn does,
    # and in-flight requests must finish before the orchestrator's 30 s SIGKILL.
    assert int(config["keepalive"]) > 60
    assert int(config["graceful_timeout"]) < 30
    assert "x-request-id" in config["access_log_format"]


def test_the_default_worker_count_follows_the_cores():
    config = gunicorn_config(WEB_CONCURRENCY=None)

    cores = len(os.sched_getaffinity(0))
    assert config["workers"] == str(min(2 * cores + 1, 12))


def test_the_worker_script_refuses_an_unknown_queue():
    result = subprocess.run(
        [str(REPO / "scripts" / "celery_worker.sh"), "emails"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 2
    assert "unknown queue: emails" in result.stderr
