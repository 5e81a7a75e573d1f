"""Sessions, authentication and messages serve the admin, and are skipped for the API; CSRF
stays in front of the admin."""

import re

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.test import Client, RequestFactory

from ciel.api.middleware import (
    AuthenticationMiddleware,
    MessageMiddleware,
    SessionMiddleware,
    outside_api,
)
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def attributes_set_by_the_chain(path: str) -> set[str]:
    """What the admin's middleware leave on a request to ``path`` by the time the view runs."""
    seen: set[str] = set()

    def view(request):
        seen.update(name for name in ("session", "user", "_messages") if hasattr(request, name))
        return HttpResponse("ok")

    handler = view
    for middleware in reversed(
        [SessionMiddleware, CsrfViewMiddleware, AuthenticationMiddleware, MessageMiddleware]
    ):
        handler = middleware(handler)
    handler(RequestFactory().get(path))
    return seen


def test_the_api_skips_the_admin_middleware():
    assert attributes_set_by_the_chain("/api/v1/feed/home") == set()


@pytest.mark.parametrize("path", ["/admin/", "/api/docs/", "/api/schema/"])
def test_everything_outside_the_api_keeps_them(path):
    assert attributes_set_by_the_chain(path) == {"session", "user", "_messages"}


def test_the_admin_login_still_needs_its_csrf_token():
    staff = UserFactory(is_staff=True)
    client = Client(enforce_csrf_checks=True)
    credentials = {"username": staff.email, "password": DEFAULT_PASSWORD}

    refused = client.post("/admin/login/", credentials)
    form = client.get("/admin/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token is not None
    accepted = client.post("/admin/login/", credentials | {"csrfmiddlewaretoken": token[1]})

    assert refused.status_code == 403
    assert accepted.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_middleware_with_hooks_it_would_skip_is_refused():
    class WithExceptionHook:
        def __init__(self, get_response):
            self.get_response = get_response

        def process_exception(self, request, exception):
            return None

    with pytest.raises(TypeError):
        outside_api(WithExceptionHook)


def test_the_settings_use_the_wrapped_middleware():
    names = ("SessionMiddleware", "AuthenticationMiddleware", "MessageMiddleware")
    assert {f"ciel.api.middleware.{name}" for name in names} <= set(settings.MIDDLEWARE)
    assert not [entry for entry in settings.MIDDLEWARE if entry.startswith("django.contrib")]
    # Django's own, by name: `check --deploy` looks for it (security.W003).
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
