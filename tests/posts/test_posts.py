"""Creating posts from ready media; likes and comments with counts that equal the rows."""

import random

import pytest
from django.db.models import Count

from media.models import MediaStatus
from posts import services
from posts.models import Comment, Like, Post
from safety.models import TrustLedgerEntry
from social.models import Notification
from tests.factories import MediaFactory, PostFactory, UserFactory
from tests.helpers import assert_error, client_for, run_concurrently

pytestmark = pytest.mark.django_db


def test_create_a_post_with_ready_media(user, user_client):
    media = MediaFactory.create_batch(3, owner=user)

    response = user_client.post(
        "/api/v1/posts",
        {
            "caption": "Evening light",
            "visibility": "followers",
            "media_ids": [str(m.pk) for m in media],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["caption"] == "Evening light"
    assert [item["id"] for item in body["media"]] == [str(m.pk) for m in media]
    assert set(body["media"][0]["variants"]) == {"thumb", "small", "display", "original"}
    assert body["author"]["handle"] == user.handle
    user.refresh_from_db()
    assert user.post_count == 1
    assert TrustLedgerEntry.objects.get(user=user).points == 2


@pytest.mark.parametrize(
    "status",
    [MediaStatus.PENDING, MediaStatus.UPLOADED, MediaStatus.PROCESSING, MediaStatus.FAILED],
)
def test_a_post_cannot_use_unprocessed_media(user, user_client, status):
    media = MediaFactory(owner=user, status=status)

    response = user_client.post("/api/v1/posts", {"media_ids": [str(media.pk)]})

    assert_error(response, 409, "media_not_ready")
    assert not Post.objects.exists()


def test_a_post_cannot_use_someone_elses_media(user_client):
    media = MediaFactory()

    assert_error(
        user_client.post("/api/v1/posts", {"media_ids": [str(media.pk)]}), 409, "media_not_ready"
    )


def test_one_media_item_in_one_post_only(settings, user, user_client):
    settings.RATELIMIT_ENABLE = False  # two posts within the hour
    media = MediaFactory(owner=user)
    assert user_client.post("/api/v1/posts", {"media_ids": [str(media.pk)]}).status_code == 201

    assert_error(
        user_client.post("/api/v1/posts", {"media_ids": [str(media.pk)]}), 409, "media_in_use"
    )
    assert Post.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"media_ids": []},
        {"media_ids": ["00000000-0000-0000-0000-000000000001"] * 2},
        {"media_ids": [f"00000000-0000-0000-0000-{n:012d}" for n in range(11)]},
        {"media_ids": ["not-a-uuid"]},
        {"caption": "x" * 2201, "media_ids": ["00000000-0000-0000-0000-000000000001"]},
        {"visibility": "secret", "media_ids": ["00000000-0000-0000-0000-000000000001"]},
        {},
    ],
)
def test_post_validation(user_client, body):
    assert_error(user_client.post("/api/v1/posts", body), 400, "validation_error")
    assert not Post.objects.exists()


def test_like_and_unlike_are_idempotent_and_notify_once():
    post = PostFactory()
    fan = UserFactory()
    client = client_for(fan)

    assert [client.post(f"/api/v1/posts/{post.pk}/like").json() for _ in range(2)] == [
        {"liked": True, "like_count": 1}
    ] * 2
    assert client.get(f"/api/v1/posts/{post.pk}").json()["liked"] is True
    assert [client.delete(f"/api/v1/posts/{post.pk}/like").json() for _ in range(2)] == [
        {"liked": False, "like_count": 0}
    ] * 2
    client.post(f"/api/v1/posts/{post.pk}/like")
    assert Notification.objects.filter(recipient=post.author, type="like").count() == 1


@pytest.mark.django_db(transaction=True)
def test_20_concurrent_likes_by_one_user_leave_one_like():
    post = PostFactory()
    fan = UserFactory()

    statuses = run_concurrently(
        [lambda: client_for(fan).post(f"/api/v1/posts/{post.pk}/like").status_code] * 20
    )

    assert statuses == [200] * 20
    assert Like.objects.filter(post=post).count() == 1
    post.refresh_from_db()
    assert post.like_count == 1


def test_comments_and_who_may_delete_them():
    post = PostFactory()
    commenter, stranger = UserFactory(), UserFactory()
    created = client_for(commenter).post(f"/api/v1/posts/{post.pk}/comments", {"body": "Lovely"})
    assert created.status_code == 201
    comment_id = created.json()["id"]
    second = client_for(commenter).post(f"/api/v1/posts/{post.pk}/comments", {"body": "Again"})

    listing = client_for(stranger).get(f"/api/v1/posts/{post.pk}/comments").json()
    assert [row["body"] for row in listing["results"]] == ["Lovely", "Again"]
    assert client_for(stranger).delete(f"/api/v1/comments/{comment_id}").status_code == 403
    assert client_for(commenter).delete(f"/api/v1/comments/{comment_id}").status_code == 204
    assert (
        client_for(post.author).delete(f"/api/v1/comments/{second.json()['id']}").status_code == 204
    )
    post.refresh_from_db()
    assert post.comment_count == 0 == Comment.objects.filter(post=post).count()
    assert Notification.objects.filter(recipient=post.author, type="comment").count() == 2


@pytest.mark.parametrize("body", [{"body": ""}, {"body": "x" * 1001}, {}, {"body": 5}])
def test_comment_validation(body):
    post = PostFactory()

    assert_error(
        client_for(UserFactory()).post(f"/api/v1/posts/{post.pk}/comments", body),
        400,
        "validation_error",
    )
    assert not Comment.objects.exists()


def test_counts_equal_rows_after_a_random_mix_of_likes_comments_and_deletes():
    rng = random.Random(51129)
    users = UserFactory.create_batch(8)
    posts = [PostFactory(author=rng.choice(users)) for _ in range(4)]
    comments: list[Comment] = []
    for _ in range(600):
        user, post = rng.choice(users), rng.choice(posts)
        action = rng.choice(["like", "unlike", "comment", "delete_comment"])
        if action == "like":
            services.like_create(user=user, post=post)
        elif action == "unlike":
            services.like_delete(user=user, post=post)
        elif action == "comment":
            comments.append(services.comment_create(author=user, post=post, body="hi"))
        elif comments:
            comment = comments.pop(rng.randrange(len(comments)))
            services.comment_delete(comment=comment, deleter=comment.author)

    likes = dict(Post.objects.annotate(n=Count("likes", distinct=True)).values_list("pk", "n"))
    counted = dict(Post.objects.annotate(n=Count("comments", distinct=True)).values_list("pk", "n"))
    for post in Post.objects.all():
        assert post.like_count == likes[post.pk]
        assert post.comment_count == counted[post.pk]


def test_the_post_list_costs_a_fixed_number_of_queries(
    user, user_client, django_assert_num_queries
):
    author = UserFactory(handle="author")
    for _ in range(12):
        PostFactory(author=author)
    user_client.get("/api/v1/users/author/posts")  # warm the viewer's caches

    # The viewer, the author, the page (with likes), the media of the page.
    with django_assert_num_queries(4):
        small = user_client.get("/api/v1/users/author/posts", {"limit": 2})
    with django_assert_num_queries(4):
        large = user_client.get("/api/v1/users/author/posts", {"limit": 12})
    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) == 12


def test_the_post_owner_deletes_a_blocked_users_comment():
    from social.models import Block

    post = PostFactory()
    harasser = UserFactory()
    comment = Comment.objects.create(post=post, author=harasser, body="rude")
    Post.objects.filter(pk=post.pk).update(comment_count=1)
    Block.objects.create(blocker=post.author, blocked=harasser)

    response = client_for(post.author).delete(f"/api/v1/comments/{comment.pk}")

    assert response.status_code == 204
    assert not Comment.objects.filter(pk=comment.pk).exists()


def test_a_refused_post_does_not_use_up_the_limit(user, user_client):
    unready = MediaFactory(owner=user, status=MediaStatus.PROCESSING)
    ready = MediaFactory(owner=user)

    refused = user_client.post("/api/v1/posts", {"media_ids": [str(unready.pk)]})
    accepted = user_client.post("/api/v1/posts", {"media_ids": [str(ready.pk)]})

    assert refused.status_code == 409
    assert accepted.status_code == 201  # a new user's one post an hour is still there


def test_likes_and_comments_on_a_removed_post_are_404():
    from django.utils import timezone

    post = PostFactory()
    staff = UserFactory(is_staff=True)
    Post.objects.filter(pk=post.pk).update(removed_at=timezone.now())

    client = client_for(staff)
    assert client.post(f"/api/v1/posts/{post.pk}/like").status_code == 404
    assert client.post(f"/api/v1/posts/{post.pk}/comments", {"body": "hi"}).status_code == 404
    assert not Like.objects.filter(post=post).exists()
