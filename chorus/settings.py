"""Chorus settings: every knob comes from the environment, read through validated helpers.

Defaults suit a developer's machine (the embedded profile: SQLite and Huey on SQLite under
`var/`). The scale-out profile is chosen by setting DATABASE_URL (PostgreSQL) and REDIS_URL.
Every variable read here is listed in `.env.example`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from dotenv import load_dotenv

from chorus.lib.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    env_url,
    read_or_create_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# A `.env` file (see .env.example) fills in variables the environment does not set.
load_dotenv(os.environ.get("CHORUS_ENV_FILE", BASE_DIR / ".env"), override=False)
VAR_DIR = Path(env_str("CHORUS_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("CHORUS_DEBUG", False)

# The embedded profile (no DATABASE_URL, no REDIS_URL) reads an unset SECRET_KEY from the key
# the set-up keeps in <CHORUS_VAR_DIR>/secret_key (made on first use, mode 0600), so commands run
# next to `make run` need nothing exported. The scale-out profile refuses to start without one.
EMBEDDED_PROFILE = not env_str("DATABASE_URL") and not env_str("REDIS_URL")
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY and EMBEDDED_PROFILE:
    SECRET_KEY = read_or_create_secret(VAR_DIR / "secret_key")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string "
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set CHORUS_DEBUG=1 on a development machine."
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"
elif len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long.")

ALLOWED_HOSTS = env_list("CHORUS_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CHORUS_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "chorus.accounts",
    "chorus.orgs",
    "chorus.content",
    "chorus.links",
    "chorus.feed",
    "chorus.program",
    "chorus.governance",
    "chorus.sharing",
    "chorus.notify",
    "chorus.analytics",
    "chorus.engage",
    "chorus.coaching",
    "chorus.api",
    "chorus.scim",
    "chorus.web",
    "chorus.sso",
    "chorus.webhooks",
    "chorus.chat",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "huey.contrib.djhuey",
    "django_htmx",
    "csp",
    "ninja",
]

MIDDLEWARE = [
    # Body limits, from Content-Length, before anything reads the body (chorus/web/limits.py).
    "chorus.web.limits.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "chorus.accounts.middleware.UserLanguageMiddleware",
    # An instance without any organisation sends its first visitor to /setup/.
    "chorus.orgs.middleware.SetupRedirectMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "chorus.urls"
WSGI_APPLICATION = "chorus.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "chorus" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chorus.orgs.context_processors.current_membership",
                "chorus.notify.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database: SQLite (WAL) under var/ by default, PostgreSQL through DATABASE_URL ---
DATABASE_URL = env_url(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'chorus.sqlite3'}",
    schemes=("sqlite", "postgres", "postgresql", "pgsql"),
)
# Connections are kept between requests (a new one per request doubled the redirect's cost for a
# code not in cache); each is checked before reuse, so a restarted database costs one error-free
# reconnection, not a failed request.
_database = dj_database_url.parse(
    DATABASE_URL,
    conn_max_age=env_int("CHORUS_DB_CONN_MAX_AGE", 60, minimum=0),
    conn_health_checks=True,
)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["OPTIONS"] = {
        # WAL lets the worker write while the web process reads; IMMEDIATE avoids
        # "database is locked" upgrades from read to write transactions. Reads through a
        # memory map (256 MiB at most) share the system's page cache across processes instead
        # of copying pages into each connection's cache: the redirect's lookup of a code not in
        # cache took 20% less at 100,000 links.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA busy_timeout=5000; PRAGMA mmap_size=268435456;",
        "transaction_mode": "IMMEDIATE",
    }
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and task queue: a database table and Huey on SQLite, or Redis for both ---
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "chorus",
        "url": REDIS_URL,
        "immediate": env_bool("CHORUS_HUEY_IMMEDIATE", False),
        "consumer": {"workers": env_int("CHORUS_WORKER_THREADS", 2, minimum=1)},
    }
else:
    # A table of the database, not each process's memory: login rate limits ("5 failures per
    # 5 minutes per account") count every web process's attempts and survive restarts.
    # `chorus migrate` creates the table (chorus.accounts.apps). Entries are many and small;
    # a low MAX_ENTRIES would let a flood of new keys cull the counters that matter.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "chorus_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # Huey's SQLite file lives there.
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "chorus",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": env_bool("CHORUS_HUEY_IMMEDIATE", False),
        "consumer": {
            "workers": env_int("CHORUS_WORKER_THREADS", 2, minimum=1),
            "worker_type": "thread",
        },
    }

# --- Accounts: e-mail login through django-allauth ---
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses passwords where the organisation requires single sign-on (chorus/sso).
    "chorus.sso.backends.RequireSSOBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "chorus.accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# Login attempts are rate limited per IP and per account (allauth, through the cache).
ACCOUNT_RATE_LIMITS = {
    "login": env_str("CHORUS_LOGIN_RATE_LIMIT", "30/m/ip"),
    "login_failed": env_str("CHORUS_LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/5m/key"),
    "reset_password": "20/m/ip,5/m/key",
}
CHORUS_OPEN_SIGNUP = env_bool("CHORUS_OPEN_SIGNUP", False)
# Single sign-on: each organisation's OpenID Connect provider, set on its settings page
# (chorus/sso); allauth runs the protocol, Chorus decides who gets in.
SOCIALACCOUNT_ADAPTER = "chorus.sso.adapter.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env_int("CHORUS_SSO_TIMEOUT", 10, minimum=1)
# SAML 2.0: seconds of drift tolerated between the IdP's clock and ours on an assertion's
# validity window (NotBefore / NotOnOrAfter).
CHORUS_SAML_CLOCK_SKEW = env_int("CHORUS_SAML_CLOCK_SKEW", 120, minimum=0)

# --- E-mail: SMTP when a host is configured, else printed on the console ---
EMAIL_HOST = env_str("CHORUS_EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("CHORUS_EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("CHORUS_EMAIL_USER")
    EMAIL_HOST_PASSWORD = env_str("CHORUS_EMAIL_PASSWORD")
    EMAIL_USE_TLS = env_bool("CHORUS_EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("CHORUS_DEFAULT_FROM_EMAIL", "Chorus <chorus@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Languages: English and French, chosen per user, default from the browser ---
LANGUAGE_CODE = env_choice("CHORUS_DEFAULT_LANGUAGE", "en", ("en", "fr"))
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "chorus" / "locale"]
USE_I18N = True
TIME_ZONE = env_str("CHORUS_TIME_ZONE", "UTC")
USE_TZ = True

# --- Static and media files, served by the app itself (WhiteNoise) ---
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("CHORUS_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("CHORUS_STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security baseline ---
CHORUS_HTTPS = env_bool("CHORUS_HTTPS", False)
if CHORUS_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("CHORUS_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("CHORUS_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CHORUS_HSTS_INCLUDE_SUBDOMAINS", False)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads it from the page's meta tag, not the cookie.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CHORUS_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # The Huey consumer installs its own handler; don't print each line twice.
        "huey": {"level": "INFO", "propagate": False},
        # metadata_parser announces optional features at INFO (under a misspelt name).
        "metdata_parser": {"level": "WARNING"},
        "metadata_parser": {"level": "WARNING"},
    },
}

# --- API ---
NINJA_PAGINATION_PER_PAGE = 50
# `make run` loads the demo organisation unless this is off (then the set-up page makes the first).
CHORUS_DEMO = env_bool("CHORUS_DEMO", True)
CHORUS_DEMO_PASSWORD = env_str("CHORUS_DEMO_PASSWORD", "chorus-demo-2026")
# The Django admin is for operators; off unless asked for.
CHORUS_ADMIN_ENABLED = env_bool("CHORUS_ADMIN_ENABLED", False)

# --- Fetching user-given URLs (link previews, feeds) ---
# Only public addresses are fetched; switch the guard off for loopback tests only.
CHORUS_ALLOW_PRIVATE_URLS = env_bool("CHORUS_ALLOW_PRIVATE_URLS", False)
CHORUS_FETCH_TIMEOUT = env_int("CHORUS_FETCH_TIMEOUT", 10, minimum=1)
CHORUS_FETCH_MAX_BYTES = env_int("CHORUS_FETCH_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)
CHORUS_FETCH_USER_AGENT = env_str(
    "CHORUS_FETCH_USER_AGENT", "Chorus/0.1 (employee advocacy; link previews and feeds)"
)
# The largest feed body read when polling a source.
CHORUS_FEED_MAX_BYTES = env_int("CHORUS_FEED_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
FORMS_URLFIELD_ASSUME_HTTPS = True  # the Django 6 behaviour, chosen now
# Request bodies (chorus/web/limits.py): the most any page or API call takes, and the most a
# page taking a content item's image takes; the other uploads have their own, smaller limits.
CHORUS_MAX_BODY_BYTES = env_int("CHORUS_MAX_BODY_BYTES", 1024 * 1024, minimum=64 * 1024)
CHORUS_MAX_UPLOAD_BYTES = env_int("CHORUS_MAX_UPLOAD_BYTES", 10 * 1024 * 1024, minimum=1024 * 1024)
# /healthz answers 503 when the worker's heartbeat (a task run every minute) is older than this.
CHORUS_WORKER_SILENT_AFTER = env_int("CHORUS_WORKER_SILENT_AFTER", 180, minimum=90)
# Serve MEDIA_ROOT from the app (embedded profile); turn off when a web server or S3 does it.
CHORUS_SERVE_MEDIA = env_bool("CHORUS_SERVE_MEDIA", True)

# --- Tracked links ---
# Where the redirect journals clicks: "file" (a local directory, both profiles: every web host
# must run something that ingests it, see chorus/links/journal.py) or "redis" (one round trip
# per click, for web hosts without a lasting local disk).
CHORUS_CLICK_JOURNAL = env_choice("CHORUS_CLICK_JOURNAL", "file", ("file", "redis"))
if CHORUS_CLICK_JOURNAL == "redis" and not REDIS_URL:
    raise ImproperlyConfigured("CHORUS_CLICK_JOURNAL=redis needs REDIS_URL.")
CHORUS_CLICK_JOURNAL_DIR = env_str("CHORUS_CLICK_JOURNAL_DIR", str(VAR_DIR / "clicks"))
# Where the worker writes each organisation's feed ranking context for the web processes to
# map (chorus/feed/shared.py): a volume every web process shares when they run on several hosts.
CHORUS_FEED_DIR = env_str("CHORUS_FEED_DIR") or str(VAR_DIR / "feed")  # empty: the default
# The public address of tracked links (https://go.example.com), when not this server's.
CHORUS_LINK_BASE_URL = env_url("CHORUS_LINK_BASE_URL", schemes=("http", "https"))
# How many reverse proxies in front of Chorus append to X-Forwarded-For (0: use the peer).
CHORUS_PROXY_COUNT = env_int("CHORUS_PROXY_COUNT", 0, minimum=0)

# --- Secrets at rest: social tokens and app secrets (Fernet; newest key first) ---
CHORUS_ENCRYPTION_KEYS = env_list("CHORUS_ENCRYPTION_KEYS")

# --- Publishing: the LinkedIn and X apps (an empty client id leaves the network out) ---
CHORUS_LINKEDIN_CLIENT_ID = env_str("CHORUS_LINKEDIN_CLIENT_ID")
CHORUS_LINKEDIN_CLIENT_SECRET = env_str("CHORUS_LINKEDIN_CLIENT_SECRET")
if CHORUS_LINKEDIN_CLIENT_ID and not CHORUS_LINKEDIN_CLIENT_SECRET:
    raise ImproperlyConfigured("CHORUS_LINKEDIN_CLIENT_ID needs CHORUS_LINKEDIN_CLIENT_SECRET.")
CHORUS_LINKEDIN_API_URL = env_url(
    "CHORUS_LINKEDIN_API_URL", "https://api.linkedin.com", schemes=("http", "https")
).rstrip("/")
CHORUS_LINKEDIN_OAUTH_URL = env_url(
    "CHORUS_LINKEDIN_OAUTH_URL", "https://www.linkedin.com/oauth/v2", schemes=("http", "https")
).rstrip("/")
# LinkedIn's monthly API version (YYYYMM); each lives about a year, then answers 426.
CHORUS_LINKEDIN_VERSION = env_str("CHORUS_LINKEDIN_VERSION", "202607")
if not re.fullmatch(r"\d{4}(0[1-9]|1[0-2])(\.\d{2})?", CHORUS_LINKEDIN_VERSION):
    raise ImproperlyConfigured(
        f"CHORUS_LINKEDIN_VERSION must look like 202607, not {CHORUS_LINKEDIN_VERSION!r}"
    )
# X: a confidential client has a secret; a public one (PKCE only) leaves it empty.
CHORUS_X_CLIENT_ID = env_str("CHORUS_X_CLIENT_ID")
CHORUS_X_CLIENT_SECRET = env_str("CHORUS_X_CLIENT_SECRET")
CHORUS_X_API_URL = env_url(
    "CHORUS_X_API_URL", "https://api.x.com", schemes=("http", "https")
).rstrip("/")
CHORUS_X_AUTHORIZE_URL = env_url(
    "CHORUS_X_AUTHORIZE_URL", "https://x.com/i/oauth2/authorize", schemes=("http", "https")
)
# Bluesky counts (likes, reposts) come from an AppView, e.g. https://public.api.bsky.app;
# empty: no engagement sync for Bluesky.
CHORUS_BLUESKY_APPVIEW_URL = env_url(
    "CHORUS_BLUESKY_APPVIEW_URL", schemes=("http", "https")
).rstrip("/")

# --- E-mails sent by the worker (digests) link back here ---
CHORUS_BASE_URL = env_url("CHORUS_BASE_URL", "http://127.0.0.1:8000", schemes=("http", "https"))
# --- Outbound webhooks (chorus/webhooks) ---
# Hours a message is retried (with exponential backoff) before it is given up.
CHORUS_WEBHOOK_RETRY_HOURS = env_int("CHORUS_WEBHOOK_RETRY_HOURS", 24, minimum=1)
# Days of failures after which an endpoint is disabled and its organisation's admins told.
CHORUS_WEBHOOK_DISABLE_AFTER_DAYS = env_int("CHORUS_WEBHOOK_DISABLE_AFTER_DAYS", 5, minimum=1)
# Seconds a receiver has to answer one delivery.
CHORUS_WEBHOOK_TIMEOUT = env_int("CHORUS_WEBHOOK_TIMEOUT", 10, minimum=1)
# --- Chat tools (chorus/chat, docs/integrations.md): Slack's app; Teams needs no setting ---
# Slack is offered to organisation admins when the client id is set; the signing secret
# checks the button clicks Slack sends to /chat/slack/interactions/.
CHORUS_SLACK_CLIENT_ID = env_str("CHORUS_SLACK_CLIENT_ID")
CHORUS_SLACK_CLIENT_SECRET = env_str("CHORUS_SLACK_CLIENT_SECRET")
CHORUS_SLACK_SIGNING_SECRET = env_str("CHORUS_SLACK_SIGNING_SECRET")
if CHORUS_SLACK_CLIENT_ID and not (CHORUS_SLACK_CLIENT_SECRET and CHORUS_SLACK_SIGNING_SECRET):
    raise ImproperlyConfigured(
        "CHORUS_SLACK_CLIENT_ID needs CHORUS_SLACK_CLIENT_SECRET and CHORUS_SLACK_SIGNING_SECRET."
    )
# Slack's addresses: not read from the environment, tests point them at a local stand-in.
CHORUS_SLACK_API_URL = "https://slack.com/api/"
CHORUS_SLACK_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
# Seconds Slack or a Teams webhook has to answer one message.
CHORUS_CHAT_TIMEOUT = 10
# Days an invitation link stays valid (resending one gives a new link and kills the old).
CHORUS_INVITATION_DAYS = env_int("CHORUS_INVITATION_DAYS", 7, minimum=1)
