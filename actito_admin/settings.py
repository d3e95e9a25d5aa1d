"""Actito Admin settings.

Every setting comes from the environment, with defaults that are safe for production except where
DEBUG is on (local demo). The README lists every variable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
# The ACTITO simulator signs and stores nothing of ours: `manage.py actito_sandbox`, typed in a
# fresh shell as the README shows it, must start without a SECRET_KEY.
_SANDBOX_ONLY = sys.argv[1:2] == ["actito_sandbox"]
if not SECRET_KEY and _SANDBOX_ONLY:
    SECRET_KEY = "sandbox-only-" + "0" * 50
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (50+ random characters) or DEBUG=true for a "
            "local demo."
        )
    # A fixed development key: only ever used with DEBUG on, never in production.
    SECRET_KEY = "dev-only-insecure-key-actito-admin-do-not-use-in-production-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Where the console keeps its own files: SQLite database, uploads, output files, archives.
DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / "var")).resolve()
UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR", DATA_DIR / "uploads")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "actito_admin.web.apps.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_q",
    "axes",
    "actito_admin.accounts",
    "actito_admin.audit",
    "actito_admin.actito",
    "actito_admin.ecdp",
    "actito_admin.sandbox",
    "actito_admin.scenarios",
    "actito_admin.imports",
    "actito_admin.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "actito_admin.web.middleware.RequestIdMiddleware",
    "actito_admin.web.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's Accept-Language or the language cookie; a logged-in person's saved choice
    # wins (UserLanguageMiddleware, after authentication).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "actito_admin.accounts.language.UserLanguageMiddleware",
    "actito_admin.accounts.middleware.ConsoleRoleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # AxesMiddleware must come last: it turns lockouts raised during login into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "actito_admin.urls"
WSGI_APPLICATION = "actito_admin.wsgi.application"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
                "actito_admin.web.context_processors.console",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "db.sqlite3")}
    }

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the task cluster and the sandbox share this file. WAL lets readers and a
    # writer work at once; IMMEDIATE transactions take the write lock up front, so two writers
    # queue on the busy timeout instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA busy_timeout=30000;",
    }
    # A file, not memory, so that test workers in other processes (task cluster, sandbox) can
    # open it; one per test process so that parallel runs never share one.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-db-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and task queue -----------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
Q_WORKERS = env_int("Q_WORKERS", 2)
Q_CLUSTER: dict = {
    "name": os.environ.get("Q_CLUSTER_NAME", "actito_admin"),
    "workers": Q_WORKERS,
    # A task may run long (a large upload to ACTITO); retry must stay above timeout so that a task
    # still running is never handed to a second worker.
    "timeout": env_int("Q_TIMEOUT", 900),
    "retry": env_int("Q_TIMEOUT", 900) + 300,
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 500,
    "poll": 0.5,
    "label": "Background tasks",
}
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    Q_CLUSTER["redis"] = REDIS_URL
    # Sessions are read on every request, live-status polls included: from Redis, the database
    # only on a miss.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # A database cache, not local memory: the web server and the workers must see the same cache
    # (token cache, scenario lists, cluster statistics).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "actito_admin_cache",
        }
    }
    Q_CLUSTER["orm"] = "default"

# --- Auth, roles and lockout --------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "actito_admin.accounts.backends.RoleBackend",
]
# How long a web process may answer from its copy of a user's permissions (see RoleBackend).
PERMISSION_CACHE_SECONDS = env_int("PERMISSION_CACHE_SECONDS", 10)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Failed log-ins from one address, whatever the usernames, before that address is paused for
# the same time (accounts/throttle.py).
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 20)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind a reverse proxy the client address is in X-Forwarded-For; trust exactly as many hops as
# there are proxies, so a client cannot forge its own address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "actito_admin.audit.client_ip.client_ip"

# --- Security -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 12) * 3600
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS: list[str] = []

# --- I18N / time --------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
# English, French and Dutch: the languages of Belgium, France, the Netherlands and Luxembourg's
# marketers. Catalogues in locale/ (README: "Languages"); en-gb for day-first dates in English.
LANGUAGES = [("en-gb", "English"), ("fr", "Français"), ("nl", "Nederlands")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own date and time formats per language (actito_admin/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["actito_admin.formats"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Brussels")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Uploads ------------------------------------------------------------------------------------
# Anything larger than this is streamed to a temporary file instead of being held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# The mapping form posts up to 5 fields per column for at most imports.csvfile.MAX_COLUMNS (300).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_TEMP_DIR = str(DATA_DIR / "tmp")
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
UPLOAD_RETENTION_DAYS = env_int("UPLOAD_RETENTION_DAYS", 30)

# --- ACTITO connection defaults (the Settings page can override them) ---------------------------
ACTITO_BASE_URL = os.environ.get("ACTITO_BASE_URL", "").strip()
ACTITO_API_KEY = os.environ.get("ACTITO_API_KEY", "").strip()
ACTITO_ENTITY = os.environ.get("ACTITO_ENTITY", "").strip()
ACTITO_CALLS_PER_MINUTE = env_int("ACTITO_CALLS_PER_MINUTE", 60)
ACTITO_MAX_IN_FLIGHT = env_int("ACTITO_MAX_IN_FLIGHT", 5)
ACTITO_DAILY_IMPORTS_PER_TABLE = env_int("ACTITO_DAILY_IMPORTS_PER_TABLE", 12)
ACTITO_TIMEOUT_SECONDS = float(os.environ.get("ACTITO_TIMEOUT_SECONDS", "30"))
# One-shot imports send the smallest definition seed 002 supports for an uploaded file (no
# fileTransfer block); true adds the fileTransfer.input.file block, should a licence want it.
ACTITO_ONESHOT_FILE_TRANSFER = env_bool("ACTITO_ONESHOT_FILE_TRANSFER", False)
# ACTITO refuses an import file over 100 MB after compression (configurable per licence).
ACTITO_MAX_IMPORT_MB = env_int("ACTITO_MAX_IMPORT_MB", 100)
# Key used to encrypt secrets stored in the database (API keys). Defaults to one derived from
# SECRET_KEY; set it explicitly to rotate SECRET_KEY without losing stored keys.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "").strip()
# The built-in sandbox that `make run` starts when no real key is configured.
SANDBOX_URL = os.environ.get("SANDBOX_URL", "").strip()

# ExpertSender CDP: no documented rate limit, so the console's own (per API key) are settings.
ECDP_BASE_URL = os.environ.get("ECDP_BASE_URL", "https://api.ecdp.app").strip().rstrip("/")
ECDP_CALLS_PER_MINUTE = env_int("ECDP_CALLS_PER_MINUTE", 300)
ECDP_MAX_IN_FLIGHT = env_int("ECDP_MAX_IN_FLIGHT", 5)
ECDP_TIMEOUT_SECONDS = float(os.environ.get("ECDP_TIMEOUT_SECONDS", "15"))

# --- E-mail: a word to the person who started long work, when it ends ---------------------------
# SMTP when EMAIL_HOST is set; otherwise the console backend prints messages (make run).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip()
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Actito Admin <actito-admin@localhost>")
# Links in those e-mails point here (the address marketers open the console at).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").strip().rstrip("/")
# Work that ends sooner than this is watched on screen: no e-mail for it.
NOTIFY_AFTER_SECONDS = env_int("NOTIFY_AFTER_SECONDS", 60)

# --- Audit ----------------------------------------------------------------------------------------
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 730)

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
