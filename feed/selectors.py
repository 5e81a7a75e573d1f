"""Reads of the feed app: the home feed, explore, and search (SPEC §5, §8)."""

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Greatest, Length
from django.utils import timezone

from accounts.models import User
from accounts.selectors import inactive_user_ids
from ciel.metrics import FEED_CACHE_HITS, FEED_CACHE_MISSES
from ciel.prepared import prepared_cursor
from feed import timelines
from posts.cards import card_position, home_feed_cards, post_cards
from posts.models import Post, Visibility
from social.selectors import blocked_ids_for

SEARCH_CONFIG = "simple"  # as Post.search_vector: captions are in any language, no stemming


@dataclass(frozen=True)
class FeedPage:
    cards: list[dict[str, Any]]  # posts in the API's JSON shape (posts.cards)
    has_more: bool
    source: str  # "timeline" or "sql", for metrics and the benchmark
    # The last post's (created_at, id), for the next page's cursor.
    last: tuple[datetime.datetime, uuid.UUID] | None = None


def _page(cards: list[dict[str, Any]], *, has_more: bool, source: str) -> FeedPage:
    last = card_position(cards[-1]) if cards else None
    return FeedPage(cards=cards, has_more=has_more, source=source, last=last)


CANDIDATE_SLACK = 10


# The two-phase query: for each author (the viewer and everyone they follow), the newest N posts
# straight from the (author_id, created_at DESC, id DESC) index; then the newest N of those. It
# never reads more than N rows per author, where a plain ORDER BY … LIMIT over all followees
# sorts them all.
# - The authors come from the follow index, not from the client: sent as a parameter, 2,000 ids
#   cost ~15 ms to adapt, send and parse, more than the query. Blocks need no check of their
#   own: a block deletes the follows both ways, and no follow can cross one (social.services).
# - The active check is a LATERAL probe per author: as a plain join the planner hashed all
#   100,000 users (75 ms) to check 2,000 of them.
HOME_FEED_SQL = """
WITH authors AS (
    SELECT %(viewer)s::uuid AS id
    UNION ALL
    SELECT followee_id FROM social_follow WHERE follower_id = %(viewer)s
)
SELECT p.id, p.created_at
FROM authors a
CROSS JOIN LATERAL (
    SELECT 1 FROM accounts_user WHERE id = a.id AND is_active LIMIT 1
) AS active
CROSS JOIN LATERAL (
    SELECT id, created_at FROM posts_post
    WHERE author_id = a.id AND removed_at IS NULL {before} {since}
    ORDER BY created_at DESC, id DESC
    LIMIT %(n)s
) p
ORDER BY p.created_at DESC, p.id DESC
LIMIT %(n)s
"""
BEFORE_CLAUSE = "AND (created_at, id) < (%(before_time)s, %(before_id)s)"
SINCE_CLAUSE = "AND created_at >= %(since)s"

# Many authors: look back a day, then a week, before reading everything. Even bounded to N rows
# per author, 2,000 followees meant reading ~78,000 index entries, while their newest 50 posts
# lie within the last hours: a window cuts that to about one index probe per author. A window
# that holds N rows has the true newest N (everything outside it is older), so the answer is the
# same; one that holds fewer is widened. Few authors: one unbounded pass is cheaper than three.
SQL_WINDOWS = (datetime.timedelta(days=1), datetime.timedelta(days=8), None)
SQL_WINDOWS_MIN_AUTHORS = 200


def home_feed_ids_sql(
    viewer: User, *, before: tuple[datetime.datetime, uuid.UUID] | None, count: int
) -> list[tuple[uuid.UUID, datetime.datetime]]:
    """The newest ``count`` live posts of the viewer and the active accounts they follow,
    older than ``before``."""
    many_authors = viewer.following_count + 1 >= SQL_WINDOWS_MIN_AUTHORS
    windows = SQL_WINDOWS if many_authors else (None,)
    newest = before[0] if before is not None else timezone.now()
    for window in windows:
        since = newest - window if window is not None else None
        rows = _home_feed_ids_query(viewer, before=before, since=since, count=count)
        if len(rows) >= count:
            break
    return rows


def _home_feed_ids_query(
    viewer: User,
    *,
    before: tuple[datetime.datetime, uuid.UUID] | None,
    since: datetime.datetime | None,
    count: int,
) -> list[tuple[uuid.UUID, datetime.datetime]]:
    params: dict = {"viewer": viewer.pk, "n": count}
    if before is not None:
        params |= {"before_time": before[0], "before_id": before[1]}
    if since is not None:
        params["since"] = since
    sql = HOME_FEED_SQL.format(
        before=BEFORE_CLAUSE if before is not None else "",
        since=SINCE_CLAUSE if since is not None else "",
    )
    with prepared_cursor(DEFAULT_DB_ALIAS) as cursor:
        cursor.execute(sql, params)
        return [(row[0], row[1]) for row in cursor.fetchall()]


def _page_from_sql(viewer: User, before, limit: int, *, build: bool) -> FeedPage:
    """The page from the SQL query; on a first page, the timeline is built from the same query
    if it is missing (timelines.timeline_build_begin)."""
    marker = timelines.timeline_build_begin(viewer.pk) if build else None
    count = timelines.TIMELINE_SIZE if marker is not None else limit + 1
    rows = home_feed_ids_sql(viewer, before=before, count=count)
    if marker is not None:
        entries = [(post_id, timelines.score_of(at)) for post_id, at in rows]
        timelines.timeline_build_finish(viewer.pk, marker, entries)
    cards = post_cards(viewer=viewer, ids=[post_id for post_id, _ in rows[: limit + 1]])
    return _page(cards[:limit], has_more=len(rows) > limit, source="sql")


def home_feed_page(
    *, viewer: User, before: tuple[datetime.datetime, uuid.UUID] | None, limit: int
) -> FeedPage:
    page = _home_feed_page(viewer=viewer, before=before, limit=limit)
    (FEED_CACHE_HITS if page.source == "timeline" else FEED_CACHE_MISSES).inc()
    return page


def _home_feed_page(
    *, viewer: User, before: tuple[datetime.datetime, uuid.UUID] | None, limit: int
) -> FeedPage:
    """One page of the home feed, newest first, strictly after ``before``.

    The Redis timeline proposes candidates; PostgreSQL confirms each one (not removed, author
    active, still followed and not blocked), so a change shows at once even where the timeline
    lags. When the timeline cannot fill the page on its own (cold, trimmed, Redis down), the
    page comes from the SQL query, which is the source of truth.
    """
    before_score = timelines.score_of(before[0]) + 1 if before is not None else None
    # Room for a few candidates that fail the checks (removed, unfollowed since); each costs a
    # row in the page's query, and a page short of them falls back to the SQL path.
    wanted = limit + 1 + CANDIDATE_SLACK
    candidates = timelines.timeline_read(viewer.pk, before_score=before_score, count=wanted)
    if candidates is None:
        return _page_from_sql(viewer, before, limit, build=before is None)
    # PostgreSQL checks the candidates, orders them and keeps the page (and one more, to know
    # whether there is a next page).
    posts = home_feed_cards(viewer=viewer, ids=candidates, before=before, count=limit + 1)
    if len(posts) > limit:
        return _page(posts[:limit], has_more=True, source="timeline")
    complete = timelines.timeline_size(viewer.pk) < timelines.TIMELINE_SIZE
    if len(candidates) < wanted and complete:
        return _page(posts, has_more=False, source="timeline")
    return _page_from_sql(viewer, before, limit, build=False)


def explore_posts(*, viewer: User) -> QuerySet[Post]:
    """Newest public posts from everyone, minus blocks, removed posts and deleted authors.
    Plain posts: the view writes their cards with posts.cards."""
    return Post.objects.public_for(viewer)


# Below this length a query is a handle prefix being typed, not a misspelling.
FUZZY_SEARCH_MIN_LENGTH = 4


def search_users(*, viewer: User, query: str) -> QuerySet[User]:
    """Users by handle and display name: handle prefixes first, then trigram similarity.

    A query shorter than FUZZY_SEARCH_MIN_LENGTH matches handle prefixes only, shortest handle
    first (so the exact handle leads), ranked on the handle alone so that the prefix index
    answers it. A 3-letter trigram search matched 12,000 of 100,000 handles on the benchmark
    dataset (they share "  u" and " u1"), each rechecked and ranked: 70 ms, for results nobody
    wanted; ranking the 1,111 prefix matches of "u12" by similarity still took 20 ms.
    """
    text = query.strip().lower()  # handles are lower case
    users = User.objects.filter(is_active=True).exclude(pk__in=blocked_ids_for(viewer.pk))
    if len(text) < FUZZY_SEARCH_MIN_LENGTH:
        shortest_first = Value(1.0) + Value(1.0) / Cast(Length("handle"), FloatField())
        return users.filter(handle__startswith=text).annotate(rank=shortest_first)
    similarity = Greatest(
        TrigramSimilarity("handle", text), TrigramSimilarity("display_name", text)
    )
    prefix_bonus = Case(
        When(handle__startswith=text, then=Value(1.0)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return users.annotate(rank=similarity + prefix_bonus).filter(
        Q(handle__startswith=text)
        | Q(handle__trigram_similar=text)
        | Q(display_name__trigram_similar=text)
    )


def search_posts(*, viewer: User, query: str) -> QuerySet[Post]:
    """Public posts whose caption matches, ranked by full-text relevance among the newest
    SEARCH_POST_CANDIDATES matches.

    Ranking every match cost 4 s for a common word on the benchmark dataset (400,000 matches,
    each with its rank computed): a query anyone can send should not cost that. Bounded, the
    planner reads a common word's newest matches along the (created_at) index and a rare
    word's few matches from the GIN index, and ranks at most this many. The price: older
    posts fall out of results for words that many newer posts match, as in most social search.
    200 rather than 500: a common word's newest 500 matches meant reading ~5,700 rows (45 ms
    at the median, 127 ms at p99 on the benchmark dataset); 200 is 10 pages of results at the
    default page size. The text vectors are stored (Post.search_vector), not computed per row.
    """
    search = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
    # The viewer's blocks and deleted accounts are left out before the bound, not after: else a
    # blocked or deleted account's 200 newest matches would leave the viewer with no result at
    # all. Deleted accounts come from their own small index (inactive_user_ids): on the benchmark
    # dataset it added ~0.5 ms to a page for a common word, where joining each candidate's
    # author added ~1 ms (medians of 40, taken in turn: none 4.8–4.9, index 5.3, join 5.6–5.9).
    newest_matches = (
        Post.objects.filter(
            search_vector=search, visibility=Visibility.PUBLIC, removed_at__isnull=True
        )
        .exclude(author_id__in=blocked_ids_for(viewer.pk))
        .exclude(author_id__in=inactive_user_ids())
        .order_by("-created_at", "-id")
        .values("id")[: settings.SEARCH_POST_CANDIDATES]
    )
    return (
        Post.objects.public_for(viewer)
        .filter(pk__in=newest_matches)
        # ts_rank is a 4-byte real: as double precision, the value the cursor carries back
        # compares equal to the row's own, so ties neither repeat nor vanish across pages.
        .annotate(rank=Cast(SearchRank(F("search_vector"), search), FloatField()))
    )
