"""Tessera's one settings module, read from the environment (see the README's table).

With nothing set it runs embedded: SQLite, tasks in-process, mail on the console. Production sets
DJANGO_SECRET_KEY, DATABASE_URL, REDIS_URL, DJANGO_ALLOWED_HOSTS and SITE_URL.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it (50+ random characters) in production, "
            "or DJANGO_DEBUG=true for a local run."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 - DEBUG only

SITE_URL = (env_str("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")
_site = urlsplit(SITE_URL)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", _site.hostname])
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "config.api",
    "config.health",
    "config.events",
    "members",
    "loyalty",
    "rewards",
    "campaigns",
    "analytics",
    # Signed webhooks: consumes every domain app's events and renders their API shapes.
    "webhooks",
    # The pages people use, above every domain app (README, "How it is built").
    "portal",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # First after security: a NUL in a path, query or header never reaches a view or a query.
    "config.middleware.UnstorableInputMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "loyalty.middleware.ProgramTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.shop",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast (and let /health/ answer 503) rather than hang on a host that does not answer.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
# The hottest statements (config.rows: an API request's key, a purchase's lock and write) run as
# prepared statements on PostgreSQL: planned once per connection instead of on every request.
# Turn off behind a pooler that cannot carry prepared statements (PgBouncer before 1.21 in
# transaction mode).
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_PREPARED_STATEMENTS:
    # Django turns psycopg's prepared statements off (prepare_threshold None). Its own cursors
    # bind parameters on the client, which never prepares, so this lets only config.rows's
    # server-binding cursors prepare (psycopg's default threshold, should that ever change).
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the in-process Celery tasks and the dev server read while one writes.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL") or None
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    # Embedded mode: tasks run in the web process, right after the transaction that queued them.
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged only once it has run, and given back to the queue if its worker dies:
# every task must therefore be idempotent (see STYLE.md).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
# Redis re-delivers an unacknowledged task after this long; longer than the hard time limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "tessera"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The largest adjustment (in points, either way) staff may make without the manager's
# `adjust_points_any` permission; a bigger one is refused with a message.
STAFF_CASHIER_MAX_ADJUSTMENT = env_int("STAFF_CASHIER_MAX_ADJUSTMENT", 100)
if STAFF_CASHIER_MAX_ADJUSTMENT < 0:
    raise ImproperlyConfigured("STAFF_CASHIER_MAX_ADJUSTMENT must not be negative")
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "landing"  # portal.landing: staff at their work, members at home
ACCOUNT_LOGOUT_REDIRECT_URL = "home"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Joining asks for a first name, birthday, language, consents and a referral code, and enrols
# the member (with the sign-up bonus) in the same transaction as the account.
ACCOUNT_FORMS = {"signup": "portal.forms.SignupForm"}
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = _site.scheme or "https"
# Failed logins are throttled through the cache (per IP and per account), on top of allauth's
# defaults for sign-up, reset and confirmation mails.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("LOGIN_RATE_LIMIT", "10/m/ip,5/5m/key"),
}
# Account mails in the shop's name: "[Club Sicmay] …", from the program's name (portal.accounts).
ACCOUNT_ADAPTER = "portal.accounts.AccountAdapter"
# The per-IP limits above must see the client's address, not the reverse proxy's: behind one
# proxy set TRUSTED_PROXY_COUNT=1 so allauth reads it from X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates as Europe writes them (day first, 24-hour clock); Spanish and French keep Django's.
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Mail -------------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST") or ""
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# A provider's HTTP API instead of SMTP (README "Messages: the delivery log"): EMAIL_BACKEND names
# an Anymail backend (install django-anymail), and its settings come as ANYMAIL_<NAME> variables
# (ANYMAIL_POSTMARK_SERVER_TOKEN=... becomes ANYMAIL = {"POSTMARK_SERVER_TOKEN": ...}).
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or EMAIL_BACKEND
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_")
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Tessera <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Messages (campaigns.channels) ------------------------------------------------------------
# SMS and push go through the backend class named here (console by default; a shop names its
# provider's class, README "Messages"). Email goes through EMAIL_BACKEND above, an Anymail
# provider's backend included.
TESSERA_SMS_BACKEND = env_str("TESSERA_SMS_BACKEND") or "campaigns.channels.backends.ConsoleBackend"
TESSERA_PUSH_BACKEND = (
    env_str("TESSERA_PUSH_BACKEND") or "campaigns.channels.backends.ConsoleBackend"
)
# How long a sending worker holds the messages it claimed (CAMPAIGNS.md: at most 2 minutes):
# a worker that dies leaves its claims to others once this has passed.
TESSERA_DELIVERY_LEASE_SECONDS = env_int("TESSERA_DELIVERY_LEASE_SECONDS", 120)
if not 1 <= TESSERA_DELIVERY_LEASE_SECONDS <= 120:
    raise ImproperlyConfigured("TESSERA_DELIVERY_LEASE_SECONDS must be between 1 and 120")
# Campaign mails carry an open-tracking image and click-tracking links (signed, campaigns.links);
# either can be turned off.
TESSERA_TRACK_OPENS = env_bool("TESSERA_TRACK_OPENS", default=True)
TESSERA_TRACK_CLICKS = env_bool("TESSERA_TRACK_CLICKS", default=True)

# --- Webhooks (webhooks/) ---------------------------------------------------------------------
# Deliveries to loopback, private, link-local and other non-public addresses (and over plain
# http://) are refused unless this is true: for development and tests only (API.md, Webhooks).
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
# Seconds a receiver has to answer one delivery, connecting and reading included.
WEBHOOKS_TIMEOUT_SECONDS = env_int("WEBHOOKS_TIMEOUT_SECONDS", 10)
if not 1 <= WEBHOOKS_TIMEOUT_SECONDS <= 30:
    raise ImproperlyConfigured("WEBHOOKS_TIMEOUT_SECONDS must be between 1 and 30")

# --- Security ---------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp): our own origin only, no inline script
# or style (htmx's injected indicator style is off, see base.html), never framed. The API docs
# page loosens it for Swagger UI's inline styles (config/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# JSON under /api/, Django's page elsewhere (config/errors.py).
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and _site.scheme == "https":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_REDIRECT_EXEMPT = [r"^health/$"]

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Bearer API keys, scope checks and per-key throttling: see config/api/.
    "DEFAULT_AUTHENTICATION_CLASSES": ["config.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["config.api.permissions.HasApiKeyScopes"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's JSON parser plus the body size limit, nesting and unstorable text (413/400, not 500).
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.ApiJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["config.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env_str("API_RATE_LIMIT", "6000/min")},
    "EXCEPTION_HANDLER": "config.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.ApiAutoSchema",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tessera API",
    "DESCRIPTION": "Integration contract v1 for POS systems, web shops and apps.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: a shop's intranet may have no internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two kinds of channel: where a purchase was made, and what a campaign is sent by.
    "ENUM_NAME_OVERRIDES": {
        "PurchaseChannelEnum": "loyalty.channels.Channel",
        "CampaignChannelEnum": "campaigns.models.campaigns.CampaignChannel",
    },
}

# --- Health -----------------------------------------------------------------------------------
# /health/ reports 503 when the last beat tick is older than this (only with a real broker).
HEALTH_BEAT_MAX_AGE = timedelta(seconds=env_int("HEALTH_BEAT_MAX_AGE_SECONDS", 300))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
