"""Who sees which post: owner, follower, stranger, blocked, staff × public, followers, removed."""

import pytest
from django.utils import timezone

from posts.models import Comment, Like, Post, Visibility
from social.models import Block, Follow
from tests.factories import PostFactory, UserFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

PERSONAS = ("owner", "follower", "stranger", "blocked", "staff")
KINDS = ("public", "followers", "removed")

CAN_SEE = {
    "public": {"owner", "follower", "stranger", "staff"},
    # Staff see removed posts (for moderation) but not other people's followers-only posts.
    "followers": {"owner", "follower"},
    "removed": {"staff"},
}


@pytest.fixture
def world():
    owner = UserFactory(handle="owner")
    people = {
        "owner": owner,
        "follower": UserFactory(handle="follower"),
        "stranger": UserFactory(handle="stranger"),
        "blocked": UserFactory(handle="blocked"),
        "staff": UserFactory(handle="staffer", is_staff=True),
    }
    Follow.objects.create(follower=people["follower"], followee=owner)
    Block.objects.create(blocker=owner, blocked=people["blocked"])
    posts = {
        "public": PostFactory(author=owner, visibility=Visibility.PUBLIC),
        "followers": PostFactory(author=owner, visibility=Visibility.FOLLOWERS),
        "removed": PostFactory(author=owner, removed_at=timezone.now()),
    }
    return people, posts


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_reading_a_post(world, persona, kind):
    people, posts = world

    response = client_for(people[persona]).get(f"/api/v1/posts/{posts[kind].pk}")

    expected = 200 if persona in CAN_SEE[kind] else 404
    assert response.status_code == expected
    if expected == 404:
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_profile_timeline_follows_the_same_rules(world, persona):
    people, posts = world

    response = client_for(people[persona]).get("/api/v1/users/owner/posts")

    if persona == "blocked":
        assert response.status_code == 404
        return
    shown = {row["id"] for row in response.json()["results"]}
    expected = {str(posts[kind].pk) for kind in KINDS if persona in CAN_SEE[kind]}
    assert shown == expected


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("persona", ["follower", "stranger", "blocked", "staff"])
def test_denied_writes_change_nothing(world, persona, kind):
    people, posts = world
    post = posts[kind]
    client = client_for(people[persona])
    before = Post.objects.values().get(pk=post.pk)
    visible = persona in CAN_SEE[kind]

    edit = client.patch(f"/api/v1/posts/{post.pk}", {"caption": "hijacked", "visibility": "public"})
    delete = client.delete(f"/api/v1/posts/{post.pk}")

    assert edit.status_code == delete.status_code == (403 if visible else 404)
    assert Post.objects.values().get(pk=post.pk) == before
    if not visible:
        assert client.post(f"/api/v1/posts/{post.pk}/like").status_code == 404
        assert client.post(f"/api/v1/posts/{post.pk}/comments", {"body": "hi"}).status_code == 404
        assert client.get(f"/api/v1/posts/{post.pk}/comments").status_code == 404
        assert not Like.objects.filter(post=post).exists()
        assert not Comment.objects.filter(post=post).exists()
        assert Post.objects.values().get(pk=post.pk) == before


def test_the_owner_edits_and_deletes(world):
    people, posts = world
    client = client_for(people["owner"])
    post = posts["public"]

    edited = client.patch(
        f"/api/v1/posts/{post.pk}", {"caption": "new words", "visibility": "followers"}
    )

    assert edited.status_code == 200
    assert edited.json()["caption"] == "new words"
    assert edited.json()["visibility"] == "followers"
    assert client_for(people["stranger"]).get(f"/api/v1/posts/{post.pk}").status_code == 404
    assert client.delete(f"/api/v1/posts/{post.pk}").status_code == 204
    assert not Post.objects.filter(pk=post.pk).exists()
    people["owner"].refresh_from_db()
    assert people["owner"].post_count == Post.objects.filter(author=people["owner"]).count()


@pytest.mark.django_db(transaction=True)  # the following-set cache is invalidated on commit
def test_a_follow_shows_followers_only_posts_at_once(world):
    people, posts = world
    stranger = client_for(people["stranger"])
    url = f"/api/v1/posts/{posts['followers'].pk}"
    assert stranger.get(url).status_code == 404

    stranger.post("/api/v1/users/owner/follow")

    assert stranger.get(url).status_code == 200
