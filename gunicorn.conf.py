"""Gunicorn settings for the API (`gunicorn ciel.wsgi`); gunicorn reads this file from the working
directory. Each value can be overridden on the command line or in GUNICORN_CMD_ARGS; the
reasoning and the numbers behind them are in docs/operations.md.
"""

import os

# The API's statement budget (ciel/settings.py): 5 s unless the environment says otherwise.
# Set here, in the process that forks the workers, so it applies to the API and to nothing else.
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT_MS", "5000")


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def _cores() -> int:
    # The CPUs this process may run on (a cpuset or `taskset` narrows them). A container's CPU
    # quota is invisible here: set WEB_CONCURRENCY in containers.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# --- Concurrency ---------------------------------------------------------------------------------

# Processes: 2 per core + 1, so every core has Python work while others wait on PostgreSQL or
# Redis (a request is mostly Python on the CPU between a few round trips). Capped, because each
# process is ~100 MB and each thread in it holds a PostgreSQL connection (CONN_MAX_AGE).
workers = _int("WEB_CONCURRENCY", min(2 * _cores() + 1, 12))
# gthread rather than sync: a request's database and Redis waits overlap with another's Python
# in the same process, keep-alive connections from the load balancer wait in a poller instead of
# holding a process, and a client that sends its request slowly is parked, not served by a
# blocked worker. Two threads, not more: the GIL serialises the Python that dominates a
# request. Concurrency per instance = workers × threads = database connections per instance.
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 2)

# --- Time ----------------------------------------------------------------------------------------

# With gthread, the arbiter kills a worker whose main loop has not checked in for `timeout`
# seconds (a process stuck in C code). A single slow request is bounded by its dependencies
# instead: PostgreSQL statement_timeout 5 s, Redis 0.5 s, queuing a job on SQS about 4 s
# (ciel/queueing.py); S3 is never called on a request's path (presigning is local).
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM, finish in-flight requests for up to this long; below the 30 s that ECS and
# Kubernetes wait before SIGKILL, so a rolling deploy never cuts a request.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 25)
# Longer than the load balancer's idle timeout (ALB: 60 s), so the balancer always closes an
# idle connection first and never sends a request down one gunicorn has just closed (a 502).
keepalive = _int("GUNICORN_KEEPALIVE", 75)

# --- Hygiene -------------------------------------------------------------------------------------

# Load Django once, in the master, and fork ready workers from it (ciel/wsgi.py also freezes the
# loaded objects out of the garbage collector's sight). A worker recycled by max_requests used
# to spend ~2 s of CPU importing Django while requests waited: measured on these machines, a
# 2.2 s stall per recycle became ~0.4 s. Nothing connects at import time (no database, Redis
# or broker connection is opened before a request), so no socket is shared across the fork.
preload_app = True

# Recycle each process after ~1000 requests (a slow leak never grows without bound); the jitter
# keeps the workers from restarting together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)
# The worker heartbeat file: in memory, since a container's /tmp may be a slow overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# gunicorn's defaults, stated: the API's URLs are short (ids, a cursor, a 100-character query),
# and its tokens (~500 bytes) fit a header field many times over.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# --- Proxies and logs ----------------------------------------------------------------------------

# Addresses whose X-Forwarded-* headers gunicorn believes (the load balancer's subnet in
# production). Django decides the client IP (TRUSTED_PROXY_COUNT) and HTTPS
# (SECURE_PROXY_SSL_HEADER) on its own.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# One access line per request, with the request id the API answers with (X-Request-ID), so an
# access line finds the application's log lines of the same request.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s "%(a)s"'
errorlog = "-"


def child_exit(server: object, worker: object) -> None:
    """With PROMETHEUS_MULTIPROC_DIR (ciel/metrics.py), drop the live gauges of a worker that has
    exited (recycled by max_requests, or killed), as prometheus_client asks."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
