"""Kadence settings: one file, driven by the environment (see README "Configuration")."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = BASE_DIR / "kadence"


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("KADENCE_DATA_DIR", BASE_DIR / "var")).resolve()
DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment; otherwise one generated once and kept in DATA_DIR."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    path.write_text(key)
    path.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "kadence.core.apps.KadenceAdminConfig",  # Django's admin with the throttled site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # Django's widget templates, for FORM_RENDERER below
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "kadence.core",
    "kadence.accounts",
    "kadence.pipeline",
    "kadence.activities",
    "kadence.deals",
    "kadence.planning",
    "kadence.insights",
    "kadence.transfer",
    "kadence.rhythm",
    "kadence.performance",
    "kadence.keyaccounts",
    "kadence.demo",
]

MIDDLEWARE = [
    "config.api.ApiErrorsMiddleware",  # first: every error under /api/ answers JSON, whichever layer made it
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so that static files keep their long cache; before the rest, so that every
    # dynamic answer (errors and redirects included) gets no-store and the CSP.
    "kadence.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kadence.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it is the first to see a page view's exception: a domain error → its error page.
    "kadence.core.error_pages.DomainErrorPageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "kadence.core.context_processors.navigation",
                "kadence.rhythm.notify.context_processors.notifications",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Widgets render through the project's templates, so that kadence/templates/django/forms/ can replace
# one of Django's (the select, whose per-option include was slow for long lists of people).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'kadence.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        # A kept connection is checked before each request reuses it, so a database restart or a
        # terminated backend costs one reconnect instead of one 500 per worker.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs 100+ ms on the list and report queries and wins nothing at their size.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # No statement of a web request runs unbounded: past this limit PostgreSQL cancels it and the
    # request answers 503 too_slow (JSON under /api/, the error page elsewhere) instead of holding a
    # worker until gunicorn kills it. Only in web workers (config/wsgi.py sets KADENCE_WEB_PROCESS);
    # commands and the background worker run long jobs on purpose. 0 turns it off.
    STATEMENT_TIMEOUT_MS = int(os.environ.get("KADENCE_STATEMENT_TIMEOUT_MS", "20000"))
    if os.environ.get("KADENCE_WEB_PROCESS") and STATEMENT_TIMEOUT_MS > 0:
        DATABASES["default"]["OPTIONS"]["options"] += f" -c statement_timeout={STATEMENT_TIMEOUT_MS}"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; a busy timeout instead of "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The only backend: Django's ModelBackend behind the sign-in throttle, so every authenticate() is throttled.
AUTHENTICATION_BACKENDS = ["kadence.core.backends.ThrottledModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # An unreachable Redis fails fast (healthz and `check --deploy` report it) instead of hanging.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    CACHES["progress"] = {**CACHES["default"], "KEY_PREFIX": "progress"}
else:
    # Only derived, rebuildable data is cached; login throttling is kept in the database.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # The progress of background work (kadence.transfer.progress), shared by the worker and the web
        # processes: an import writes in one long transaction, so its progress cannot go through the
        # database (SQLite admits one writer); without Redis, files in the data directory carry it.
        "progress": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "progress"),
        },
    }

# Background work (`kadence worker`, started by `kadence demo` and `kadence serve --worker`): Django's tasks
# API (the django-tasks backport) with its database backend, so imports, snapshots and digests run off the
# request on SQLite or PostgreSQL with no extra server. The worker also enqueues the scheduled jobs
# (kadence.core.jobs) when they fall due.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    # Plotly.js as bundled in the `plotly` package (no CDN): {% static "plotly/plotly.min.js" %}
    ("plotly", Path(__import__("plotly").__file__).parent / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = DEBUG

# Security. Behind HTTPS (production) set KADENCE_HTTPS=1: secure cookies, HSTS, redirect.
HTTPS = env_bool("KADENCE_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and not env_bool("KADENCE_PROXY_HANDLES_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("KADENCE_BEHIND_PROXY") else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy of every page (kadence.core.middleware.SecurityHeadersMiddleware; the format of
# Django 6.0's SECURE_CSP). Scripts only from Kadence's own static files: no inline <script>, no on*
# attributes, no eval. Styles allow 'unsafe-inline' because Plotly.js and htmx insert <style> elements
# (chart hover labels and mode bar, htmx's request indicator) and the budget bars size themselves with a
# style attribute. img-src data: / blob: for the inline favicon, Swagger UI's icons and Plotly's image export.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Path prefixes with a policy of their own (none needed so far: Swagger UI at /api/docs runs under the one above).
SECURE_CSP_PATHS: dict[str, dict[str, list[str]]] = {}

# Sign-in throttling (kadence.core.throttle): failed attempts within the window per (address, user name),
# per user name from any address, and per address over all user names. 0 switches a counter off.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_LIMIT_PER_USERNAME = int(os.environ.get("LOGIN_FAILURE_LIMIT_PER_USERNAME", "20"))
LOGIN_FAILURE_LIMIT_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURE_LIMIT_PER_ADDRESS", "50"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", "900"))

# E-mail (password reset links): SMTP when EMAIL_HOST is set, otherwise printed to the console (the demo).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "465" if EMAIL_USE_SSL else "587" if EMAIL_USE_TLS else "25"))
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Kadence <kadence@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Absolute links in e-mails (the notification digest) and the calendar feed's address.
KADENCE_BASE_URL = os.environ.get("KADENCE_BASE_URL", "http://localhost:8000")
# Notifications (kadence.rhythm.notify): the days ahead an item shows (calendar), the days back an open next
# step or planned activity is still reminded of, and the local times of the collection run and the digest.
KADENCE_NOTIFY_AHEAD_DAYS = int(os.environ.get("KADENCE_NOTIFY_AHEAD_DAYS", "7"))
KADENCE_NOTIFY_BEHIND_DAYS = int(os.environ.get("KADENCE_NOTIFY_BEHIND_DAYS", "60"))
KADENCE_NOTIFY_COLLECT_AT = os.environ.get("KADENCE_NOTIFY_COLLECT_AT", "05:30")
KADENCE_NOTIFY_DIGEST_AT = os.environ.get("KADENCE_NOTIFY_DIGEST_AT", "06:30")
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(60 * 60 * 24)))

# The years a typed date may have (API, pages, services): outside them a date is refused with 422.
# Kept well inside date.min/date.max (years 1 and 9999) so that period ends, history windows and
# "as_of + N days" in the reports never overflow.
KADENCE_MIN_YEAR = int(os.environ.get("KADENCE_MIN_YEAR", "1900"))
KADENCE_MAX_YEAR = int(os.environ.get("KADENCE_MAX_YEAR", "2200"))
if not 1000 <= KADENCE_MIN_YEAR <= KADENCE_MAX_YEAR <= 9000:
    raise ImproperlyConfigured(
        "KADENCE_MIN_YEAR and KADENCE_MAX_YEAR must satisfy 1000 <= min <= max <= 9000."
    )

# Lists count their rows exactly up to this many; above it they show the database's estimate, labelled
# "about" (count_exact false in the API), so that a list of a million deals costs a bounded count.
KADENCE_EXACT_COUNT_LIMIT = int(os.environ.get("KADENCE_EXACT_COUNT_LIMIT", "10000"))
if KADENCE_EXACT_COUNT_LIMIT < 1:
    raise ImproperlyConfigured("KADENCE_EXACT_COUNT_LIMIT must be at least 1.")

# Exports of lists (docs/export.md): one of more rows than this is written by the background worker into a
# file to download later (a million rows take longer than the web server lets one request run); files are
# kept this many days; a person has at most this many exports queued or running at once.
KADENCE_EXPORT_BACKGROUND_ROWS = int(os.environ.get("KADENCE_EXPORT_BACKGROUND_ROWS", "100000"))
KADENCE_EXPORT_KEEP_DAYS = int(os.environ.get("KADENCE_EXPORT_KEEP_DAYS", "7"))
KADENCE_EXPORT_MAX_RUNNING = int(os.environ.get("KADENCE_EXPORT_MAX_RUNNING", "3"))
# The import engine: "auto" checks and imports opportunities set-based in SQL on PostgreSQL
# (kadence.transfer.pgengine) and row by row in Python otherwise; "python" always uses the Python engine.
KADENCE_IMPORT_ENGINE = os.environ.get("KADENCE_IMPORT_ENGINE", "auto")
if KADENCE_IMPORT_ENGINE not in ("auto", "python"):
    raise ImproperlyConfigured("KADENCE_IMPORT_ENGINE must be auto or python.")
if KADENCE_EXPORT_BACKGROUND_ROWS < 0 or KADENCE_EXPORT_KEEP_DAYS < 1 or KADENCE_EXPORT_MAX_RUNNING < 1:
    raise ImproperlyConfigured(
        "KADENCE_EXPORT_BACKGROUND_ROWS must be at least 0, KADENCE_EXPORT_KEEP_DAYS and "
        "KADENCE_EXPORT_MAX_RUNNING at least 1."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50

# The covering index on won deals (pipeline.Opportunity "opp_won_closed") includes non-key columns for
# PostgreSQL's index-only scans; SQLite keeps it as a plain partial index, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Rhythm, weekly plans: the photo or file a rep attaches to a visit logged from a phone (kept under
# MEDIA_ROOT): the largest accepted size, and the file types (extensions) allowed.
KADENCE_VISIT_FILE_MAX_BYTES = int(os.environ.get("KADENCE_VISIT_FILE_MAX_BYTES", str(10 * 1024 * 1024)))
KADENCE_VISIT_FILE_TYPES = tuple(
    t.strip().lower().lstrip(".")
    for t in os.environ.get(
        "KADENCE_VISIT_FILE_TYPES", "jpg,jpeg,png,heic,heif,webp,gif,pdf,doc,docx,xls,xlsx,txt"
    ).split(",")
    if t.strip()
)
