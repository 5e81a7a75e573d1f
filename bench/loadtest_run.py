"""Drive the mixed-traffic load test (bench/loadtest.py) and report its figures.

    make loadtest [LOADTEST_ARGS="--users 20 --duration 60 --runs 3 --small"]
    python scripts/with_moto.py -- python -m bench.loadtest_run [--write-docs] ...

Runs beside the moto server of scripts/with_moto.py (S3 and SQS: a new post queues its fan-out
task there), against the feed benchmark's dataset (database ``ciel_bench_feed``, Redis db 13;
``--small`` uses a 10,000-user dataset of its own). The dataset is built first when missing.

Steps: prepare identities (access tokens for a sample of users, ready media for their posts,
warm home timelines) and a few login accounts with a known password; start gunicorn with
production settings and every rate limit off (RATELIMIT_ENABLE=False: one load generator logs
in from one address far more often than the 10-an-hour IP limit allows, and the app believes
X-Forwarded-For only behind TRUSTED_PROXY_COUNT proxies; the switch also turns off the
trust-level limits of writes); run a short warm-up, then Locust headless ``--runs`` times;
print per endpoint the requests, requests/s, failures, status codes and p50/p95/p99, and the
CPU each process used. The figures are the median of the runs; ``--write-docs`` puts them in
docs/performance.md between the markers of ``--label``, leaving the rest of the file alone.
"""

import argparse
import csv
import datetime
import json
import os
import platform
import re
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:  # Django is set up in main(), after the environment is chosen
    from accounts.models import User
    from media.models import MediaItem

from bench.docs import PERFORMANCE_DOC as DOCS
from bench.docs import docs_block_write

REPO = Path(__file__).resolve().parent.parent
# Each --label has its own block in the docs, between its own markers.
DATABASES = {
    "full": "postgres://postgres@127.0.0.1:5432/ciel_bench_feed",
    "small": "postgres://postgres@127.0.0.1:5432/ciel_bench_load_small",
}
SMALL_DATASET_ARGS = ["--users", "10000", "--posts", "300000", "--blocks", "2000"]
LOGIN_PASSWORD = "loadtest-password-1"  # noqa: S105 — set on bench-only accounts
LOGIN_ACCOUNTS = 20
MEDIA_PER_IDENTITY = 12
POPULAR_HANDLES = 5000
PERCENTILES = ("50%", "95%", "99%")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20, help="simulated users (concurrent)")
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started a second")
    parser.add_argument("--duration", type=int, default=60, help="seconds of each measured run")
    parser.add_argument("--runs", type=int, default=3, help="measured runs; figures are medians")
    parser.add_argument("--warmup", type=int, default=15, help="seconds of unmeasured warm-up")
    parser.add_argument("--wait", default="0.5,1.5", help="think time between actions, s")
    parser.add_argument("--identities-per-user", type=int, default=20)
    parser.add_argument("--small", action="store_true", help="a 10,000-user dataset instead")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--label", default="mix", help="names this run's block in the docs")
    return parser.parse_args()


def server_env(args: argparse.Namespace) -> dict[str, str]:
    """Production settings with throwaway secrets, as scripts/schemathesis.sh sets them."""
    from pyseto import Key

    return {
        "DJANGO_SETTINGS_MODULE": "ciel.settings",
        "DATABASE_URL": os.environ.get(
            "BENCH_DATABASE_URL", DATABASES["small" if args.small else "full"]
        ),
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
        "RATELIMIT_ENABLE": "False",
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": "loadtest-" + secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "False",
        "PASETO_KEYS": Key.new(4, "local", secrets.token_bytes(32)).to_paserk(),
        # Tokens are issued before the run; they must outlive warm-up and every run.
        "ACCESS_TOKEN_TTL_SECONDS": "7200",
        "LOG_LEVEL": "WARNING",
        # As in production: variant URLs on a CDN, not presigned S3 URLs (see bench/feed.py).
        "MEDIA_CDN_URL": "https://cdn.ciel.example",
        "MEDIA_BUCKET": "ciel-loadtest-media",
        "SQS_QUEUE_PREFIX": "ciel-loadtest-",
    }


# --- The dataset and what the simulated users need from it ------------------------------------


def ensure_dataset(args: argparse.Namespace) -> None:
    """Build the dataset with bench.feed_dataset when its database is missing or empty."""
    from django.core.management import call_command
    from django.db import OperationalError, ProgrammingError, connection

    from accounts.models import User

    try:
        present = User.objects.exists()
    except (OperationalError, ProgrammingError):
        present = False
    connection.close()
    if not present:
        print("No dataset yet: building it with bench.feed_dataset (minutes) ...", flush=True)
        dataset = [sys.executable, "-m", "bench.feed_dataset"]
        subprocess.run(
            dataset + (SMALL_DATASET_ARGS if args.small else []),
            cwd=REPO,
            env={**os.environ, "BENCH_DATABASE_URL": os.environ["DATABASE_URL"]},
            check=True,
        )
    call_command("migrate", verbosity=0)  # the schema the running code expects
    call_command("setup_aws", verbosity=0)  # the bucket and queues, in this moto server


@dataclass
class Prepared:
    """What the simulated users play with; the media pools are topped up before each run."""

    identities: list["User"]
    data: dict[str, Any]
    counts: dict[str, int]


def prepare(args: argparse.Namespace) -> Prepared:
    """Identities with tokens and warm timelines, login accounts, handles and posts to visit."""
    from django_redis import get_redis_connection

    from accounts.models import User

    get_redis_connection("default").flushdb()  # Redis db of the benchmarks only
    logins = login_accounts()
    sample = list(
        User.objects.filter(is_active=True)
        .exclude(pk__in=[user.pk for user in logins])
        .order_by("?")[: args.users * args.identities_per_user]
    )
    identities = [
        {"handle": user.handle, "token": access_token_for(user), "media": []} for user in sample
    ]
    warm_timelines(sample)
    data = {
        # One group of identities per simulated user, so no two users share an identity.
        "groups": [identities[i :: args.users] for i in range(args.users)],
        "logins": [{"email": user.email, "password": LOGIN_PASSWORD} for user in logins],
        "popular_handles": popular_handles(),
        "posts": recent_public_posts(),
    }
    counts = {
        "users": User.objects.count(),
        "identities": len(sample),
        "at_cap": sum(user.following_count >= settings_max_following() for user in sample),
    }
    return Prepared(sample, data, counts)


def write_data(prepared: Prepared, path: Path) -> None:
    """The locustfile's input, with media not yet used by the runs before this one."""
    pools = media_pools(prepared.identities)
    by_handle = {user.handle: pools[user.pk] for user in prepared.identities}
    for group in prepared.data["groups"]:
        for identity in group:
            identity["media"] = by_handle[identity["handle"]]
    path.write_text(json.dumps(prepared.data))


def settings_max_following() -> int:
    from django.conf import settings

    return settings.MAX_FOLLOWING


def login_accounts() -> list["User"]:
    """The same few accounts every run, with a known password (Argon2, as in production)."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    users = list(User.objects.filter(is_active=True).order_by("email")[:LOGIN_ACCOUNTS])
    User.objects.filter(pk__in=[user.pk for user in users]).update(
        password=make_password(LOGIN_PASSWORD)
    )
    return users


def access_token_for(user: "User") -> str:
    from django.utils import timezone

    from accounts.models import Session
    from accounts.tokens import access_token_issue

    session = Session.objects.create(user=user, last_used_at=timezone.now())
    return access_token_issue(user.pk, session.pk)[0]


def media_pools(users: list["User"]) -> dict[uuid.UUID, list[str]]:
    """Each user's ready media not yet in a post, topped up to MEDIA_PER_IDENTITY.

    Ready rows are written directly, as the tests' MediaFactory does: the load test measures
    the API, not image processing (bench.media_processing does that), and with a CDN URL set
    nothing reads the variant objects.
    """
    from media.models import MediaItem, MediaStatus

    pools: dict[uuid.UUID, list[uuid.UUID]] = {user.pk: [] for user in users}
    unused = MediaItem.objects.filter(
        owner__in=users, status=MediaStatus.READY, post_link__isnull=True
    ).values_list("owner_id", "pk")
    for owner_id, media_id in unused:
        pools[owner_id].append(media_id)
    new = [
        ready_media(user) for user in users for _ in range(MEDIA_PER_IDENTITY - len(pools[user.pk]))
    ]
    MediaItem.objects.bulk_create(new)
    for item in new:
        pools[item.owner_id].append(item.pk)
    return {owner: [str(media_id) for media_id in ids] for owner, ids in pools.items()}


def ready_media(user: "User") -> "MediaItem":
    from media.models import MediaItem, MediaStatus

    item = MediaItem(owner=user, status=MediaStatus.READY, content_type="image/jpeg")
    item.byte_size, item.width, item.height = 250_000, 1080, 1350
    item.blurhash = "LEHV6nWB2yk8pyo0adR*.7kCMdnj"
    item.variants = {
        name: {"key": item.variant_key(name, "webp"), "width": w, "height": h}
        for name, (w, h) in {
            "thumb": (150, 150),
            "small": (300, 300),
            "display": (864, 1080),
            "original": (1080, 1350),
        }.items()
    }
    return item


def warm_timelines(users: list["User"]) -> None:
    """Build each identity's home timeline, as its first feed read would: active users' are warm."""
    from feed import selectors, timelines

    for user in users:
        rows = selectors.home_feed_ids_sql(user, before=None, count=timelines.TIMELINE_SIZE)
        timelines.timeline_build(user.pk, [(pid, timelines.score_of(at)) for pid, at in rows])


def popular_handles() -> list[str]:
    """Handles by follower count, most followed first; the locustfile favours the top."""
    from accounts.models import User

    users = User.objects.filter(is_active=True).order_by("-follower_count", "pk")
    return list(users.values_list("handle", flat=True)[:POPULAR_HANDLES])


def recent_public_posts() -> list[str]:
    """For a first post read before an identity has seen any list."""
    from posts.models import Post, Visibility

    posts = Post.objects.filter(visibility=Visibility.PUBLIC, removed_at__isnull=True)
    return [str(pk) for pk in posts.order_by("-created_at").values_list("pk", flat=True)[:500]]


# --- Processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, log: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn on ``port``; its configuration file when the repository has one, else flags."""
    command = [sys.executable, "-m", "gunicorn", "ciel.wsgi", "--bind", f"127.0.0.1:{port}"]
    if (REPO / "gunicorn.conf.py").exists():
        how = "gunicorn.conf.py"  # found by gunicorn itself in the working directory
    else:
        command += ["--workers", "2", "--timeout", "60", "--log-level", "warning"]
        how = "flags --workers 2 --timeout 60"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_STATEMENT_TIMEOUT_MS"}
    # Static files are not collected for a load test, and the API serves none.
    env["PYTHONWARNINGS"] = "ignore:No directory at"
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}:\n{log.read_text()}")
        if answers(f"http://127.0.0.1:{port}/healthz"):
            return server, how
        time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer within 60 s:\n{log.read_text()}")


def answers(url: str) -> bool:
    import requests

    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


def run_locust(args: argparse.Namespace, host: str, seconds: int, data: Path, out: Path) -> Path:
    """One headless Locust run; the CSV prefix of its statistics."""
    prefix = out / f"run-{time.monotonic_ns()}"
    command = [
        sys.executable, "-m", "locust", "-f", str(REPO / "bench" / "loadtest.py"),
        "--headless", "--host", host, "--users", str(args.users),
        "--spawn-rate", str(args.spawn_rate), "--run-time", f"{seconds}s",
        # Statistics start once every user runs, so the ramp does not dilute them.
        "--reset-stats", "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
        "--stop-timeout", "10",
    ]  # fmt: skip
    env = {
        **os.environ,
        "LOADTEST_DATA": str(data),
        "LOADTEST_STATUSES": f"{prefix}_statuses.json",
        "LOADTEST_WAIT": args.wait,
    }
    # Exit status 1 only means some requests failed; the report shows them. Its own tables
    # would repeat ours: they go to a log, shown only when Locust left no statistics.
    log = Path(f"{prefix}.log")
    with log.open("w") as out_log:
        subprocess.run(command, env=env, cwd=REPO, stdout=out_log, stderr=out_log, check=False)
    if not Path(f"{prefix}_stats.csv").exists():
        raise SystemExit(f"Locust left no statistics:\n{log.read_text()[-3000:]}")
    return prefix


# --- CPU: where the machine's time went during a run -----------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")
Table = dict[int, tuple[str, int, int]]  # pid -> (command line, parent pid, CPU ticks)


def machine_busy_ticks() -> int:
    """Busy CPU time of the whole machine (every core, everyone's processes), in ticks."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values[:8]) - idle


def process_ticks() -> Table:
    """pid -> (command line, parent pid, CPU ticks) for every process we may read.

    The ticks include those of the process's children that have ended, so a gunicorn worker
    recycled by max_requests still counts, through its master, as does a PostgreSQL backend
    that closed its connection, through the postmaster.
    """
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
        table[int(entry)] = (cmdline, int(fields[1]), ticks)
    return table


def children_seconds() -> float:
    """CPU time of our children that have ended: Locust, once a run is over."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class CpuSnapshot:
    machine: int = field(default_factory=machine_busy_ticks)
    processes: Table = field(default_factory=process_ticks)
    children: float = field(default_factory=children_seconds)


def descendants(root: int, table: Table) -> set[int]:
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (_, ppid, _) in table.items() if ppid == parent]
        found.update(children)
        frontier.extend(children)
    return found


def family_ticks(table: Table, members: set[int]) -> int:
    return sum(table[pid][2] for pid in members)


def family_delta(
    before: CpuSnapshot, after: CpuSnapshot, select: Callable[[Table], set[int]]
) -> int:
    """Ticks of a family of processes whose members end into a parent of the same family (a
    recycled gunicorn worker into the master, a closed backend into the postmaster)."""
    return family_ticks(after.processes, select(after.processes)) - family_ticks(
        before.processes, select(before.processes)
    )


def alive_delta(before: CpuSnapshot, after: CpuSnapshot, match: Callable[[str], bool]) -> int:
    """Ticks of the matching processes alive at the end (new ones from zero)."""
    return sum(
        ticks - before.processes.get(pid, ("", 0, 0))[2]
        for pid, (cmdline, _, ticks) in after.processes.items()
        if match(cmdline)
    )


def postgres_processes(table: Table) -> set[int]:
    return {
        pid
        for pid, (cmdline, _, _) in table.items()
        if cmdline.startswith("postgres") or "/postgres " in cmdline
    }


def cpu_breakdown(
    before: CpuSnapshot, after: CpuSnapshot, seconds: float, server_pid: int, database: str
) -> dict[str, float]:
    """Cores used on average during the run, by process; "rest of machine" is everything
    else: other people's work on this shared machine, and the driver itself."""
    from django.conf import settings

    redis_port = urlsplit(settings.REDIS_URL).port or 6379
    moto_port = urlsplit(os.environ["AWS_ENDPOINT_URL"]).port
    ticks = {
        "gunicorn (API)": family_delta(before, after, lambda table: descendants(server_pid, table)),
        # The machine's one PostgreSQL server: other people's tests use it too.
        "postgres (every database)": family_delta(before, after, postgres_processes),
        "redis": alive_delta(
            before, after, lambda cmd: "redis-server" in cmd and f":{redis_port}" in cmd
        ),
        "moto (S3, SQS)": alive_delta(
            before, after, lambda cmd: "moto_server" in cmd and f"-p {moto_port}" in cmd
        ),
    }
    kinds = {kind: n / TICKS / seconds for kind, n in ticks.items()}
    kinds["locust (load generator)"] = (after.children - before.children) / seconds
    machine = (after.machine - before.machine) / TICKS / seconds
    kinds["rest of machine"] = max(0.0, machine - sum(kinds.values()))
    kinds["machine total"] = machine
    # Part of postgres's figure, not added to the sum: the backends serving the API's
    # connections that lived through the run.
    ours = alive_delta(
        before, after, lambda cmd: cmd.startswith("postgres:") and f" {database} " in cmd
    )
    kinds[f"of which postgres backends of {database}"] = ours / TICKS / seconds
    return kinds


# --- Results ---------------------------------------------------------------------------------


@dataclass
class Run:
    rows: dict[str, dict[str, str]]  # endpoint -> Locust's CSV row; "Aggregated" for all
    failures: list[dict[str, str]]
    statuses: dict[str, dict[int, int]]
    cpu: dict[str, float]


def read_run(prefix: Path, cpu: dict[str, float]) -> Run:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        rows = {row["Name"]: row for row in csv.DictReader(f)}
    with open(f"{prefix}_failures.csv", encoding="utf-8") as f:
        failures = list(csv.DictReader(f))
    statuses: dict[str, dict[int, int]] = {}
    status_file = Path(f"{prefix}_statuses.json")
    if status_file.exists():
        for name, code, count in json.loads(status_file.read_text()):
            statuses.setdefault(name, {})[code] = count
    return Run(rows, failures, statuses, cpu)


def median_of(runs: list[Run], name: str, column: str) -> float:
    """Median over the runs; Locust writes "N/A" for the percentiles of an unused endpoint."""
    values = [
        float(run.rows[name][column])
        for run in runs
        if name in run.rows and run.rows[name][column] != "N/A"
    ]
    return statistics.median(values) if values else 0.0


def results_table(runs: list[Run]) -> list[str]:
    """Markdown rows: per endpoint, busiest first, then all requests together."""
    names = {name for run in runs for name in run.rows if name != "Aggregated"}
    ordered = sorted(names, key=lambda n: -median_of(runs, n, "Request Count"))
    total = median_of(runs, "Aggregated", "Request Count") or 1.0
    lines = [
        "| endpoint | requests | share | req/s | failures | p50 ms | p95 ms | p99 ms | statuses |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name in [*ordered, "Aggregated"]:
        count = median_of(runs, name, "Request Count")
        failures = sum(int(run.rows[name]["Failure Count"]) for run in runs if name in run.rows)
        codes: dict[int, int] = {}
        for run in runs:
            for code, n in run.statuses.get(name, {}).items():
                codes[code] = codes.get(code, 0) + n
        if name == "Aggregated":
            codes = {}
            for run in runs:
                for per_endpoint in run.statuses.values():
                    for code, n in per_endpoint.items():
                        codes[code] = codes.get(code, 0) + n
        p50, p95, p99 = (median_of(runs, name, column) for column in PERCENTILES)
        label = "**all requests**" if name == "Aggregated" else f"`{name}`"
        status_text = ", ".join(f"{code}×{n}" for code, n in sorted(codes.items()))
        lines.append(
            f"| {label} | {count:.0f} | {100 * count / total:.1f} % | "
            f"{median_of(runs, name, 'Requests/s'):.1f} | {failures} | "
            f"{p50:.0f} | {p95:.0f} | {p99:.0f} | {status_text} |"
        )
    return lines


CPU_ORDER = (
    "gunicorn (API)",
    "postgres (every database)",
    "of which postgres backends of",
    "redis",
    "moto (S3, SQS)",
    "locust (load generator)",
    "rest of machine",
    "machine total",
)


def cpu_table(runs: list[Run]) -> list[str]:
    """Cores busy by kind of process, and the CPU time each request cost our processes: the
    figure contention does not inflate (latency includes waiting for a core, CPU time does not).
    """
    kinds = sorted(
        {kind for run in runs for kind in run.cpu},
        key=lambda kind: next(i for i, k in enumerate(CPU_ORDER) if kind.startswith(k)),
    )
    rps = median_of(runs, "Aggregated", "Requests/s") or 1.0
    lines = ["| process | cores busy | CPU ms per request |", "| --- | ---: | ---: |"]
    for kind in kinds:
        busy = statistics.median(run.cpu.get(kind, 0.0) for run in runs)
        theirs = kind in ("rest of machine", "machine total") or kind.startswith("postgres")
        per_request = "" if theirs else f"{1000 * busy / rps:.1f}"
        lines.append(f"| {kind} | {busy:.2f} | {per_request} |")
    return lines


def failure_lines(runs: list[Run]) -> list[str]:
    counted: dict[tuple[str, str], int] = {}
    for run in runs:
        for failure in run.failures:
            key = (f"{failure['Method']} {failure['Name']}", failure["Error"])
            counted[key] = counted.get(key, 0) + int(failure["Occurrences"])
    if not counted:
        return ["No failures: every response had an expected status, and no 5xx."]
    lines = ["Failures (all runs added up):", ""]
    for (name, error), n in sorted(counted.items(), key=lambda item: -item[1]):
        lines.append(f"- `{name}` × {n}: {error[:300]}")
    return lines


def report(
    args: argparse.Namespace,
    runs: list[Run],
    counts: dict[str, int],
    gunicorn_how: str,
    problems: list[str],
) -> str:
    load = os.getloadavg()
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    header = [
        f"Run of {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} "
        f"cores ({cpu_model}), shared: load average {load[0]:.1f} at the end. "
        f"Dataset: {counts['users']} users (`{'--small' if args.small else 'ciel_bench_feed'}`).",
        "",
        f"{args.users} simulated users (spawn rate {args.spawn_rate}/s), {think_time(args.wait)}, "
        f"playing {counts['identities']} identities ({counts['at_cap']} at the follow cap) with "
        f"warm home timelines; {args.runs} run{'s' if args.runs != 1 else ''} of "
        f"{args.duration} s after {args.warmup} s of warm-up; figures are "
        "the median of the runs, failures and status codes are all runs added up. "
        f"gunicorn from {gunicorn_how}; RATELIMIT_ENABLE=False; no Celery worker "
        "(fan-out tasks wait in moto's SQS); Locust on the same machine.",
        "",
    ]
    log = (
        [f"gunicorn's log, {len(problems)} warnings, errors or 5xx (last 10):", "", "```"]
        + [line[:300] for line in problems[-10:]]
        + ["```"]
        if problems
        else ["gunicorn's log: no warning, error or 5xx."]
    )
    return "\n".join(
        [*header, *results_table(runs), "", *cpu_table(runs), "", *failure_lines(runs), "", *log]
    )


def think_time(wait: str) -> str:
    low, high = (float(x) for x in wait.split(","))
    if high == 0:
        return "no think time (each user sends its next request as soon as one is answered)"
    return f"think time {low:g}–{high:g} s between actions"


def write_docs(label: str, text: str) -> None:
    docs_block_write(f"loadtest:{label}", "make loadtest", text)


def log_problems(log: Path) -> list[str]:
    """gunicorn's and the application's warnings and errors, and access lines of 5xx answers.

    The application logs at WARNING and above here; gunicorn's INFO lines and the access lines
    of answered requests are the normal run.
    """
    access = re.compile(r'^\S+ "[^"]*" (\d{3}) ')
    problems = []
    for line in log.read_text(errors="replace").splitlines():
        status = access.match(line)
        if (status and status.group(1).startswith("5")) or (
            not status and line.strip() and "[INFO]" not in line
        ):
            problems.append(line)
    return problems


# --- Main ------------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    if not os.environ.get("AWS_ENDPOINT_URL"):
        raise SystemExit(
            "Run beside moto: python scripts/with_moto.py -- python -m bench.loadtest_run"
        )
    os.environ.update(server_env(args))
    # This process migrates and prepares data, which may take longer than the API's budget;
    # gunicorn gets the API's own statement timeout back (start_gunicorn).
    os.environ["DATABASE_STATEMENT_TIMEOUT_MS"] = "0"
    import django

    django.setup()
    ensure_dataset(args)
    with tempfile.TemporaryDirectory(prefix="ciel-loadtest-") as tmp:
        out = Path(tmp)
        started = time.monotonic()
        prepared = prepare(args)
        print(f"prepared {prepared.counts} in {time.monotonic() - started:.0f} s", flush=True)
        port = free_port()
        server, gunicorn_how = start_gunicorn(port, out / "gunicorn.log")
        try:
            runs = measure(args, f"http://127.0.0.1:{port}", prepared, out, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
        problems = log_problems(out / "gunicorn.log")
    text = report(args, runs, prepared.counts, gunicorn_how, problems)
    print(text)
    if args.write_docs:
        write_docs(args.label, text)
        print(f"\nwritten to {DOCS.relative_to(REPO)}")


def measure(
    args: argparse.Namespace, host: str, prepared: Prepared, out: Path, server_pid: int
) -> list[Run]:
    """The warm-up, then the measured runs, each with its CPU breakdown."""
    from django.conf import settings

    database = settings.DATABASES["default"]["NAME"]
    data = out / "data.json"
    if args.warmup:
        print(f"warm-up, {args.warmup} s ...", flush=True)
        write_data(prepared, data)
        run_locust(args, host, args.warmup, data, out)
    runs = []
    for number in range(1, args.runs + 1):
        print(f"run {number} of {args.runs}, {args.duration} s ...", flush=True)
        write_data(prepared, data)
        before, started = CpuSnapshot(), time.monotonic()
        prefix = run_locust(args, host, args.duration, data, out)
        cpu = cpu_breakdown(before, CpuSnapshot(), time.monotonic() - started, server_pid, database)
        run = read_run(prefix, cpu)
        total = run.rows["Aggregated"]
        print(
            f"  {float(total['Requests/s']):.1f} req/s, {total['Failure Count']} failures, "
            f"p50/p95/p99 {total['50%']}/{total['95%']}/{total['99%']} ms; "
            f"cores: {', '.join(f'{k} {v:.2f}' for k, v in cpu.items())}",
            flush=True,
        )
        runs.append(run)
    return runs


if __name__ == "__main__":
    main()
