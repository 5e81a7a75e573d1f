"""A btree index for short handle prefixes (feed.selectors.search_users), built without locking
writes; like posts 0003, plain SQL that drops an INVALID leftover first, so a rerun is safe."""

from django.db import migrations, models

INDEX = models.Index(
    condition=models.Q(("is_active", True)),
    fields=["handle"],
    name="user_handle_prefix_idx",
    opclasses=["varchar_pattern_ops"],
    include=["id"],
)


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction; users keep being written meanwhile.
    atomic = False

    dependencies = [
        ("accounts", "0008_user_search_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX CONCURRENTLY IF EXISTS user_handle_prefix_idx",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    "CREATE INDEX CONCURRENTLY user_handle_prefix_idx ON accounts_user "
                    "(handle varchar_pattern_ops) INCLUDE (id) WHERE is_active",
                    reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS user_handle_prefix_idx",
                ),
            ],
            state_operations=[migrations.AddIndex(model_name="user", index=INDEX)],
        ),
    ]
