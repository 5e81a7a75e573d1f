"""A partial index of the inactive accounts (accounts.selectors.inactive_user_ids), built without
locking writes; like 0009, plain SQL that drops an INVALID leftover first, so a rerun is safe."""

from django.db import migrations, models

INDEX = models.Index(
    condition=models.Q(("is_active", False)), fields=["id"], name="user_inactive_idx"
)


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run in a transaction; users keep being written meanwhile.
    atomic = False

    dependencies = [
        ("accounts", "0009_user_handle_prefix_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX CONCURRENTLY IF EXISTS user_inactive_idx",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    "CREATE INDEX CONCURRENTLY user_inactive_idx ON accounts_user (id) "
                    "WHERE NOT is_active",
                    reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS user_inactive_idx",
                ),
            ],
            state_operations=[migrations.AddIndex(model_name="user", index=INDEX)],
        ),
    ]
