"""Read replicas: replica-safe reads go to a replica, everything else to the primary.

replica_0 is configured for the test run (pyproject.toml) as a mirror of the test database, so
what a test writes through the primary is there to read at once (no replication lag). The tests
are transactional: a mirror is a second connection, which sees only committed rows. Each query
is counted on the alias it ran on.
"""

import re
import runpy
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.authentication import PasetoAuthentication
from accounts.models import Session, User
from ciel.db_router import replica_reads
from posts.models import Post
from social.models import Block, Follow
from tests.conftest import REPO_ROOT
from tests.factories import PostFactory, UserFactory
from tests.helpers import client_for, free_port

REPLICA = "replica_0"
both_databases = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture
def replicas(settings) -> None:
    """Replica reads on, with replica_0 as the only replica (tests/conftest.py turns them off)."""
    settings.DATABASE_REPLICAS = [REPLICA]


@pytest.fixture
def star(db) -> User:
    star = UserFactory(handle="star", display_name="Star")
    PostFactory(author=star, caption="fog at dawn")
    return star


TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


def _table(sql: str) -> str:
    """The table a statement reads or writes, outside its subqueries (``unnest`` for the home
    feed's raw query); the statement's first word if it has none (``SAVEPOINT``)."""
    for match in re.finditer(r'\b(?:FROM|UPDATE|INTO)\s+"?(\w+)', sql):
        if sql.count("(", 0, match.start()) == sql.count(")", 0, match.start()):
            return match.group(1)
    return sql.split()[0]


class Queries:
    def __init__(self) -> None:
        self.replica = CaptureQueriesContext(connections[REPLICA])
        self.primary = CaptureQueriesContext(connections["default"])

    @staticmethod
    def _tables(captured: CaptureQueriesContext) -> list[str]:
        tables = [_table(query["sql"]) for query in captured.captured_queries]
        return [table for table in tables if table not in TRANSACTION_CONTROL]

    @property
    def on_replica(self) -> list[str]:
        return self._tables(self.replica)

    @property
    def on_primary(self) -> list[str]:
        return self._tables(self.primary)


@contextmanager
def queries() -> Iterator[Queries]:
    """The queries run on the replica and on the primary inside the block."""
    captured = Queries()
    with ExitStack() as stack:
        stack.enter_context(captured.replica)
        stack.enter_context(captured.primary)
        yield captured


# The authentication query (user joined to its live session) reads accounts_user; the block set
# (social_block) and the following set (social_follow) are always read from the primary, since
# they are cached in Redis. Redis starts empty in every test, so both sets are read.
AUTH = "accounts_user"
# What a replica-safe GET reads from the replica: its page, in however many queries the
# selectors take, and nothing else.
POSTS = {"posts_post", "posts_postmedia"}


@both_databases
@pytest.mark.usefixtures("replicas")
@pytest.mark.parametrize(
    ("url", "on_replica", "on_primary"),
    [
        ("/api/v1/users/star", {"accounts_user"}, [AUTH, "social_block"]),
        ("/api/v1/feed/explore", POSTS, [AUTH, "social_block"]),
        ("/api/v1/search/users?q=sta", {"accounts_user"}, [AUTH, "social_block"]),
        ("/api/v1/search/posts?q=fog", POSTS, [AUTH, "social_block"]),
    ],
)
def test_replica_safe_gets_read_from_the_replica(star, url, on_replica, on_primary):
    client = client_for(UserFactory())
    assert client.post("/api/v1/users/star/follow").status_code == 200

    with queries() as captured:
        response = client.get(url)

    assert response.status_code == 200, response.content
    assert captured.on_replica
    assert set(captured.on_replica) <= on_replica
    assert captured.on_primary == on_primary
    assert "star" in response.content.decode()  # the replica saw the committed rows


@both_databases
@pytest.mark.usefixtures("replicas")
def test_the_home_feed_reads_only_the_primary(star):
    # SPEC §5: one's own post, a follow, a deletion and a removal show at once; a lagging
    # replica would hide or keep them for the length of the lag.
    client = client_for(UserFactory())
    assert client.post("/api/v1/users/star/follow").status_code == 200

    with queries() as captured:
        response = client.get("/api/v1/feed/home")

    assert response.status_code == 200, response.content
    assert "star" in response.content.decode()
    assert captured.on_replica == []
    assert captured.on_primary


@both_databases
@pytest.mark.usefixtures("replicas")
@pytest.mark.parametrize("path", ["/api/v1/users/star/follow", "/api/v1/posts/{post}/like"])
def test_writes_and_unscoped_requests_run_on_the_primary(star, path):
    client = client_for(UserFactory())
    post = Post.objects.get(author=star)

    with queries() as captured:
        response = client.post(path.format(post=post.pk))
        client.get("/api/v1/users/star/relationship")  # a read outside any replica scope

    assert response.status_code == 200, response.content
    assert captured.on_replica == []
    assert len(captured.on_primary) >= 5


@both_databases
@pytest.mark.usefixtures("replicas")
@pytest.mark.parametrize("how", ["orm", "raw sql"])
def test_a_request_that_wrote_reads_from_the_primary(star, monkeypatch, how):
    """Authentication that records the session's use (a write) before the replica-safe view:
    the rest of the request reads its own writes from the primary."""
    original = PasetoAuthentication.authenticate

    def authenticate_and_touch(self, request):
        user, token = original(self, request)
        if how == "orm":
            Session.objects.filter(user=user).update(last_used_at=timezone.now())
        else:
            with connections["default"].cursor() as cursor:
                sql = "UPDATE accounts_session SET last_used_at = now() WHERE user_id = %s"
                cursor.execute(sql, [user.pk])
        return user, token

    monkeypatch.setattr(PasetoAuthentication, "authenticate", authenticate_and_touch)
    client = client_for(UserFactory())

    with queries() as captured:
        first = client.get("/api/v1/users/star")
    monkeypatch.setattr(PasetoAuthentication, "authenticate", original)
    with queries() as next_request:
        second = client.get("/api/v1/users/star")

    assert first.status_code == second.status_code == 200
    assert captured.on_replica == []
    assert captured.on_primary == [AUTH, "accounts_session", "accounts_user", "social_block"]
    # The next request starts afresh: back to the replica.
    assert next_request.on_replica == ["accounts_user"]


@both_databases
@pytest.mark.usefixtures("replicas")
def test_a_request_inside_a_transaction_reads_from_the_primary(star):
    client = client_for(UserFactory())

    with queries() as captured, transaction.atomic():
        response = client.get("/api/v1/users/star")

    assert response.status_code == 200
    assert captured.on_replica == []
    assert captured.on_primary == [AUTH, "accounts_user", "social_block"]


@both_databases
def test_without_replicas_everything_reads_from_the_primary(star):
    client = client_for(UserFactory())

    with queries() as captured:
        for url in ("/api/v1/users/star", "/api/v1/feed/explore", "/api/v1/search/users?q=st"):
            assert client.get(url).status_code == 200

    assert captured.on_replica == []
    assert captured.on_primary == [
        *(AUTH, "accounts_user", "social_block"),
        # The page's keys, then its cards (posts.cards); the block set is in Redis now.
        *(AUTH, "posts_post", "posts_post"),
        *(AUTH, "accounts_user", "accounts_user"),  # the page's keys, then its users
    ]


def _write_orm(user: User) -> None:
    user.save(update_fields=["display_name"])


def _write_raw_sql(user: User) -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET display_name = 'x' WHERE id = %s", [user.pk])


def _lock_row(user: User) -> None:
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)


@both_databases
@pytest.mark.usefixtures("replicas")
@pytest.mark.parametrize("write", [_write_orm, _write_raw_sql, _lock_row])
def test_in_a_scope_a_write_sends_the_later_reads_to_the_primary(star, write):
    with queries() as captured, replica_reads():
        User.objects.get(pk=star.pk)
        write(star)
        User.objects.get(pk=star.pk)
        list(Post.objects.filter(author=star))

    assert captured.on_replica == ["accounts_user"]
    assert captured.on_primary[-2:] == ["accounts_user", "posts_post"]


@both_databases
@pytest.mark.usefixtures("replicas")
def test_in_a_scope_reads_in_a_transaction_and_of_cached_sets_use_the_primary(star):
    with queries() as captured, replica_reads():
        with transaction.atomic():
            User.objects.get(pk=star.pk)
        list(Block.objects.all())
        list(Follow.objects.all())
        User.objects.get(pk=star.pk)  # the transaction wrote nothing: back to the replica

    assert captured.on_primary == ["accounts_user", "social_block", "social_follow"]
    assert captured.on_replica == ["accounts_user"]


@pytest.fixture
def replicas_answer(monkeypatch) -> None:
    """The routing rules alone, without connecting to the replicas (some do not exist here)."""
    import ciel.db_router

    monkeypatch.setattr(ciel.db_router, "_replica_reachable", lambda alias: True)


@pytest.mark.usefixtures("replicas", "replicas_answer")
def test_outside_a_scope_reads_and_all_writes_go_to_the_primary():
    assert router.db_for_read(User) == "default"
    with replica_reads():
        assert router.db_for_read(User) == REPLICA
        with replica_reads():  # nested: the same replica
            assert router.db_for_read(Post) == REPLICA
        assert router.db_for_write(User) == "default"
        assert router.db_for_read(User) == "default"  # it wrote
    assert router.db_for_read(User) == "default"


@pytest.mark.usefixtures("replicas_answer")
def test_each_scope_picks_a_replica_at_random(settings):
    settings.DATABASE_REPLICAS = ["replica_0", "replica_1"]
    picked = set()
    for _ in range(64):
        with replica_reads():
            picked.add(router.db_for_read(User))

    assert picked == {"replica_0", "replica_1"}


@pytest.mark.usefixtures("replicas")
def test_relations_across_copies_and_migrations_on_the_primary_only():
    on_primary, on_replica, elsewhere = User(), User(), User()
    on_primary._state.db, on_replica._state.db, elsewhere._state.db = "default", REPLICA, "other"

    assert router.allow_relation(on_primary, on_replica) is True
    assert router.allow_relation(on_replica, elsewhere) is False
    assert router.allow_migrate("default", "accounts") is True
    assert router.allow_migrate(REPLICA, "accounts") is False


def test_settings_make_one_replica_per_url_configured_like_default(monkeypatch):
    settings_file = str(REPO_ROOT / "ciel" / "settings.py")
    urls = "postgres://reader@replica-a:5432/ciel?sslmode=require, postgres://replica-b/ciel"
    monkeypatch.setenv("DATABASE_REPLICA_URLS", urls)
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "30")

    configured = runpy.run_path(settings_file)

    databases = configured["DATABASES"]
    assert configured["DATABASE_REPLICAS"] == ["replica_0", "replica_1"]
    assert set(databases) == {"default", "replica_0", "replica_1"}
    first, second = databases["replica_0"], databases["replica_1"]
    assert (first["HOST"], first["USER"], second["HOST"]) == ("replica-a", "reader", "replica-b")
    for replica in (first, second):
        assert replica["ENGINE"] == databases["default"]["ENGINE"]
        assert replica["OPTIONS"].items() >= databases["default"]["OPTIONS"].items()
        assert replica["CONN_MAX_AGE"] == 30
        assert replica["CONN_HEALTH_CHECKS"] is True
        assert replica["TEST"] == {"MIRROR": "default"}
    assert first["OPTIONS"]["sslmode"] == "require"
    assert configured["DATABASE_ROUTERS"] == ["ciel.db_router.ReplicaRouter"]

    monkeypatch.setenv("DATABASE_REPLICA_URLS", "")
    configured = runpy.run_path(settings_file)

    assert configured["DATABASE_REPLICAS"] == []
    assert set(configured["DATABASES"]) == {"default"}


@pytest.fixture
def unreachable_replica(monkeypatch) -> Iterator[None]:
    """replica_0 pointed at a port where nothing listens, as when its server is down."""
    import ciel.db_router

    replica = connections[REPLICA]
    replica.close()
    monkeypatch.setitem(replica.settings_dict, "PORT", str(free_port()))
    monkeypatch.setattr(ciel.db_router, "_replica_down_until", {})
    yield
    monkeypatch.undo()
    replica.close()


@both_databases
@pytest.mark.usefixtures("replicas", "unreachable_replica")
def test_with_the_replica_down_the_primary_serves_replica_safe_reads(star):
    import ciel.db_router

    client = client_for(UserFactory())

    # Only the primary is watched: capturing the replica's queries would connect to it.
    with CaptureQueriesContext(connections["default"]) as first:
        response = client.get("/api/v1/users/star")
    with CaptureQueriesContext(connections["default"]) as second:
        again = client.get("/api/v1/search/users?q=star")

    assert response.status_code == 200, response.content
    assert again.status_code == 200, again.content
    assert "star" in again.content.decode()
    # Authentication, then the block set, then the profile itself, all on the primary.
    assert [_table(q["sql"]) for q in first.captured_queries].count("accounts_user") >= 2
    assert [_table(q["sql"]) for q in second.captured_queries].count("accounts_user") >= 2
    # Marked down after the first failure, so the second request did not wait on it again.
    assert ciel.db_router._replica_down_until[REPLICA] > 0


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ("SELECT 1", False),
        ("  select p.updated_at from posts_post p", False),
        ("WITH a AS (SELECT 1) SELECT * FROM a", False),
        ("\nWITH authors AS (SELECT id FROM t) SELECT p.id FROM authors", False),
        ("WITH gone AS (DELETE FROM t RETURNING id) SELECT * FROM gone", True),
        ("WITH a AS (SELECT 1) UPDATE t SET x = 1", True),
        ("SELECT * FROM t FOR UPDATE", True),
        ("UPDATE t SET x = 1", True),
        ("INSERT INTO t VALUES (1)", True),
    ],
)
def test_which_statements_count_as_writes(sql, writes):
    from ciel.db_router import _is_write

    assert _is_write(sql) is writes
