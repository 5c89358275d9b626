"""django-helpdesk 2.6.1 as a stranger would deploy it: the package's defaults, run by make bench beside Gemdesk.

Only what a deployment must choose differs from the defaults: the database (PostgreSQL, persistent connections
as Gemdesk's), the public queue and priority (Gemdesk's public form asks for neither), no pinax-teams, and where
mail goes. django-helpdesk sends its new-ticket email inside the request; the console backend (its demo's
choice) builds and serialises the message exactly as the SMTP backend would, then writes it to the server's
stdout, which the benchmark points at /dev/null: the cost of the message without a mail server, as Gemdesk's
request only queues its acknowledgement.
"""

import os

SECRET_KEY = "peer-benchmark-only-not-a-secret-0123456789abcdefghijklmnop"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peer_helpdesk.urls"
WSGI_APPLICATION = "peer_helpdesk.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
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
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PEER_DB_NAME", "gemdesk_bench_peer"),
        "USER": os.environ.get("PEER_DB_USER", "postgres"),
        "PASSWORD": os.environ.get("PEER_DB_PASSWORD", ""),
        "HOST": os.environ.get("PEER_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("PEER_DB_PORT", "5432"),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
STATIC_URL = "/static/"
SITE_ID = 1
LOGIN_URL = "helpdesk:login"

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.test"

HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_PUBLIC_TICKET_QUEUE = "public"
HELPDESK_PUBLIC_TICKET_PRIORITY = 3
