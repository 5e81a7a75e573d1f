"""Notifications: list with unread count, mark read, never from a blocked user."""

import pytest

from social.models import Block, Notification
from social.services import follow_create
from tests.factories import InviteFactory, UserFactory
from tests.helpers import assert_error, client_for

pytestmark = pytest.mark.django_db

NOTIFICATIONS = "/api/v1/notifications"


def test_a_follow_notifies_the_followed(user, user_client):
    fan = UserFactory(handle="fan_one")
    client_for(fan).post(f"/api/v1/users/{user.handle}/follow")

    body = user_client.get(NOTIFICATIONS).json()

    assert body["unread_count"] == 1
    assert len(body["results"]) == 1
    note = body["results"][0]
    assert note["type"] == "follow"
    assert note["actor"]["handle"] == "fan_one"
    assert "email" not in note["actor"]
    assert note["read"] is False


def test_a_used_invite_notifies_the_inviter(api_client, user):
    invite = InviteFactory(created_by=user)

    api_client.post(
        "/api/v1/auth/signup",
        {
            "invite_code": invite.code,
            "email": "joiner@example.com",
            "handle": "joiner",
            "password": "a sturdy passphrase",
        },
    )

    note = client_for(user).get(NOTIFICATIONS).json()["results"][0]
    assert note["type"] == "invite_used"
    assert note["actor"]["handle"] == "joiner"
    assert note["object_id"] == str(invite.pk)


def test_no_notification_from_a_blocked_user(user):
    stranger = UserFactory()
    Block.objects.create(blocker=user, blocked=stranger)

    follow_create(follower=UserFactory(), followee=user)  # someone else, to see the list works
    from social.services import notification_create

    notification_create(recipient=user, actor=stranger, type="like")

    assert not Notification.objects.filter(recipient=user, actor=stranger).exists()
    assert client_for(user).get(NOTIFICATIONS).json()["unread_count"] == 1


def test_mark_some_read(user, user_client):
    fans = UserFactory.create_batch(3)
    for fan in fans:
        follow_create(follower=fan, followee=user)
    ids = [row["id"] for row in user_client.get(NOTIFICATIONS).json()["results"]]

    response = user_client.post(f"{NOTIFICATIONS}/read", {"ids": ids[:2]})

    assert response.json() == {"marked": 2, "unread_count": 1}
    rows = user_client.get(NOTIFICATIONS).json()["results"]
    assert [row["read"] for row in rows] == [True, True, False]


def test_mark_all_read(user, user_client):
    for fan in UserFactory.create_batch(3):
        follow_create(follower=fan, followee=user)

    response = user_client.post(f"{NOTIFICATIONS}/read", {"all": True})

    assert response.json() == {"marked": 3, "unread_count": 0}


def test_marking_someone_elses_notification_does_nothing(user, user_client):
    other = UserFactory()
    follow_create(follower=user, followee=other)
    their_note = Notification.objects.get(recipient=other)

    response = user_client.post(f"{NOTIFICATIONS}/read", {"ids": [str(their_note.pk)]})

    assert response.json()["marked"] == 0
    their_note.refresh_from_db()
    assert their_note.read_at is None


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": []}, {"ids": ["not-a-uuid"]}, {"ids": [1]}, {"all": "yes"}, {"ids": "abc"}],
)
def test_mark_read_validation(user_client, body):
    assert_error(user_client.post(f"{NOTIFICATIONS}/read", body), 400, "validation_error")


def test_notification_list_costs_a_fixed_number_of_queries(
    user, user_client, django_assert_num_queries
):
    for fan in UserFactory.create_batch(25):
        follow_create(follower=fan, followee=user)

    # The viewer, the page (with actors), the unread count: whatever the page size.
    with django_assert_num_queries(3):
        small = user_client.get(NOTIFICATIONS, {"limit": 2})
    with django_assert_num_queries(3):
        large = user_client.get(NOTIFICATIONS, {"limit": 25})
    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) == 25


def test_the_schema_documents_the_notification_page_as_answered(user, user_client):
    # Regression: the page serializer was wrapped once more by the paginator in the schema, so
    # the documented items were whole pages and `unread_count` was missing.
    follow_create(follower=UserFactory(), followee=user)
    schema = user_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    documented = schema["paths"][NOTIFICATIONS]["get"]["responses"]["200"]["content"]
    page = components[documented["application/json"]["schema"]["$ref"].split("/")[-1]]
    item = components[page["properties"]["results"]["items"]["$ref"].split("/")[-1]]

    body = user_client.get(NOTIFICATIONS).json()

    assert set(page["required"]) == set(body) == {"results", "next_cursor", "unread_count"}
    assert set(item["required"]) == set(body["results"][0])
