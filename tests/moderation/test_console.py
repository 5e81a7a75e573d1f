"""The moderation console (Django admin) as a moderator uses it."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from posts.models import Post
from safety.models import AuditLogEntry, Ban, Strike
from safety.services import report_create
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(moderators_group) -> User:
    user = UserFactory(handle="mod_one", is_staff=True)
    user.groups.add(moderators_group)
    return user


@pytest.fixture
def console(moderator) -> Client:
    client = Client()
    client.force_login(moderator)
    return client


@pytest.fixture
def reported_post():
    post = PostFactory()
    reporter = UserFactory(trust_level="basic")
    report, _ = report_create(
        reporter=reporter, target_type="post", target_id=post.pk, target_owner=post.author,
        reason="spam",
    )  # fmt: skip
    return post, report


def act(console: Client, url: str, action: str, ids: list, reason: str = "test reason"):
    """Choose an action, then confirm it with a reason, as the two admin pages ask."""
    ask = console.post(url, {"action": action, "_selected_action": [str(i) for i in ids]})
    assert ask.status_code == 200
    assert b'name="reason"' in ask.content
    return console.post(
        url,
        {
            "action": action,
            "_selected_action": [str(i) for i in ids],
            "apply": "yes",
            "reason": reason,
        },
        follow=True,
    )


def test_the_moderators_group_has_no_delete_and_no_permission_rights(moderators_group):
    codenames = set(moderators_group.permissions.values_list("codename", flat=True))

    assert "view_report" in codenames
    assert "change_report" in codenames
    assert not {c for c in codenames if c.startswith(("delete_", "add_"))}
    assert not {c for c in codenames if c.endswith(("_group", "_permission"))}


@pytest.mark.parametrize(
    "url",
    [
        "/admin/auth/group/",
        "/admin/auth/group/add/",
        "/admin/accounts/user/add/",
        "/admin/safety/auditlogentry/add/",
    ],
)
def test_a_moderator_is_refused_what_the_group_does_not_allow(console, url):
    assert console.get(url).status_code == 403


def test_a_moderator_cannot_delete_users_or_change_their_permissions(console):
    target = UserFactory()

    assert console.get(f"/admin/accounts/user/{target.pk}/delete/").status_code == 403
    console.post(
        f"/admin/accounts/user/{target.pk}/change/",
        {"email": target.email, "handle": target.handle, "is_staff": "on", "is_superuser": "on"},
    )

    target.refresh_from_db()
    assert not target.is_staff
    assert not target.is_superuser
    assert User.objects.filter(pk=target.pk).exists()


def test_the_audit_log_is_read_only_even_for_superusers(reported_post):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    entry = AuditLogEntry.objects.create(action="x", target_type="user", target_id=admin.pk)

    assert client.get(f"/admin/safety/auditlogentry/{entry.pk}/delete/").status_code == 403
    assert client.get("/admin/safety/auditlogentry/add/").status_code == 403


def test_the_report_queue_filters(console, reported_post):
    for query in (
        "?status__exact=dismissed",
        "?status__exact=open",
        "?reason__exact=spam",
        "?age=day",
        "?target_type__exact=post",
    ):
        response = console.get(f"/admin/safety/report/{query}")
        assert response.status_code == 200, query
    assert b"spam" in console.get("/admin/safety/report/?status__exact=open").content


def test_dismissing_a_report_writes_the_audit_row(console, moderator, reported_post):
    _, report = reported_post

    response = act(console, "/admin/safety/report/", "dismiss", [report.pk], "not spam")

    assert b"done for 1" in response.content
    report.refresh_from_db()
    assert report.status == "dismissed"
    entry = AuditLogEntry.objects.get(action="report_dismiss")
    assert (entry.actor, entry.reason, entry.target_id) == (moderator, "not spam", report.pk)


def test_removing_reported_content_strikes_its_author(console, moderator, reported_post):
    post, report = reported_post

    act(console, "/admin/safety/report/", "remove_content", [report.pk], "spam link")

    post.refresh_from_db()
    assert post.removed_at is not None
    strike = Strike.objects.get(user=post.author)
    assert strike.source == "content_removed"
    post.author.refresh_from_db()
    assert post.author.trust_points == -10 - 25
    report.refresh_from_db()
    assert report.status == "actioned"
    assert AuditLogEntry.objects.filter(action="content_remove", actor=moderator).exists()


def test_banning_from_the_queue_and_lifting(console, reported_post):
    post, report = reported_post

    act(console, "/admin/safety/report/", "ban_30_days", [report.pk], "repeated spam")

    ban = Ban.objects.get(user=post.author)
    assert (ban.ends_at - ban.starts_at).days == 30
    post.author.refresh_from_db()
    assert post.author.ban_active()
    act(console, "/admin/safety/report/", "lift_ban", [report.pk], "appeal")
    post.author.refresh_from_db()
    assert not post.author.ban_active()


def test_the_user_page_shows_everything_in_one_place(console, reported_post):
    post, _ = reported_post

    page = console.get(f"/admin/accounts/user/{post.author.pk}/change/").content.decode()

    for label in ("trust ledger", "strikes", "bans", "devices", "invited by", "reports against",
                  "recent posts"):  # fmt: skip
        assert label.lower() in page.lower(), label
    assert "flag_received".replace("_", " ") in page or "was flagged" in page


def test_posts_can_be_removed_and_restored(console, moderator):
    post = PostFactory()

    act(console, "/admin/posts/post/", "remove", [post.pk], "nudity")
    post.refresh_from_db()
    assert post.removed_at is not None
    act(console, "/admin/posts/post/", "restore", [post.pk], "mistake")
    post.refresh_from_db()
    assert post.removed_at is None
    actions = AuditLogEntry.objects.filter(target_id=post.pk).order_by("created_at")
    assert list(actions.values_list("action", flat=True)) == ["content_remove", "content_restore"]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/",
        "/admin/posts/post/",
        "/admin/safety/report/?status__exact=open",
        "/admin/safety/auditlogentry/",
    ],
)
def test_list_pages_never_count_a_whole_table(console, reported_post, url):
    with CaptureQueriesContext(connection) as queries:
        assert console.get(url).status_code == 200

    counts = [q["sql"] for q in queries.captured_queries if re.search(r"COUNT\(\*\)", q["sql"])]
    assert counts, "the list must count something"
    assert all("LIMIT" in sql for sql in counts), counts


def test_moderators_see_the_posts_list(console):
    post = PostFactory(caption="Harbour lights at dusk")

    page = console.get("/admin/posts/post/")

    assert page.status_code == 200
    assert post.caption in page.content.decode()


def test_report_admin_has_no_add(console):
    assert console.get("/admin/safety/report/add/").status_code == 403


def test_a_moderator_cannot_set_passwords_or_act_on_staff(console, moderator):
    superuser = UserFactory(is_staff=True, is_superuser=True)

    page = console.get(f"/admin/accounts/user/{superuser.pk}/password/")
    posted = console.post(
        f"/admin/accounts/user/{superuser.pk}/password/",
        {"password1": "hijacked-password-1", "password2": "hijacked-password-1"},
    )
    act(console, "/admin/accounts/user/", "ban_7_days", [superuser.pk], "nope")

    assert page.status_code == posted.status_code == 403
    superuser.refresh_from_db()
    assert superuser.check_password("correct horse battery staple")
    assert not superuser.ban_active()


def test_one_reporter_flagging_many_posts_counts_once():
    author = UserFactory()
    reporter = UserFactory(trust_level="basic")
    posts = [PostFactory(author=author) for _ in range(12)]

    for post in posts:
        report_create(
            reporter=reporter, target_type="post", target_id=post.pk, target_owner=author,
            reason="spam",
        )  # fmt: skip

    author.refresh_from_db()
    assert author.flag_score == 2
    assert author.trust_points == -10
    assert not Strike.objects.filter(user=author).exists()


def test_the_report_queue_opens_on_open_reports(console):
    response = console.get("/admin/safety/report/")

    assert response.status_code == 302
    assert response["Location"].endswith("?status__exact=open")


def test_select_all_survives_the_reason_page(console, moderator):
    posts = PostFactory.create_batch(3)

    ask = console.post(
        "/admin/posts/post/",
        {
            "action": "remove",
            "_selected_action": [str(posts[0].pk)],
            "select_across": "1",
            "index": "0",
        },
    )
    assert b'name="select_across"' in ask.content
    console.post(
        "/admin/posts/post/",
        {"action": "remove", "_selected_action": [str(posts[0].pk)], "select_across": "1",
         "index": "0", "apply": "yes", "reason": "spam wave"},
    )  # fmt: skip

    assert Post.objects.filter(removed_at__isnull=False).count() == 3
