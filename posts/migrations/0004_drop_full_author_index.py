"""The full per-author index, replaced by post_author_live_idx (0003), goes without a lock."""

from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("posts", "0003_author_live_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX CONCURRENTLY IF EXISTS post_author_time_idx",
                    reverse_sql="CREATE INDEX CONCURRENTLY IF NOT EXISTS post_author_time_idx "
                    "ON posts_post (author_id, created_at DESC, id DESC)",
                ),
            ],
            state_operations=[
                migrations.RemoveIndex(model_name="post", name="post_author_time_idx"),
            ],
        ),
    ]
