"""Ciel settings, read from environment variables only (SPEC §11).

Defaults are for development on a machine with PostgreSQL and Redis on localhost.
With ``DJANGO_DEBUG`` off, the production secrets must be given or start-up fails.
"""

import base64
import binascii
import hashlib
from pathlib import Path
from urllib.parse import quote, urlsplit

import environ
from botocore.config import Config as BotocoreConfig
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)


def _production_secret(name: str, development_default: str) -> str:
    """A value that must come from the environment whenever DEBUG is off."""
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return development_default
    raise ImproperlyConfigured(f"{name} must be set when DJANGO_DEBUG is off.")


SECRET_KEY = _production_secret(
    "DJANGO_SECRET_KEY", "django-insecure-development-only-key-never-use-in-production"
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "ciel.api.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "ciel",
    "accounts",
    "posts",
    "social",
    "feed",
    "safety",
    "invites",
    "media",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "ciel.request_context.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise (static files come precompressed), before anything that reads the body.
    "ciel.api.middleware.CompressionMiddleware",
    "ciel.api.middleware.RequestBodyLimitMiddleware",
    "ciel.api.middleware.NulByteMiddleware",
    # The admin's sessions, authentication and messages, skipped for the API (/api/v1/), which
    # uses none of them. CSRF stays as Django ships it: `check --deploy` looks for it by name,
    # and on the API's views (csrf_exempt) it only reads the cookie.
    "ciel.api.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "ciel.api.middleware.AuthenticationMiddleware",
    "ciel.api.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "ciel.urls"
WSGI_APPLICATION = "ciel.wsgi.application"
# API paths have no trailing slash (SPEC §3); redirecting a POST would lose its body.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- PostgreSQL -------------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default="postgres://postgres@127.0.0.1:5432/ciel",
        engine="ciel.db_backend",
    )
}
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault(
    "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", 5)
)
# PostgreSQL cancels a statement that runs longer than this (0: never), so one slow query
# cannot hold a gunicorn thread and a connection for good; the API answers 503 `unavailable`.
# The API gets 5 s from gunicorn.conf.py; everything else (migrations, management commands,
# workers started any way at all) defaults to no limit, so a migration on a large table or a
# batch task is never cut off by the API's budget. docs/operations.md has the numbers.
DATABASE_STATEMENT_TIMEOUT_MS = env.int("DATABASE_STATEMENT_TIMEOUT_MS", default=0)
if DATABASE_STATEMENT_TIMEOUT_MS > 0:
    # Only when set: PgBouncer in transaction mode refuses the `options` start-up parameter,
    # and a role-level timeout must not be overridden by an explicit 0.
    DATABASES["default"]["OPTIONS"]["options"] = " ".join(
        filter(
            None,
            [
                DATABASES["default"]["OPTIONS"].get("options"),
                f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}",
            ],
        )
    )
# psycopg prepares on first use what ciel.prepared's cursors run (the hand-written queries on
# every request's path); Django's own cursors bind on the client and never prepare. Off for a
# transaction-mode PgBouncer that cannot keep prepared statements (docs/operations.md).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 0 if DATABASE_PREPARED_STATEMENTS else None
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Read replicas: each URL of DATABASE_REPLICA_URLS (comma-separated) becomes replica_0,
# replica_1, … configured like default (built after it, so they get all of its OPTIONS).
# ciel.db_router sends the reads of the replica-safe views there (docs/architecture.md); the
# router is always installed and sends everything to default when there is no replica. In tests
# a replica mirrors default: it reads the test database, no second one is created.
_replica_urls = [
    url.strip() for url in env.list("DATABASE_REPLICA_URLS", default=[]) if url.strip()
]
DATABASE_REPLICAS = [f"replica_{index}" for index in range(len(_replica_urls))]
for _alias, _url in zip(DATABASE_REPLICAS, _replica_urls, strict=True):
    _replica = env.db_url_config(_url, engine="ciel.db_backend")
    _replica["OPTIONS"] = {**DATABASES["default"]["OPTIONS"], **_replica.get("OPTIONS", {})}
    _replica["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    _replica["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_HEALTH_CHECKS"]
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[_alias] = _replica
DATABASE_ROUTERS = ["ciel.db_router.ReplicaRouter"]

# --- Redis ------------------------------------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=0.5)
CACHES = {
    "default": {
        "BACKEND": "ciel.cache_backend.TimedRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "ciel",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT_SECONDS,
            "SOCKET_TIMEOUT": REDIS_TIMEOUT_SECONDS,
            # Every cache is an optimisation (SPEC §5): with Redis down, cache reads miss and
            # writes are dropped instead of failing the request. Code that needs Redis itself
            # (rate limits, readiness) uses the raw connection and decides its own policy.
            "IGNORE_EXCEPTIONS": True,
        },
    },
    "ratelimit": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "ciel-rl",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT_SECONDS,
            "SOCKET_TIMEOUT": REDIS_TIMEOUT_SECONDS,
        },
    },
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

# --- Accounts and passwords -------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
# Inactive users are authenticated too, so that login can tell a deleted account's owner why
# they are refused (SPEC §9) instead of answering "wrong password"; every path checks is_active.
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Tokens, sessions and invites (SPEC §4, §7) ------------------------------------------------


def _paseto_keys() -> list[str]:
    """PASERK ``k4.local`` keys, the first of which signs; each must hold exactly 32 bytes."""
    keys = env.list("PASETO_KEYS", default=[])
    if not keys:
        if not DEBUG:
            raise ImproperlyConfigured("PASETO_KEYS must be set when DJANGO_DEBUG is off.")
        # Development only: a key derived from the development secret, stable across restarts.
        digest = hashlib.sha256(b"ciel-development-paseto:" + SECRET_KEY.encode()).digest()
        keys = ["k4.local." + base64.urlsafe_b64encode(digest).decode().rstrip("=")]
    for key in keys:
        if not key.startswith("k4.local."):
            raise ImproperlyConfigured("PASETO_KEYS entries must be PASERK k4.local keys.")
        material = key.removeprefix("k4.local.")
        try:
            padded = material + "=" * (-len(material) % 4)
            raw = base64.b64decode(padded, altchars=b"-_", validate=True)
        except (ValueError, binascii.Error) as exc:
            raise ImproperlyConfigured("A PASETO_KEYS entry is not valid base64url.") from exc
        if len(raw) != 32:
            raise ImproperlyConfigured("Each PASETO_KEYS entry must hold exactly 32 bytes.")
    return keys


PASETO_KEYS = _paseto_keys()
PASETO_ISSUER = env.str("PASETO_ISSUER", default="ciel")
PASETO_AUDIENCE = env.str("PASETO_AUDIENCE", default="ciel-api")
ACCESS_TOKEN_TTL_SECONDS = env.int("ACCESS_TOKEN_TTL_SECONDS", default=15 * 60)
REFRESH_TOKEN_IDLE_DAYS = env.int("REFRESH_TOKEN_IDLE_DAYS", default=30)
REFRESH_TOKEN_ABSOLUTE_DAYS = env.int("REFRESH_TOKEN_ABSOLUTE_DAYS", default=180)
INVITE_EXPIRY_DAYS = env.int("INVITE_EXPIRY_DAYS", default=7)
# Codes a user may hold (active plus used) by trust level (SPEC §6); staff have no quota.
INVITE_QUOTAS = {
    "new": env.int("INVITE_QUOTA_NEW", default=3),
    "basic": env.int("INVITE_QUOTA_BASIC", default=10),
    "trusted": env.int("INVITE_QUOTA_TRUSTED", default=50),
    "verified": env.int("INVITE_QUOTA_VERIFIED", default=200),
}

# --- Account lifecycle (SPEC §9) ------------------------------------------------------------------

ACCOUNT_PURGE_AFTER_DAYS = env.int("ACCOUNT_PURGE_AFTER_DAYS", default=30)
EXPORT_INTERVAL_DAYS = env.int("EXPORT_INTERVAL_DAYS", default=7)
EXPORT_URL_EXPIRY_SECONDS = env.int("EXPORT_URL_EXPIRY_SECONDS", default=15 * 60)
# Export zips are deleted from S3 after this many days (beat).
EXPORT_RETENTION_DAYS = env.int("EXPORT_RETENTION_DAYS", default=7)

# --- Media (SPEC §9) ------------------------------------------------------------------------------

MEDIA_MAX_BYTES = env.int("MEDIA_MAX_BYTES", default=20 * 1024 * 1024)
MEDIA_UPLOAD_EXPIRY_SECONDS = env.int("MEDIA_UPLOAD_EXPIRY_SECONDS", default=5 * 60)
# Decompression bombs: a 99-byte PNG can claim 20000×20000 pixels (1.6 GB of RGBA).
MEDIA_MAX_PIXELS = env.int("MEDIA_MAX_PIXELS", default=50_000_000)
# Without a CDN, variant URLs are presigned GETs on the private bucket, valid this long.
MEDIA_URL_EXPIRY_SECONDS = env.int("MEDIA_URL_EXPIRY_SECONDS", default=60 * 60)
# Web origins allowed to upload to and read from the bucket (CORS, set when setup_aws creates it).
MEDIA_CORS_ORIGINS = env.list("MEDIA_CORS_ORIGINS", default=["*"])

# --- Social graph (SPEC §5) ----------------------------------------------------------------------

MAX_FOLLOWING = env.int("MAX_FOLLOWING", default=2000)
# Caption search ranks the newest this-many matches (feed.selectors.search_posts says why).
SEARCH_POST_CANDIDATES = env.int("SEARCH_POST_CANDIDATES", default=200)

# --- Trust, per-action rate limits, strikes, devices (SPEC §6) ------------------------------------

# Per trust level and window (seconds): how many of each action. The table of SPEC §6.
ACTION_RATE_LIMITS = env.json(
    "ACTION_RATE_LIMITS",
    default={
        "post": {
            "3600": {"new": 1, "basic": 5, "trusted": 20, "verified": 50},
            "86400": {"new": 5, "basic": 20, "trusted": 100, "verified": 200},
        },
        "follow": {"86400": {"new": 20, "basic": 100, "trusted": 500, "verified": 1000}},
        "like": {"3600": {"new": 30, "basic": 100, "trusted": 500, "verified": 1000}},
        "comment": {"3600": {"new": 10, "basic": 50, "trusted": 200, "verified": 500}},
    },
)
TRUST_BASIC_MIN_AGE_DAYS = env.int("TRUST_BASIC_MIN_AGE_DAYS", default=7)
TRUST_BASIC_MIN_POSTS = env.int("TRUST_BASIC_MIN_POSTS", default=5)
TRUST_BASIC_MIN_POINTS = env.int("TRUST_BASIC_MIN_POINTS", default=20)
TRUST_TRUSTED_MIN_AGE_DAYS = env.int("TRUST_TRUSTED_MIN_AGE_DAYS", default=90)
TRUST_TRUSTED_MIN_POSTS = env.int("TRUST_TRUSTED_MIN_POSTS", default=50)
TRUST_TRUSTED_MIN_POINTS = env.int("TRUST_TRUSTED_MIN_POINTS", default=100)
STRIKES_FOR_DEMOTION = env.int("STRIKES_FOR_DEMOTION", default=3)
FLAGS_PER_AUTOMATIC_STRIKE = env.int("FLAGS_PER_AUTOMATIC_STRIKE", default=10)
# Ban length in days by strike count; at or above the last count, the last length.
BAN_DAYS_BY_STRIKES = {3: 7, 4: 30, 5: 365}
DEVICE_BLOCK_RISK = env.int("DEVICE_BLOCK_RISK", default=80)
TRUST_RECALCULATION_BATCH = env.int("TRUST_RECALCULATION_BATCH", default=5000)

# --- IP and account rate limits (django-ratelimit) ----------------------------------------------

# RATELIMIT_ENABLE=False (django-ratelimit's own switch) turns every limit off (SPEC §6).
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
# A cache alias that raises on Redis errors, so the limiter can apply its own fallback instead
# of django-ratelimit's (which would limit everyone when the cache silently fails).
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_IP_META_KEY = "ciel.api.network.client_ip"
# How many reverse proxies (load balancers) append to X-Forwarded-For in front of the API.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
LOGIN_RATE_PER_IP = env.str("LOGIN_RATE_PER_IP", default="10/h")
SIGNUP_RATE_PER_IP = env.str("SIGNUP_RATE_PER_IP", default="5/h")
LOGIN_FAILURE_RATE_PER_EMAIL = env.str("LOGIN_FAILURE_RATE_PER_EMAIL", default="10/h")

# --- Static files (admin and the offline API docs) ----------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG

# --- AWS: S3 for media, SQS for Celery ----------------------------------------------------------

# Set only for a local S3/SQS server such as moto_server; unset on AWS (SPEC §11).
AWS_ENDPOINT_URL = env.str("AWS_ENDPOINT_URL", default="") or None
AWS_REGION = env.str("AWS_REGION", default="us-east-1")
# On AWS, leave the keys unset and let boto3 find the instance or task role.
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
MEDIA_BUCKET = env.str("MEDIA_BUCKET", default="ciel-media")
MEDIA_CDN_URL = env.str("MEDIA_CDN_URL", default="") or None
SQS_QUEUE_PREFIX = env.str("SQS_QUEUE_PREFIX", default="ciel-")
# After this many receives without an ack, SQS moves a message to the queue's dead-letter queue.
SQS_MAX_RECEIVE_COUNT = env.int("SQS_MAX_RECEIVE_COUNT", default=5)

STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_BUCKET,
            "region_name": AWS_REGION,
            "endpoint_url": AWS_ENDPOINT_URL,
            "access_key": AWS_ACCESS_KEY_ID,
            "secret_key": AWS_SECRET_ACCESS_KEY,
            # Without s3v4, boto3 with a custom endpoint signs with the old SigV2.
            "signature_version": "s3v4",
            "addressing_style": "path" if AWS_ENDPOINT_URL else "virtual",
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            # No code uses this storage yet (ciel.aws's clients do the S3 work); whatever does
            # gets ciel.aws's bounds rather than botocore's 60 s + 60 s and 5 legacy attempts.
            # With client_config given, django-storages reads the two options above from it.
            "client_config": BotocoreConfig(
                s3={"addressing_style": "path" if AWS_ENDPOINT_URL else "virtual"},
                signature_version="s3v4",
                connect_timeout=5,
                read_timeout=30,
                retries={"total_max_attempts": 3, "mode": "standard"},
            ),
        },
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Celery on SQS ------------------------------------------------------------------------------

CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=270)
# The longest countdown any task may ask for (retry backoff included).
CELERY_MAX_COUNTDOWN = env.int("CELERY_MAX_COUNTDOWN", default=600)
# An unacknowledged message becomes visible again after this many seconds. It must outlast
# the longest task and the longest countdown, or SQS hands the same job to a second worker.
SQS_VISIBILITY_TIMEOUT = env.int("SQS_VISIBILITY_TIMEOUT", default=1800)
if max(CELERY_TASK_TIME_LIMIT, CELERY_MAX_COUNTDOWN) >= SQS_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured(
        "SQS_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT and CELERY_MAX_COUNTDOWN."
    )


def _sqs_broker_url() -> str:
    """kombu has no endpoint option: a local server's host and port go into the URL."""
    if not AWS_ENDPOINT_URL:
        return "sqs://"
    endpoint = urlsplit(AWS_ENDPOINT_URL)
    key = quote(AWS_ACCESS_KEY_ID or "testing", safe="")
    secret = quote(AWS_SECRET_ACCESS_KEY or "testing", safe="")
    return f"sqs://{key}:{secret}@{endpoint.hostname}:{endpoint.port}"


CELERY_QUEUES = ("default", "media")
CELERY_BROKER_URL = _sqs_broker_url()
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "region": AWS_REGION,
    "queue_name_prefix": SQS_QUEUE_PREFIX,
    "visibility_timeout": SQS_VISIBILITY_TIMEOUT,
    "wait_time_seconds": env.int("SQS_WAIT_TIME_SECONDS", default=10),
    "polling_interval": env.float("SQS_POLLING_INTERVAL", default=1.0),
    "is_secure": not AWS_ENDPOINT_URL or AWS_ENDPOINT_URL.startswith("https"),
    # The botocore client kombu sends with. The API publishes on a request's path (after
    # commit), so an SQS that hangs must fail the publish in seconds, and the request answers
    # 503 (ciel.queueing), instead of botocore's 60 s reads × 5 legacy attempts × Celery's 4
    # publish attempts. A worker's long polls go through pycurl, which this does not govern;
    # its acks do, and one retry covers a transient error there.
    "client-config": {
        "connect_timeout": env.float("SQS_CONNECT_TIMEOUT_SECONDS", default=2.0),
        "read_timeout": env.float("SQS_READ_TIMEOUT_SECONDS", default=2.0),
        "retries": {"total_max_attempts": 2, "mode": "standard"},
    },
}
# botocore's retries above are the only ones: Celery's own publish retries would multiply them.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_QUEUES = tuple(Queue(name) for name in CELERY_QUEUES)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"media.tasks.*": {"queue": "media"}}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Results go to Redis only for the tasks that ask for them (ignore_result=False).
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
# SQS has no broadcast: remote control (inspect, ping) cannot work over it.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_WORKER_SEND_TASK_EVENTS = False
# When set, /metrics answers only a scraper sending `Authorization: Bearer <token>`.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# After a failed send to the broker, an API process answers 503 at once for this long instead
# of waiting on SQS again (ciel/queueing.py).
BROKER_PAUSE_SECONDS = env.float("BROKER_PAUSE_SECONDS", default=10.0)
# A worker serves its own metrics on this port when set (docs/operations.md); 0 turns it off.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
# Workers log through LOGGING above (JSON, request ids) rather than Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / ".run" / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULE = {
    "account-purge": {
        "task": "accounts.tasks.accounts_purge_task",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "export-cleanup": {
        "task": "accounts.tasks.exports_cleanup_task",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "media-orphans": {
        "task": "media.tasks.media_orphans_delete_task",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "device-rescoring": {
        "task": "safety.tasks.devices_rescore_task",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "trust-recalculation": {
        "task": "safety.tasks.trust_recalculate_all_task",
        "schedule": env.float("TRUST_RECALCULATION_INTERVAL_SECONDS", default=3600.0),
        "options": {"expires": 3000},
    },
} | {
    f"worker-heartbeat-{queue}": {
        "task": "ciel.tasks.worker_heartbeat_task",
        "schedule": 60.0,
        "args": (queue,),
        "options": {"queue": queue, "expires": 55},
    }
    for queue in CELERY_QUEUES
}

# --- API ----------------------------------------------------------------------------------------

# Media goes straight to S3, so API bodies are small JSON documents.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
API_PAGE_SIZE_DEFAULT = 20
API_PAGE_SIZE_MAX = 100

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["ciel.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["ciel.api.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.PasetoAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "ciel.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "ciel.api.errors.exception_handler",
    # OPTIONS answers 405 rather than describing the view: the schema is the description.
    "DEFAULT_METADATA_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Ciel API",
    "DESCRIPTION": "The JSON API of Ciel, an invite-only photo-sharing social network.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ciel.api.schema_links.add_links",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security -----------------------------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG

# --- Logging ------------------------------------------------------------------------------------

# JSON lines in production, for the log pipeline to index; readable lines in development. Every
# line carries the request id and the user id (null outside a request or before login).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be 'plain' or 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "ciel.request_context.RequestContextFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(user_id)s] %(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # A bad request is the client's error: 4xx responses are not worth a warning each.
        "django.request": {"level": "ERROR"},
        "django.security.DisallowedHost": {"level": "ERROR"},
    },
}
