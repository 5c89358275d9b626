"""Gemdesk settings: one module, driven by the environment (names in README.md).

With nothing configured it runs for a developer: SQLite file, eager tasks,
local-memory cache, email printed to the console. Production sets
DATABASE_URL, REDIS_URL, EMAIL_URL, DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS.
A bad value fails at start-up, never later.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 - refused below unless DEBUG
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters "
        "when DJANGO_DEBUG is false (generate one with: python -c "
        "'import secrets; print(secrets.token_urlsafe(64))')."
    )

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "pgtrigger",
    "crm",
    "complaints",
    "feedback",
    "recognition",
    # axes last, as its documentation asks.
    "axes",
]

MIDDLEWARE = [
    "config.metrics.RequestMetricsMiddleware",  # first: times everything below it
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.NoStoreForPersonalDataMiddleware",
    "config.middleware.RefuseNulInQueryMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.StaffTimeZoneMiddleware",  # after authentication: the signed-in person's zone
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # axes last: it turns a lockout raised by authentication into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.staff_roles",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# Database: SQLite file in the project folder unless DATABASE_URL says otherwise.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].update(
    # Services own their transactions; reuse connections and survive a PostgreSQL restart.
    ATOMIC_REQUESTS=False,
    CONN_MAX_AGE=env.int("DJANGO_CONN_MAX_AGE", default=60),
    CONN_HEALTH_CHECKS=True,
)
if env.str("DJANGO_TEST_DATABASE_NAME", default=""):
    # Lets several test runs share one PostgreSQL server without dropping each other's database.
    DATABASES["default"]["TEST"] = {"NAME": env.str("DJANGO_TEST_DATABASE_NAME")}
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("DJANGO_MANIFEST_STATIC", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media"))

# Prometheus scrapes /metrics with this bearer token; without one the page does not exist. gunicorn's
# workers share their request timings through files in PROMETHEUS_MULTIPROC_DIR (an empty directory).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")

# Redis: broker and cache when REDIS_URL is set; otherwise eager tasks and local memory.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Email: console unless EMAIL_URL is smtp://[user:password@]host:port (smtp+tls:// or smtps:// for TLS).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
# Sets EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL.
vars().update(EMAIL_CONFIG)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # default None can block a worker forever
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Gemdesk <care@gemdesk.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
GEMDESK_BASE_URL = env.str("GEMDESK_BASE_URL", default="http://127.0.0.1:8000")

# Outbox: how hard the sender tries, and how often the sweeper looks for stranded rows.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BACKOFF_SECONDS = env.int("OUTBOX_RETRY_BACKOFF_SECONDS", default=5)
OUTBOX_RETRY_BACKOFF_MAX_SECONDS = env.int("OUTBOX_RETRY_BACKOFF_MAX_SECONDS", default=600)
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=60)
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=60.0)
OUTBOX_STALE_PENDING_SECONDS = env.int("OUTBOX_STALE_PENDING_SECONDS", default=30)
# How long a process gathers committed outbox ids before one task wakes the senders for all of them
# (crm.outbox.wakeups); 0: a task per commit, at once. Eager tasks (`make run`) always go at once.
OUTBOX_WAKE_SECONDS = 0.0 if not REDIS_URL else env.float("OUTBOX_WAKE_SECONDS", default=0.1)
OUTBOX_RATE_PER_SECOND = env.int("OUTBOX_RATE_PER_SECOND", default=0)  # across all workers; 0 = no limit

# Celery. The database row is the truth and the broker only wakes workers: tasks are idempotent and
# acked late, and a beat sweeper re-queues what Redis loses (README, "Email: the outbox").
CELERY_BROKER_URL = REDIS_URL or "memory://"
# Eager only for `make run` (no Redis). Tests switch it off (tests/conftest.py): without Redis they use the
# in-memory transport, and the integration tests run real workers on Redis.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TIMEZONE = TIME_ZONE  # beat's crontabs (the Monday digest) are in the site's time zone
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # redeliver if a worker dies mid-task; tasks are idempotent via the row claim
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # else a SIGKILLed child's message is acked and lost
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # reserved-but-unstarted messages age toward the visibility timeout
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_TIME_LIMIT = 300  # hard kill a hung SMTP session; must stay below the visibility timeout
CELERY_TASK_SOFT_TIME_LIMIT = 240  # lets the task release its lease cleanly first
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True  # no parallel duplicate after a Redis blip
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True  # workers survive Redis starting after them
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # retry forever; the sweeper catches up afterwards
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 30.0  # deploys re-queue unacked messages instead of waiting an hour
CELERY_WORKER_ENABLE_SOFT_SHUTDOWN_ON_IDLE = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]  # never unpickle broker data
CELERY_TASK_IGNORE_RESULT = True  # state lives in the database; no result backend to lose
CELERY_WORKER_MAX_TASKS_PER_CHILD = 1000  # caps slow leaks before the OOM killer acts
# Celery closes every database connection around every task unless this is set (celery#9824);
# config/celery.py applies CONN_MAX_AGE and health checks instead, as Django does for requests.
CELERY_DB_REUSE_MAX = CELERY_WORKER_MAX_TASKS_PER_CHILD
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "crm.tasks.sweep_outbox", "schedule": OUTBOX_SWEEP_SECONDS},
    "promises-check": {"task": "complaints.tasks.check_promises", "schedule": 60.0},
    "cases-auto-close": {"task": "complaints.tasks.close_resolved_cases", "schedule": 600.0},
    "incident-fan-outs": {"task": "complaints.tasks.restart_stalled_fan_outs", "schedule": OUTBOX_SWEEP_SECONDS},
    "suggestion-decisions": {"task": "feedback.tasks.check_decisions", "schedule": 3600.0},
    # Monday 08:00 in TIME_ZONE (CELERY_TIMEZONE below).
    "figures-refresh": {"task": "complaints.tasks.refresh_figures", "schedule": 60.0},
    "figures-digest": {
        "task": "complaints.tasks.send_figures_digest",
        "schedule": crontab(minute=0, hour=8, day_of_week=1),
    },
    "recognition-digest": {
        "task": "recognition.tasks.send_wins_digest",
        "schedule": crontab(minute=0, hour=8, day_of_week=1),
    },
}

# Cases: when owners are warned about a promise, and when resolved cases close by themselves.
PROMISE_WARNING_HOURS = env.float("PROMISE_WARNING_HOURS", default=2.0)
PROMISE_WARNING_FRACTION = env.float("PROMISE_WARNING_FRACTION", default=0.8)
CASE_AUTO_CLOSE_AFTER_HOURS = env.float("CASE_AUTO_CLOSE_AFTER_HOURS", default=168.0)
# Who may find and read a case: "all" staff (a customer who reaches anyone is helped, never duplicated), or
# "team" (agents and leads see their team's cases, the queue and what was escalated to them). Changing a
# case is the owner's, their lead's and managers' either way.
CASE_VISIBILITY = env.str("CASE_VISIBILITY", default="all")
# The figures: computed once per filter in this many seconds and shared by everyone who asks meanwhile (the
# facts behind them are brought up to date as often), so they are at most twice this behind; 0: every read.
FIGURES_CACHE_SECONDS = env.int("FIGURES_CACHE_SECONDS", default=30)
if CASE_VISIBILITY not in ("all", "team"):
    raise ImproperlyConfigured("CASE_VISIBILITY must be 'all' or 'team'.")
if OUTBOX_RETRY_BACKOFF_MAX_SECONDS >= CELERY_VISIBILITY_TIMEOUT or CELERY_TASK_TIME_LIMIT >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured("Retry backoff and task time limit must stay below CELERY_VISIBILITY_TIMEOUT.")

# Security. DJANGO_HTTPS (default: on unless DEBUG) turns on the settings that need TLS.
HTTPS = env.bool("DJANGO_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]  # probes and scrapes from the internal network
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    # Only when the proxy overwrites any client-sent copy of this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env.bool("DJANGO_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    # __Host- cookies are only accepted by browsers when Secure, path "/" and no domain.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 1800  # 30 minutes idle
SESSION_SAVE_EVERY_REQUEST = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Login lockout: 5 failures per (username, IP) lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.api.axes_lockout_response"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# The client address the throttles use too (NUM_PROXIES): behind a proxy, REMOTE_ADDR is the proxy for
# everyone, and five bad passwords would lock a staff member out for every client.
AXES_CLIENT_IP_CALLABLE = "config.client_address.client_address"

REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated request then gets 401 with WWW-Authenticate, not 403.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's, counted atomically (config/throttling.py): requests sent together cannot pass the limit.
        "config.throttling.AnonRateThrottle",
        "config.throttling.UserRateThrottle",
        "config.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="1000/min"),
        "login": env.str("THROTTLE_LOGIN", default="20/min"),
        "public_complaint": env.str("THROTTLE_PUBLIC_COMPLAINT", default="10/hour"),
        "public_compliment": env.str("THROTTLE_PUBLIC_COMPLIMENT", default="10/hour"),
        "status_action_link": env.str("THROTTLE_STATUS_ACTIONS", default="10/hour"),
        "status_action_address": env.str("THROTTLE_STATUS_ACTIONS_PER_ADDRESS", default="30/hour"),
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
}
# API tokens (django-rest-knox): hashed at rest, one per login, ending after this many hours.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.float("TOKEN_TTL_HOURS", default=10.0)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gemdesk API",
    "DESCRIPTION": "Customer-service CRM: customers, complaint cases, incidents, feedback and recognition.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Deliberate: the schema and docs describe staff endpoints, so they need a staff login (ASVS 13.4.5).
    "SERVE_PERMISSIONS": ["crm.permissions.IsStaffMember"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's error answers (400, 401, 403, 404, 409, 413, 415, 429) in the one error shape, and
    # empty query parameters read as not given.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "config.api.document_api_conventions"],
    # Swagger UI served from our own static files (no CDN), so the CSP can stay 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "complaints.models.CaseStatus",
        "PromiseStatusEnum": "complaints.models.PromiseStatus",
        "EmailStateEnum": "crm.models.EmailState",
        "SuggestionStatusEnum": "feedback.models.SuggestionStatus",
        "SuggestionDecisionEnum": "feedback.suggestions.services.DECISIONS",
        "StoryStatusEnum": "recognition.models.StoryStatus",
        "StoryKindEnum": "recognition.models.StoryKind",
    },
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "config.logging.MaskPersonalDataFilter"}},
    # The level on the handler too: Django's `django` logger (INFO) passes its records up to this handler
    # past the root's level, so LOG_LEVEL=ERROR would still print every "Bad Request" warning.
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"], "level": LOG_LEVEL}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Customers: phone numbers typed without a country code are read as numbers of this region.
CRM_DEFAULT_PHONE_REGION = env.str("CRM_DEFAULT_PHONE_REGION", default="GB")

# Public intake and the customer's status page.
FIRST_RESPONSE_HOURS = env.float("FIRST_RESPONSE_HOURS", default=24.0)  # promised in every acknowledgement
SUGGESTION_DECISION_DAYS = env.int("SUGGESTION_DECISION_DAYS", default=14)  # a manager decides a suggestion by then
CUSTOMER_REOPEN_DAYS = env.int("CUSTOMER_REOPEN_DAYS", default=30)  # how long after resolution a customer may reopen
INBOUND_ATTACHMENT_MAX_BYTES = env.int("INBOUND_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# A whole message over this is refused (its start kept with the reason); set the mail server's limit lower.
INBOUND_MESSAGE_MAX_BYTES = env.int("INBOUND_MESSAGE_MAX_BYTES", default=40 * 1024 * 1024)
# The authserv-id of the receiving mail server whose Authentication-Results (DKIM, SPF, DMARC) we trust;
# unset: those headers are ignored (anyone can write them).
INBOUND_TRUSTED_AUTHSERV_ID = env.str("INBOUND_TRUSTED_AUTHSERV_ID", default="")
# Email in from an IMAP mailbox (complaints.mail.imap): imaps://user:password@host:993/INBOX or
# imap+starttls://…:143/INBOX, from the environment only. Beat polls it when it is set.
IMAP_URL = env.str("IMAP_URL", default="")
IMAP_POLL_SECONDS = env.int("IMAP_POLL_SECONDS", default=60)
IMAP_DONE_FOLDER = env.str("IMAP_DONE_FOLDER", default="Gemdesk/Processed")
IMAP_REJECTED_FOLDER = env.str("IMAP_REJECTED_FOLDER", default="Gemdesk/Rejected")
# false: the server's certificate is not checked (anyone on the path can read the mail). Never in production.
IMAP_TLS_VERIFY = env.bool("IMAP_TLS_VERIFY", default=True)
IMAP_CA_FILE = env.str("IMAP_CA_FILE", default="")  # a CA or self-signed certificate to trust besides the system's
IMAP_RETRY_SECONDS = env.int("IMAP_RETRY_SECONDS", default=60)  # after a failure; doubles while they go on
IMAP_RETRY_MAX_SECONDS = env.int("IMAP_RETRY_MAX_SECONDS", default=1800)
if IMAP_URL:
    CELERY_BEAT_SCHEDULE["mail-poll"] = {"task": "complaints.tasks.poll_mailbox", "schedule": float(IMAP_POLL_SECONDS)}
# Acknowledgement emails to one address in an hour; complaints past it still open cases.
ACKNOWLEDGEMENTS_PER_ADDRESS_PER_HOUR = env.int("ACKNOWLEDGEMENTS_PER_ADDRESS_PER_HOUR", default=3)
