"""The admin's login form is behind the same limits as the API's login."""

import pytest
from django.test import Client

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def admin_login(email: str, password: str, ip: str) -> int:
    client = Client(REMOTE_ADDR=ip)
    return client.post("/admin/login/", {"username": email, "password": password}).status_code


def test_staff_can_log_into_the_admin():
    staff = UserFactory(is_staff=True)
    client = Client()

    response = client.post("/admin/login/", {"username": staff.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_11th_admin_login_from_one_ip_is_429_before_any_hash(password_hashes):
    staff = UserFactory(is_staff=True)
    statuses = [admin_login(staff.email, "guess", "192.0.2.5") for _ in range(10)]
    password_hashes.reset()

    status = admin_login(staff.email, DEFAULT_PASSWORD, "192.0.2.5")

    assert statuses == [200] * 10  # the form again, with an error
    assert status == 429
    assert password_hashes.calls == 0


def test_failed_admin_logins_lock_the_email_across_ips(password_hashes):
    staff = UserFactory(is_staff=True)
    for attempt in range(10):
        admin_login(staff.email, "guess", f"192.0.2.{attempt + 100}")
    password_hashes.reset()

    assert admin_login(staff.email, DEFAULT_PASSWORD, "192.0.2.200") == 429
    assert password_hashes.calls == 0
