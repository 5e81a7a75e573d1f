"""Time the beat job that recalculates every user's trust level, on 100,000 users.

    python -m bench.trust_recalculation [--users 100000]

Uses its own database (``ciel_bench`` unless BENCH_DATABASE_URL says otherwise): creates it if
missing, migrates, fills it with users by SQL (random ages, posts, points, strikes), then runs
the recalculation twice — the first run changes many levels, the second (idempotent) none.
"""

import argparse
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ciel.settings")
# A batch job, not the API: its statements may run for minutes (docs/operations.md).
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT_MS", "0")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ciel_bench"
)

import django

django.setup()

from django.core.management import call_command
from django.db import connection

from safety.services import trust_level_recalculate_all

FILL_USERS = """
INSERT INTO accounts_user (
    id, password, is_superuser, email, handle, display_name, bio, is_active, is_staff,
    created_at, updated_at, trust_level, follower_count, following_count, post_count,
    trust_points, strike_count, flag_score
)
SELECT gen_random_uuid(), '!', false, 'bench' || n || '@example.com', 'bench_' || n, '', '',
       true, false, now() - (random() * 200) * interval '1 day', now(), 'new', 0, 0,
       (random() * 80)::int, (random() * 160)::int - 20,
       CASE WHEN random() < 0.01 THEN 3 ELSE 0 END, 0
FROM generate_series(1, %s) AS n
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    args = parser.parse_args()

    call_command("ensure_database")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_user WHERE email LIKE 'bench%%@example.com'")
        started = time.perf_counter()
        cursor.execute(FILL_USERS, [args.users])
    print(f"filled {args.users} users in {time.perf_counter() - started:.1f} s")

    for run in ("first", "second"):
        started = time.perf_counter()
        changed = trust_level_recalculate_all()
        elapsed = time.perf_counter() - started
        print(f"{run} recalculation: {changed} users changed level in {elapsed:.2f} s")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT trust_level, count(*) FROM accounts_user "
            "WHERE email LIKE 'bench%%@example.com' GROUP BY 1 ORDER BY 1"
        )
        print("levels:", dict(cursor.fetchall()))


if __name__ == "__main__":
    main()
