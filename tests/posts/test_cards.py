"""The feed's lean post cards are exactly what PostSerializer would write."""

import pytest

from posts.cards import card_position, home_feed_cards, post_cards
from posts.models import Like, Post, PostMedia
from posts.selectors import with_display_data
from posts.serializers import PostSerializer
from social.models import Follow
from tests.factories import MediaFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("cdn", ["", "https://cdn.example"])
def test_cards_equal_the_serializer_output(settings, cdn):
    settings.MEDIA_CDN_URL = cdn
    viewer = UserFactory()
    posts = [PostFactory(caption=f"caption {i} ✨", visibility="followers") for i in range(3)]
    for position in (1, 2):  # a second and third image on the first post, in order
        PostMedia.objects.create(
            post=posts[0], media=MediaFactory(owner=posts[0].author), position=position
        )
    Like.objects.create(user=viewer, post=posts[1])
    # Whole seconds, which ISO 8601 writes without a fraction (PostgreSQL formats the dates).
    Post.objects.filter(pk=posts[2].pk).update(created_at="2026-01-01T00:00:00Z")
    ids = [post.pk for post in reversed(posts)]

    cards = post_cards(viewer=viewer, ids=ids)
    assert [card["id"] for card in cards] == [str(pk) for pk in ids]

    models = {p.pk: p for p in with_display_data(Post.objects.filter(pk__in=ids), viewer)}
    expected = PostSerializer([models[pk] for pk in ids], many=True).data
    if not cdn:  # presigned URLs carry their signing time: compare them without the query
        for card_list in (cards, expected):
            for card in card_list:
                for media in card["media"]:
                    for variant in media["variants"].values():
                        variant["url"] = variant["url"].split("?")[0]
    assert cards == [dict(item) for item in expected]
    assert [card["liked"] for card in cards] == [False, True, False]
    assert len(cards[2]["media"]) == 3
    assert cards[0]["created_at"] == "2026-01-01T00:00:00Z"
    assert cards[1]["created_at"].endswith("Z")
    assert "." in cards[1]["created_at"]


def test_removed_posts_and_inactive_authors_are_left_out():
    viewer = UserFactory()
    kept, removed, by_gone = PostFactory(), PostFactory(), PostFactory()
    Post.objects.filter(pk=removed.pk).update(removed_at="2026-01-01T00:00:00Z")
    by_gone.author.is_active = False
    by_gone.author.save()

    cards = post_cards(viewer=viewer, ids=[by_gone.pk, removed.pk, kept.pk])

    assert [card["id"] for card in cards] == [str(kept.pk)]


def test_home_feed_cards_keep_the_viewers_and_followed_authors_posts_newest_first():
    viewer = UserFactory()
    followed, stranger = UserFactory(), UserFactory()
    Follow.objects.create(follower=viewer, followee=followed)
    own, theirs, strangers = (
        PostFactory(author=viewer),
        PostFactory(author=followed),
        PostFactory(author=stranger),
    )

    ids = [own.pk, strangers.pk.hex, theirs.pk]  # in any order, as UUIDs or their hex

    cards = home_feed_cards(viewer=viewer, ids=ids, before=None, count=10)

    assert [card["id"] for card in cards] == [str(theirs.pk), str(own.pk)]
    first = home_feed_cards(viewer=viewer, ids=ids, before=None, count=1)
    assert [card["id"] for card in first] == [str(theirs.pk)]
    after = home_feed_cards(viewer=viewer, ids=ids, before=card_position(first[0]), count=10)
    assert [card["id"] for card in after] == [str(own.pk)]
    assert card_position(first[0]) == (theirs.created_at, theirs.pk)


def test_home_feed_cards_page_through_posts_of_the_same_instant():
    """Posts created in the same microsecond are ordered by id, and a cursor between them
    neither repeats nor skips one."""
    viewer = UserFactory()
    posts = [PostFactory(author=viewer) for _ in range(5)]
    Post.objects.filter(pk__in=[post.pk for post in posts]).update(
        created_at="2026-05-01T12:00:00.123456Z"
    )
    ids = [post.pk for post in posts]
    expected = sorted((str(pk) for pk in ids), reverse=True)

    seen: list[str] = []
    before = None
    for _ in range(len(ids)):  # bounded: a cursor that never advances must fail, not hang
        page = home_feed_cards(viewer=viewer, ids=ids, before=before, count=2)
        seen += [card["id"] for card in page]
        if len(page) < 2:
            break
        before = card_position(page[-1])

    assert seen == expected
