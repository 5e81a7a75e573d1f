"""Timeouts: a slow statement is cancelled by PostgreSQL and answered 503, not held or a 500."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.helpers import assert_error

pytestmark = pytest.mark.urls("tests.ciel.urls")

SLOW = "/api/v1/test/slow"
REPO = Path(__file__).resolve().parents[2]


def _statement_timeout_ms() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting::int FROM pg_settings WHERE name = 'statement_timeout'")
        return cursor.fetchone()[0]


def _settings_in_a_fresh_process(**env: str) -> dict:
    """DATABASES["default"]["OPTIONS"] as settings build them from this environment."""
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_STATEMENT_TIMEOUT_MS"}
    output = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; import json; "
         "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"],
        cwd=REPO, env={**environment, "DJANGO_SETTINGS_MODULE": "ciel.settings", **env},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(output.splitlines()[-1])


def test_the_api_gets_a_5_second_budget_from_its_gunicorn_config():
    script = (
        "import os, runpy; os.environ.pop('DATABASE_STATEMENT_TIMEOUT_MS', None); "
        "runpy.run_path('gunicorn.conf.py'); print(os.environ['DATABASE_STATEMENT_TIMEOUT_MS'])"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout

    assert output.strip() == "5000"


def test_the_timeout_becomes_a_connection_option_only_when_set():
    assert "statement_timeout=5000" in _settings_in_a_fresh_process(
        DATABASE_STATEMENT_TIMEOUT_MS="5000"
    ).get("options", "")
    # Migrations, commands and workers: no limit, and no option (PgBouncer refuses it).
    assert "options" not in _settings_in_a_fresh_process()
    assert "options" not in _settings_in_a_fresh_process(DATABASE_STATEMENT_TIMEOUT_MS="0")


@pytest.fixture
def tiny_statement_timeout(transactional_db, monkeypatch):
    """Reconnect with a 200 ms statement timeout, given as settings give it: a connection option.

    Transactional (autocommit, as in production), so the cancelled statement leaves no broken
    test transaction behind. The next test reconnects with the real options.
    """
    options = connection.settings_dict["OPTIONS"]
    monkeypatch.setitem(options, "options", "-c statement_timeout=200")
    connection.close()
    yield
    monkeypatch.undo()
    connection.close()


def test_a_statement_over_the_timeout_is_cancelled_and_answered_503(
    tiny_statement_timeout, api_client
):
    assert _statement_timeout_ms() == 200

    started = time.monotonic()
    response = api_client.get(SLOW, {"seconds": 3})
    elapsed = time.monotonic() - started

    error = assert_error(response, 503, "unavailable")
    assert "too long" in error["message"]
    assert elapsed < 2, "PostgreSQL should have cancelled the 3 s statement after 200 ms"
    # The connection survives the cancellation: the next request on it is served.
    assert api_client.get(SLOW, {"seconds": 0}).json() == {"slept": True}


def test_a_statement_under_the_timeout_is_served(tiny_statement_timeout, api_client):
    response = api_client.get(SLOW, {"seconds": 0.05})

    assert response.status_code == 200
    assert response.json() == {"slept": True}
