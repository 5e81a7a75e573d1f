"""Opaque keyset pagination: limit 1–100 (default 20), next_cursor, exact positions on ties."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

pytestmark = [pytest.mark.urls("tests.ciel.urls"), pytest.mark.django_db]

User = get_user_model()


@pytest.fixture
def users():
    """45 users, 15 of which share one created_at so ties must be broken by id."""
    created = []
    same_moment = timezone.now() - datetime.timedelta(days=1)
    for number in range(45):
        user = User.objects.create_user(
            email=f"user{number}@example.com", handle=f"user_{number:02d}", password=None
        )
        if number < 15:
            User.objects.filter(pk=user.pk).update(created_at=same_moment)
        created.append(user)
    return created


def read_all(client: Client, path: str, limit: int | None = None) -> tuple[list[str], int]:
    handles: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {} if limit is None else {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = client.get(path, params)
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"results", "next_cursor"}
        handles += [row["handle"] for row in body["results"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return handles, pages


def test_default_limit_is_20(users):
    body = Client().get("/api/v1/test/users").json()

    assert len(body["results"]) == 20
    assert body["next_cursor"]


def test_walking_the_cursor_returns_every_row_once_in_order(users):
    handles, pages = read_all(Client(), "/api/v1/test/users", limit=7)

    expected = list(User.objects.order_by("-created_at", "-id").values_list("handle", flat=True))
    assert handles == expected
    assert len(handles) == 45
    assert pages == 7


def test_ascending_ordering_on_another_field(users):
    handles, _ = read_all(Client(), "/api/v1/test/users-by-handle", limit=10)

    assert handles == sorted(user.handle for user in users)


def test_last_page_has_no_next_cursor(users):
    body = Client().get("/api/v1/test/users", {"limit": 100}).json()

    assert len(body["results"]) == 45
    assert body["next_cursor"] is None


def test_rows_inserted_meanwhile_do_not_shift_the_next_page(users):
    client = Client()
    first = client.get("/api/v1/test/users", {"limit": 10}).json()
    User.objects.create_user(email="late@example.com", handle="late_user", password=None)

    second = client.get("/api/v1/test/users", {"limit": 10, "cursor": first["next_cursor"]}).json()

    expected = list(
        User.objects.exclude(handle="late_user")
        .order_by("-created_at", "-id")
        .values_list("handle", flat=True)[10:20]
    )
    assert [row["handle"] for row in second["results"]] == expected


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", ""])
def test_limit_out_of_range_is_a_validation_error(users, limit):
    response = Client().get("/api/v1/test/users", {"limit": limit})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "limit" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "!!!", "W10", "WyJ4Il0", "eyJhIjoxfQ", "WyJub3QtYS1kYXRlIiwibm90LWEtdXVpZCJd"],
)
def test_tampered_cursor_is_a_validation_error(users, cursor):
    response = Client().get("/api/v1/test/users", {"cursor": cursor})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"cursor": ["Invalid cursor."]}


def test_a_crafted_or_edited_cursor_is_refused(users):
    import base64
    import json

    client = Client()
    real = client.get("/api/v1/test/users", {"limit": 5}).json()["next_cursor"]
    crafted = base64.urlsafe_b64encode(
        json.dumps(["2026-01-01T00:00:00+20:00", "00000000-0000-0000-0000-000000000000"]).encode()
    ).decode()
    edited = real[:3] + ("A" if real[3] != "A" else "B") + real[4:]

    for cursor in (crafted, edited, real + "x", "[" * 5000):
        response = client.get("/api/v1/test/users", {"cursor": cursor})
        assert response.status_code == 400, cursor
        assert response.json()["error"]["fields"] == {"cursor": ["Invalid cursor."]}


def test_a_page_costs_one_query_whatever_its_size(users, django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(1):
        client.get("/api/v1/test/users", {"limit": 5})
    with django_assert_num_queries(1):
        client.get("/api/v1/test/users", {"limit": 100})
