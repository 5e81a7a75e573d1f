"""Reads of the feed app: the home feed, explore, and search (SPEC §5, §8)."""

import datetime
import uuid
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, TrigramSimilarity
from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Greatest

from accounts.models import User
from feed import timelines
from posts.models import Post, Visibility
from posts.selectors import with_display_data
from social.selectors import blocked_ids_for, following_ids_for

SEARCH_CONFIG = "simple"  # captions are in any language: no stemming, no stop words


@dataclass(frozen=True)
class FeedPage:
    posts: list[Post]
    has_more: bool
    source: str  # "timeline" or "sql", for metrics and the benchmark


def home_authors(viewer: User) -> list[uuid.UUID]:
    """Whose posts the home feed shows: the viewer and everyone they follow, minus blocks."""
    blocked = blocked_ids_for(viewer.pk)
    return [
        author for author in {viewer.pk, *following_ids_for(viewer.pk)} if author not in blocked
    ]


# The two-phase query: for each author, the newest N posts straight from the
# (author_id, created_at DESC, id DESC) index; then the newest N of those. It never reads more
# than N rows per author, where a plain ORDER BY … LIMIT over all followees sorts them all.
HOME_FEED_SQL = """
SELECT p.id, p.created_at
FROM unnest(%(authors)s::uuid[]) AS a(id)
JOIN accounts_user u ON u.id = a.id AND u.is_active
CROSS JOIN LATERAL (
    SELECT id, created_at FROM posts_post
    WHERE author_id = a.id AND removed_at IS NULL {before}
    ORDER BY created_at DESC, id DESC
    LIMIT %(n)s
) p
ORDER BY p.created_at DESC, p.id DESC
LIMIT %(n)s
"""
BEFORE_CLAUSE = "AND (created_at, id) < (%(before_time)s, %(before_id)s)"


def home_feed_ids_sql(
    authors: list[uuid.UUID], *, before: tuple[datetime.datetime, uuid.UUID] | None, count: int
) -> list[tuple[uuid.UUID, datetime.datetime]]:
    params: dict = {"authors": authors, "n": count}
    if before is not None:
        params |= {"before_time": before[0], "before_id": before[1]}
    sql = HOME_FEED_SQL.format(before=BEFORE_CLAUSE if before is not None else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], row[1]) for row in cursor.fetchall()]


def _posts_in_order(viewer: User, ids: list[uuid.UUID]) -> list[Post]:
    by_id = {
        post.pk: post
        for post in with_display_data(
            Post.objects.filter(pk__in=ids, removed_at__isnull=True, author__is_active=True),
            viewer,
        )
    }
    return [by_id[post_id] for post_id in ids if post_id in by_id]


def _page_from_sql(
    viewer: User, authors: list[uuid.UUID], before, limit: int, *, warm: bool
) -> FeedPage:
    count = timelines.TIMELINE_SIZE if warm else limit + 1
    rows = home_feed_ids_sql(authors, before=before, count=max(count, limit + 1))
    if warm:
        timelines.timeline_build(viewer.pk, [(pid, timelines.score_of(at)) for pid, at in rows])
    ids = [post_id for post_id, _ in rows[: limit + 1]]
    posts = _posts_in_order(viewer, ids)
    return FeedPage(posts=posts[:limit], has_more=len(rows) > limit, source="sql")


def home_feed_page(
    *, viewer: User, before: tuple[datetime.datetime, uuid.UUID] | None, limit: int
) -> FeedPage:
    """One page of the home feed, newest first, strictly after ``before``.

    The Redis timeline proposes candidates; PostgreSQL confirms each one (not removed, author
    active, still followed and not blocked), so a change shows at once even where the timeline
    lags. When the timeline cannot fill the page on its own (cold, trimmed, Redis down), the
    page comes from the SQL query, which is the source of truth.
    """
    authors = home_authors(viewer)
    allowed = set(authors)
    before_score = timelines.score_of(before[0]) + 1 if before is not None else None
    wanted = limit * 2 + 10  # room for candidates that fail the checks
    candidates = timelines.timeline_read(viewer.pk, before_score=before_score, count=wanted)
    if candidates is None:
        warm = before is None and timelines.timeline_exists(viewer.pk) is False
        return _page_from_sql(viewer, authors, before, limit, warm=warm)
    ids = [post_id for post_id, _ in candidates]
    posts = [
        post
        for post in _posts_in_order(viewer, ids)
        if post.author_id in allowed and (before is None or (post.created_at, post.pk) < before)
    ]
    if len(posts) > limit:
        return FeedPage(posts=posts[:limit], has_more=True, source="timeline")
    complete = timelines.timeline_size(viewer.pk) < timelines.TIMELINE_SIZE
    if len(candidates) < wanted and complete:
        return FeedPage(posts=posts, has_more=False, source="timeline")
    return _page_from_sql(viewer, authors, before, limit, warm=False)


def explore_posts(*, viewer: User) -> QuerySet[Post]:
    """Newest public posts from everyone, minus blocks, removed posts and deleted authors."""
    posts = Post.objects.filter(
        visibility=Visibility.PUBLIC, removed_at__isnull=True, author__is_active=True
    ).exclude(author_id__in=blocked_ids_for(viewer.pk))
    return with_display_data(posts, viewer)


def search_users(*, viewer: User, query: str) -> QuerySet[User]:
    """Users by handle and display name: handle prefixes first, then trigram similarity."""
    text = query.strip().lower()
    similarity = Greatest(
        TrigramSimilarity("handle", text), TrigramSimilarity("display_name", text)
    )
    return (
        User.objects.filter(is_active=True)
        .exclude(pk__in=blocked_ids_for(viewer.pk))
        .annotate(
            rank=similarity
            + Case(
                When(handle__startswith=text, then=Value(1.0)),
                default=Value(0.0),
                output_field=FloatField(),
            )
        )
        .filter(
            Q(handle__startswith=text)
            | Q(handle__trigram_similar=text)
            | Q(display_name__trigram_similar=text)
        )
    )


def search_posts(*, viewer: User, query: str) -> QuerySet[Post]:
    """Public posts whose caption matches, ranked by full-text relevance."""
    search = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
    vector = SearchVector("caption", config=SEARCH_CONFIG)
    posts = (
        Post.objects.annotate(document=vector)
        .filter(
            document=search,
            visibility=Visibility.PUBLIC,
            removed_at__isnull=True,
            author__is_active=True,
        )
        .exclude(author_id__in=blocked_ids_for(viewer.pk))
        .annotate(rank=SearchRank(F("document"), search))
    )
    return with_display_data(posts, viewer)
