"""Settings come from the environment; production refuses to start without its secrets."""

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

PRODUCTION = {
    "DJANGO_DEBUG": "False",
    "DJANGO_SECRET_KEY": "x" * 60,
    "DJANGO_ALLOWED_HOSTS": "api.example.com",
    "PASETO_KEYS": "k4.local." + "A" * 43,
}


def start_django(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PASETO_"))}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=REPO_ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "ciel.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_settings_start():
    result = start_django(PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "PASETO_KEYS"])
def test_production_refuses_to_start_without_a_secret(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}

    result = start_django(env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set when DJANGO_DEBUG is off" in result.stderr


def test_development_starts_with_no_environment_at_all():
    result = start_django({})

    assert result.returncode == 0, result.stderr


def test_a_visibility_timeout_shorter_than_a_task_is_refused():
    result = start_django({"SQS_VISIBILITY_TIMEOUT": "60", "CELERY_TASK_TIME_LIMIT": "300"})

    assert result.returncode != 0
    assert "SQS_VISIBILITY_TIMEOUT must exceed" in result.stderr


def test_local_endpoint_goes_into_the_broker_url():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CELERY_BROKER_URL); print(settings.STORAGES['default']['OPTIONS'])"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "ciel.settings",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
            "AWS_ACCESS_KEY_ID": "key/with+chars",
            "AWS_SECRET_ACCESS_KEY": "s3cr=t",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    broker_url = result.stdout.splitlines()[0]
    assert broker_url == "sqs://key%2Fwith%2Bchars:s3cr%3Dt@127.0.0.1:4566"
    assert "'signature_version': 's3v4'" in result.stdout
    assert "'endpoint_url': 'http://127.0.0.1:4566'" in result.stdout
