"""The custom user model of SPEC §4."""

import uuid

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError

from ciel import settings as project_settings

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_createsuperuser_noinput_reads_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Root@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_HANDLE", "first_admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long enough password")

    call_command("createsuperuser", interactive=False, verbosity=0)

    user = User.objects.get(handle="first_admin")
    assert isinstance(user.pk, uuid.UUID)
    assert user.email == "root@example.com"
    assert user.is_superuser
    assert user.is_staff
    assert user.check_password("a long enough password")
    assert authenticate(email="ROOT@example.com", password="a long enough password") == user


def test_user_model_shape():
    assert User.USERNAME_FIELD == "email"
    assert User.REQUIRED_FIELDS == ["handle"]
    assert User._meta.pk.name == "id"


def test_email_is_unique_whatever_its_case():
    User.objects.create_user(email="ana@example.com", handle="ana", password="x" * 12)

    with pytest.raises(IntegrityError):
        User.objects.create(email="ANA@Example.COM", handle="ana_two")


def test_handle_is_unique_whatever_its_case():
    User.objects.create_user(email="ana@example.com", handle="ana", password="x" * 12)

    with pytest.raises(IntegrityError):
        User.objects.create(email="other@example.com", handle="ANA")


@pytest.mark.parametrize(
    ("handle", "problem"),
    [
        ("ab", "at least 3"),
        ("a" * 31, "at most 30"),
        ("has space", "lowercase letters"),
        ("dash-ed", "lowercase letters"),
        ("admin", "reserved"),
        ("support", "reserved"),
    ],
)
def test_invalid_handles_are_refused(handle, problem):
    with pytest.raises(ValidationError, match=problem):
        User.objects.create_user(email="x@example.com", handle=handle, password=None)
    assert not User.objects.exists()


def test_createsuperuser_refuses_a_reserved_handle(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_HANDLE", "admin")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long enough password")

    with pytest.raises(Exception, match="reserved"):
        call_command("createsuperuser", interactive=False, verbosity=0)
    assert not User.objects.exists()


def test_the_project_hashes_passwords_with_argon2():
    assert project_settings.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )
