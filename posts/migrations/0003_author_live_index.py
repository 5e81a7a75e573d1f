"""The per-author post index becomes partial (live posts only), built without locking writes.

Plain SQL rather than AddIndexConcurrently for one reason: a concurrent build that gives up (a
lock timeout, a cancelled statement) leaves an INVALID index behind, and Django's operation
would then fail on every rerun with "already exists". Dropping any leftover first makes the
migration safe to run again. The state side is Django's own AddIndex.
"""

from django.db import migrations, models

INDEX = models.Index(
    condition=models.Q(("removed_at__isnull", True)),
    fields=["author", "-created_at", "-id"],
    name="post_author_live_idx",
)


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction; posts keep being written meanwhile.
    atomic = False

    dependencies = [
        ("posts", "0002_explore_and_caption_search_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX CONCURRENTLY IF EXISTS post_author_live_idx",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    "CREATE INDEX CONCURRENTLY post_author_live_idx ON posts_post "
                    "(author_id, created_at DESC, id DESC) WHERE removed_at IS NULL",
                    reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS post_author_live_idx",
                ),
            ],
            state_operations=[migrations.AddIndex(model_name="post", index=INDEX)],
        ),
    ]
