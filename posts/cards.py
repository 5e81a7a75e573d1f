"""Posts as the API shows them (PostSerializer's output), built straight from one query.

Why not PostSerializer here: the home feed's budget is a few milliseconds for 50 posts, and
DRF spends about 25 µs a field-bearing object — 50 posts, their authors, media and variants
come to several hundred objects, most of the budget — while model instances add the same
again. This module reads plain rows and writes the same JSON shape directly.
PostSerializer stays the contract: the schema is generated from it, and a test checks that both
produce identical output for the same posts.
"""

import datetime
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from django.db import router

from accounts.models import User
from ciel.prepared import prepared_cursor
from media.selectors import variant_urls
from posts.models import Post

# A timestamptz in ISO 8601, in UTC, ending in "Z", always with microseconds; _iso_8601 drops
# ".000000" as datetime.isoformat() does, which gives PostSerializer's DateTimeField output
# (TIME_ZONE "UTC"). Formatted by PostgreSQL: in Python, psycopg's timestamptz loader (as Django
# installs it) and DRF's field cost ~8 and ~15 µs a value on these machines, ~3 ms for the 150
# dates of a 50-post page; to_char costs ~1 µs.
ISO_8601 = """to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
WHOLE_SECOND = ".000000Z"


def _iso_8601(value: str) -> str:
    return value[: -len(WHOLE_SECOND)] + "Z" if value.endswith(WHOLE_SECOND) else value


# One round trip for everything a card shows: the post, its author, "liked by the viewer",
# and the media in order (aggregated as JSON). Raw SQL because the ORM cannot aggregate the
# media into the row without a second query, and compiling the equivalent queryset costs more
# than the database takes to answer (~1 ms each at 50 posts). Ids travel as text, in and out:
# a UUID object per id, made and hashed and printed again, cost more than the query's probes.
# The media come as JSON text, parsed by orjson: psycopg's loader for json uses the standard
# library's, 4.7 µs against 1.6 µs for one image's 838 bytes (in a loop), 50 times a page.
CARDS_SQL = """
SELECT p.id::text, p.author_id::text, p.caption, p.visibility, p.like_count, p.comment_count,
       {created_at}, {updated_at},
       u.handle, u.display_name, u.bio, u.follower_count, u.following_count, u.post_count,
       {author_created_at},
       EXISTS (
           SELECT 1 FROM posts_like l WHERE l.user_id = %(viewer)s AND l.post_id = p.id
       ) AS liked,
       (
           SELECT json_agg(json_build_object(
                      'id', m.id, 'width', m.width, 'height', m.height,
                      'blurhash', m.blurhash, 'variants', m.variants
                  ) ORDER BY pm.position)
           FROM posts_postmedia pm JOIN media_mediaitem m ON m.id = pm.media_id
           WHERE pm.post_id = p.id
       )::text AS media
FROM posts_post p
JOIN accounts_user u ON u.id = p.author_id {{followed_join}}
WHERE p.id = ANY(%(ids)s::uuid[]) AND p.removed_at IS NULL AND u.is_active {{followed_where}}
{{newest}}
""".format(  # noqa: S608 — fragments written here, values as parameters
    created_at=ISO_8601.format(column="p.created_at"),
    updated_at=ISO_8601.format(column="p.updated_at"),
    author_created_at=ISO_8601.format(column="u.created_at"),
)

# The home feed's own check: the viewer's posts and those of accounts they follow now, an index
# probe per candidate (a join, not EXISTS: the planner hashed the viewer's 2,000 follows for
# EXISTS, 1.4 ms against 0.7 ms for 60 probes). Blocks need no check of their own: a block
# deletes the follows both ways in its transaction, and no follow can cross a block.
FOLLOWED_JOIN = """
LEFT JOIN social_follow f ON f.follower_id = %(viewer)s AND f.followee_id = p.author_id
"""
FOLLOWED_WHERE = "AND (p.author_id = %(viewer)s OR f.id IS NOT NULL)"
# The feed's order and page, applied by PostgreSQL to the candidates that pass.
NEWEST = "{before} ORDER BY p.created_at DESC, p.id DESC LIMIT %(count)s"
BEFORE = "AND (p.created_at, p.id) < (%(before_time)s, %(before_id)s)"


def post_cards(*, viewer: User, ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    """The cards of the live posts among ``ids`` (not removed, author active), in the order
    of ``ids``."""
    if not ids:
        return []
    cards = _cards_query(viewer, ids, followed_only=False, newest="", extra={})
    by_id = {card["id"]: card for card in cards}
    return [by_id[key] for key in map(str, ids) if key in by_id]


def home_feed_cards(
    *,
    viewer: User,
    ids: Sequence[uuid.UUID | str],
    before: tuple[datetime.datetime, uuid.UUID] | None,
    count: int,
) -> list[dict[str, Any]]:
    """The cards of the newest ``count`` posts among ``ids`` that the viewer's home feed shows
    now (live, by the viewer or an account they follow), older than ``before``, newest
    first. ``ids`` may be UUIDs or their text (hex from the Redis timelines)."""
    if not ids:
        return []
    extra: dict[str, Any] = {"count": count}
    if before is not None:
        extra |= {"before_time": before[0], "before_id": before[1]}
    newest = NEWEST.format(before=BEFORE if before is not None else "")
    return _cards_query(viewer, ids, followed_only=True, newest=newest, extra=extra)


def card_position(card: dict[str, Any]) -> tuple[datetime.datetime, uuid.UUID]:
    """A card's (created_at, id): the key the feed's cursor carries."""
    return datetime.datetime.fromisoformat(card["created_at"]), uuid.UUID(card["id"])


def _cards_query(
    viewer: User,
    ids: Iterable[uuid.UUID | str],
    *,
    followed_only: bool,
    newest: str,
    extra: dict[str, Any],
) -> list[dict[str, Any]]:
    sql = CARDS_SQL.format(
        followed_join=FOLLOWED_JOIN if followed_only else "",
        followed_where=FOLLOWED_WHERE if followed_only else "",
        newest=newest,
    )
    # One array literal: PostgreSQL parses it faster than psycopg adapts a list of UUIDs.
    params = {"viewer": viewer.pk, "ids": "{" + ",".join(map(str, ids)) + "}", **extra}
    with prepared_cursor(router.db_for_read(Post)) as cursor:
        cursor.execute(sql, params)
        return [_card(row) for row in cursor.fetchall()]


def _card(row: tuple) -> dict[str, Any]:
    (
        post_id, author_id, caption, visibility, like_count, comment_count, created_at,
        updated_at, handle, display_name, bio, follower_count, following_count, post_count,
        author_created_at, liked, media,
    ) = row  # fmt: skip
    return {
        "id": post_id,
        "author": {
            "id": author_id,
            "handle": handle,
            "display_name": display_name,
            "bio": bio,
            "follower_count": follower_count,
            "following_count": following_count,
            "post_count": post_count,
            "created_at": _iso_8601(author_created_at),
        },
        "caption": caption,
        "visibility": visibility,
        "media": [
            {
                "id": item["id"],
                "width": item["width"],
                "height": item["height"],
                "blurhash": item["blurhash"],
                "variants": variant_urls(item["variants"]),
            }
            for item in (orjson.loads(media) if media else ())
        ],
        "like_count": like_count,
        "comment_count": comment_count,
        "liked": liked,
        "created_at": _iso_8601(created_at),
        "updated_at": _iso_8601(updated_at),
    }
