"""Explore and search: public posts and active users only, minus blocks, ranked and paginated."""

from datetime import timedelta

import pytest
from django.utils import timezone

from posts.models import Post, Visibility
from social.models import Block
from tests.factories import DEFAULT_PASSWORD, PostFactory, UserFactory
from tests.helpers import assert_error, client_for

pytestmark = pytest.mark.django_db


def test_explore_shows_newest_public_posts_minus_blocks_and_removals(user, user_client):
    public = PostFactory(visibility=Visibility.PUBLIC)
    PostFactory(visibility=Visibility.FOLLOWERS)
    PostFactory(removed_at=timezone.now())
    blocker = UserFactory()
    PostFactory(author=blocker)
    Block.objects.create(blocker=blocker, blocked=user)
    newer = PostFactory()

    body = user_client.get("/api/v1/feed/explore").json()

    assert [row["id"] for row in body["results"]] == [str(newer.pk), str(public.pk)]


def test_user_search_by_handle_prefix_and_name(user, user_client):
    UserFactory(handle="aurelius_snaps", display_name="Marcus")
    UserFactory(handle="zebra", display_name="Aurelia Stone")
    UserFactory(handle="nobody", display_name="Someone")
    hidden = UserFactory(handle="aurel_hidden")
    Block.objects.create(blocker=user, blocked=hidden)
    UserFactory(handle="aurel_gone", is_active=False)

    body = user_client.get("/api/v1/search/users", {"q": "aurel"}).json()

    handles = [row["handle"] for row in body["results"]]
    assert handles == ["aurelius_snaps", "zebra"]  # the prefix first, then the similar name
    assert all("email" not in row for row in body["results"])


def test_a_short_query_is_a_handle_prefix_only(user_client):
    UserFactory(handle="aura_photos", display_name="Someone")
    UserFactory(handle="zebra", display_name="Aurelia Stone")

    body = user_client.get("/api/v1/search/users", {"q": "Aur"}).json()

    assert [row["handle"] for row in body["results"]] == ["aura_photos"]


def test_a_short_prefix_lists_the_exact_handle_first_then_the_shortest(user_client):
    for handle in ("abc_x_longer", "abcdef", "abc", "abcd", "xabc"):
        UserFactory(handle=handle)

    pages, cursor = [], None
    while True:
        params = {"q": "abc", "limit": 2} | ({"cursor": cursor} if cursor else {})
        body = user_client.get("/api/v1/search/users", params).json()
        pages.append([row["handle"] for row in body["results"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert pages == [["abc", "abcd"], ["abcdef", "abc_x_longer"]]


def test_post_search_pages_through_tied_ranks(user_client):
    """Equal captions rank equally (ts_rank is a 4-byte float, which must survive the cursor's
    round trip exactly, or ties repeat or vanish across pages)."""
    posts = [PostFactory(caption="Harbour fog at dawn") for _ in range(5)]

    seen, cursor = [], None
    for _ in range(10):
        params = {"q": "fog", "limit": 2} | ({"cursor": cursor} if cursor else {})
        body = user_client.get("/api/v1/search/posts", params).json()
        seen += [row["id"] for row in body["results"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(str(post.pk) for post in posts)
    assert cursor is None


def test_post_search_by_caption_word(user, user_client):
    match = PostFactory(caption="Morning fog over the harbour")
    PostFactory(caption="Evening fog", visibility=Visibility.FOLLOWERS)
    PostFactory(caption="fog fog fog", removed_at=timezone.now())
    PostFactory(caption="Nothing here")

    body = user_client.get("/api/v1/search/posts", {"q": "fog"}).json()

    assert [row["id"] for row in body["results"]] == [str(match.pk)]


def test_post_search_ranks_the_newest_matches_only(settings, user_client):
    settings.SEARCH_POST_CANDIDATES = 2
    oldest = PostFactory(caption="harbour harbour harbour")  # the best rank, but the oldest
    Post.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(days=30))
    newer = [PostFactory(caption="a harbour"), PostFactory(caption="the harbour at noon")]

    body = user_client.get("/api/v1/search/posts", {"q": "harbour"}).json()

    assert sorted(row["id"] for row in body["results"]) == sorted(str(p.pk) for p in newer)


@pytest.mark.parametrize("hidden_by", ["the viewer's block", "the author's block", "deletion"])
def test_post_search_leaves_hidden_authors_out_before_its_bound(settings, user, hidden_by):
    """A blocked or deleted account's newest matches must not fill the bound (the 200 newest
    matches) and crowd out everyone else's: a spammer deleted for posting a common word would
    otherwise empty that word's results until the account is purged, 30 days later."""
    settings.SEARCH_POST_CANDIDATES = 2
    older = PostFactory(caption="harbour lights")
    Post.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    flooder = UserFactory()
    for _ in range(3):  # newer matches than the bound holds
        PostFactory(author=flooder, caption="harbour harbour")
    if hidden_by == "the viewer's block":
        Block.objects.create(blocker=user, blocked=flooder)
    elif hidden_by == "the author's block":
        Block.objects.create(blocker=flooder, blocked=user)
    else:
        deleted = client_for(flooder).delete("/api/v1/account", {"password": DEFAULT_PASSWORD})
        assert deleted.status_code == 204

    body = client_for(user).get("/api/v1/search/posts", {"q": "harbour"}).json()

    assert [row["id"] for row in body["results"]] == [str(older.pk)]


def test_search_paginates(user_client):
    for number in range(7):
        UserFactory(handle=f"paged_{number}")

    first = user_client.get("/api/v1/search/users", {"q": "paged", "limit": 4}).json()
    second = user_client.get(
        "/api/v1/search/users", {"q": "paged", "limit": 4, "cursor": first["next_cursor"]}
    ).json()

    handles = [row["handle"] for row in first["results"] + second["results"]]
    assert sorted(handles) == [f"paged_{n}" for n in range(7)]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "x" * 101}])
def test_search_needs_a_query(user_client, params):
    assert_error(user_client.get("/api/v1/search/users", params), 400, "validation_error")
    assert_error(user_client.get("/api/v1/search/posts", params), 400, "validation_error")


def test_search_with_odd_characters_is_not_a_500(user_client):
    for query in ("'", '"', "a & b | !c", "(((", "%", "_", "\\", "ü", "🙂"):
        assert user_client.get("/api/v1/search/posts", {"q": query}).status_code == 200
        assert user_client.get("/api/v1/search/users", {"q": query}).status_code == 200


def test_explore_requires_login():
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/feed/explore").status_code == 401


def test_search_is_in_the_viewers_own_client(user):
    assert client_for(user).get("/api/v1/search/posts", {"q": "x"}).status_code == 200
