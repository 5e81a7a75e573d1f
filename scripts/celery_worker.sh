#!/bin/sh
# One Celery worker for one queue: `scripts/celery_worker.sh default` or `... media`.
# Each queue gets its own processes, sized for its work, so a burst of uploads never delays an
# export or a new post's fan-out, and each queue can be scaled or stopped alone
# (docs/operations.md).
# Every value can be overridden from the environment.
set -eu

queue=${1:?usage: scripts/celery_worker.sh default|media}
cores=$(nproc)

case "$queue" in
  media)
    # Pillow is CPU-bound: one process per core. A 50-megapixel image decodes to 150-200 MB,
    # and Pillow's memory fragments: a process is replaced after 100 jobs or once it holds
    # 512 MB (checked after each job).
    concurrency=${CELERY_MEDIA_CONCURRENCY:-$cores}
    recycle="--max-tasks-per-child ${CELERY_MEDIA_MAX_TASKS_PER_CHILD:-100}"
    recycle="$recycle --max-memory-per-child ${CELERY_MEDIA_MAX_MEMORY_KB:-512000}"
    ;;
  default)
    # Exports, purges, fan-out, trust recalculation: mostly waiting on PostgreSQL, Redis and
    # S3, so two processes per core.
    concurrency=${CELERY_DEFAULT_CONCURRENCY:-$((cores * 2))}
    recycle="--max-tasks-per-child ${CELERY_DEFAULT_MAX_TASKS_PER_CHILD:-1000}"
    ;;
  *)
    echo "unknown queue: $queue (default or media)" >&2
    exit 2
    ;;
esac

# The API's 5 s statement budget is too short for batch jobs; this one stays below the tasks'
# soft time limit (270 s), so PostgreSQL stops a runaway statement before Celery kills the task
# and leaves the statement running without a client.
DATABASE_STATEMENT_TIMEOUT_MS=${WORKER_DATABASE_STATEMENT_TIMEOUT_MS:-240000}
export DATABASE_STATEMENT_TIMEOUT_MS

# exec: celery gets SIGTERM itself, and answers it with a warm shutdown (finish running tasks).
# shellcheck disable=SC2086  # $recycle holds several options
exec celery -A ciel worker -Q "$queue" -n "$queue@%h" \
  --concurrency "$concurrency" $recycle --loglevel "${LOG_LEVEL:-INFO}"
