"""Settings for kundeservice, read from the environment.

The embedded default (no variables set) is a SQLite file with Celery running tasks eagerly.
``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL, Redis and real workers;
``DJANGO_ENV=production`` turns on everything ``manage.py check --deploy`` asks for.
"""

import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Lets generic classes (ModelAdmin[Company], QuerySet[...]) be subscripted at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production.")
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "csp",
    "kundeservice",
    "webhooks",
    "surveys",
    "awards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kundeservice.middleware.SiteUrlFromRequestMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "kundeservice.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it sees what a view raises: a lost database answers 503, not a server error.
    "kundeservice.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "kundeservice.urls"
WSGI_APPLICATION = "kundeservice.wsgi.application"
ASGI_APPLICATION = "kundeservice.asgi.application"

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
                "kundeservice.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and an eager task write side by side.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # No "SELECT 1" before each request's first query: it cost a fifth of a respondent page's
    # time (bench/RESULTS.md, issue 21). A connection that died (PostgreSQL restarted) fails
    # that one request, is closed at its end, and the next request connects afresh.
    # DB_HEALTH_CHECKS=1 turns the check back on.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = os.environ.get("DB_HEALTH_CHECKS", "") == "1"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Redis and Celery ----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, skipped for a while after it fails (a hung Redis held each
            # operation for its socket timeout, and a request makes several).
            "BACKEND": "kundeservice.rediscache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "ks"),
            "OPTIONS": {
                "socket_connect_timeout": float(os.environ.get("CACHE_SOCKET_TIMEOUT", "0.5")),
                "socket_timeout": float(os.environ.get("CACHE_SOCKET_TIMEOUT", "0.5")),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_TASK_TIME_LIMIT = 60 * 30
CELERY_TASK_SOFT_TIME_LIMIT = 60 * 25
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Nothing reads a task's result (progress lives in Job rows), and storing one made queueing
# depend on the result store too: with Redis down that waited 19 s, then raised.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES_NAMES = ("default", "mail", "aggregation", "webhooks")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A Redis that accepts connections and never answers (hung, overloaded, a half-open connection)
# must not hold a request or a worker for ever: every socket operation gives up after these many
# seconds (longer than a worker's 1 s BRPOP poll), and ``kundeservice.tasks.enqueue`` stops
# waiting on a publish after ``ENQUEUE_DEADLINE`` whatever the client does.
BROKER_SOCKET_TIMEOUT = float(os.environ.get("BROKER_SOCKET_TIMEOUT", "5"))
BROKER_CONNECT_TIMEOUT = float(os.environ.get("BROKER_CONNECT_TIMEOUT", "2"))
ENQUEUE_DEADLINE = float(os.environ.get("ENQUEUE_DEADLINE", "1.0"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 60 * 60,
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    "socket_connect_timeout": BROKER_CONNECT_TIMEOUT,
    "retry_on_timeout": False,
}
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = BROKER_SOCKET_TIMEOUT
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = BROKER_CONNECT_TIMEOUT
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "Europe/Oslo"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian Bokmål")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Front-end libraries come from the npm registry at install time (package.json), never the repo.
STATICFILES_DIRS = [
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/sortablejs", BASE_DIR / "node_modules" / "sortablejs"),
    # The door's QR scanner: the BarcodeDetector ponyfill and the zxing WebAssembly it loads.
    ("vendor/barcode-detector", BASE_DIR / "node_modules" / "barcode-detector" / "dist" / "iife"),
    ("vendor/zxing-wasm", BASE_DIR / "node_modules" / "zxing-wasm" / "dist" / "reader"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Kundeservice <noreply@kundeservice.local>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API ------------------------------------------------------------------------------------
# Reverse proxies in front of the site that append the client to X-Forwarded-For. 0 (the default)
# trusts no header and rate-limits by the connecting address; the header is forgeable otherwise.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call is told how to authenticate (401, not 403).
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["kundeservice.roles.DenyAll"],
    # JSON bodies only, and not nested deeper than any of ours; upload endpoints opt in to
    # multipart for their file.
    "DEFAULT_PARSER_CLASSES": ["kundeservice.parsers.BoundedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "kundeservice.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "kundeservice.api.StrictPageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "kundeservice.api.exception_handler",
    # Every API request counts against its client address (anonymous) or account; a cache that
    # does not answer lets requests through (kundeservice.throttles).
    "DEFAULT_THROTTLE_CLASSES": [
        "kundeservice.throttles.AnonRateThrottle",
        "kundeservice.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_ANON_RATE", "600/min"),
        "user": os.environ.get("API_USER_RATE", "3000/min"),
    },
    # The client address behind TRUSTED_PROXY_COUNT proxies; DRF's default (None) would believe
    # whatever X-Forwarded-For the client sends.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kundeservice API",
    "DESCRIPTION": "Customer-service index, mystery shopping, results and the award night.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Deep links put a link inside each operation's button (axe: nested-interactive).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "surveys.models.catalog.Channel",
        # A questionnaire's kind is in Questionnaire and XLSFormImport (the import's answer).
        "QuestionnaireKindEnum": "surveys.models.instruments.QuestionnaireKind",
        "ResponseStatusEnum": "surveys.models.responses.ResponseStatus",
        "InvitationStatusEnum": "surveys.models.panels.InvitationStatus",
        "AssignmentStatusEnum": "surveys.models.observations.AssignmentStatus",
        "CheckInResultEnum": "awards.api.tickets.CHECKIN_RESULTS",
        # Named so the check-in's "result" and an attempt's do not collide.
        "AttemptResultEnum": "surveys.models.observations.AttemptResult",
        "WebhookDeliveryStatusEnum": "webhooks.models.DeliveryStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kundeservice.openapi.add_error_responses",
    ],
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy, the same in development, tests and production, so the browser tests
# see what production enforces. No inline or third-party script anywhere: every script is a
# static file of ours. Style attributes stay (progress bars carry their width), style elements
# and sheets come from us only. Frames: only the two video players an episode offers, loaded
# after a click. The door's scanner adds 'wasm-unsafe-eval' on its own page
# (awards.views.checkin), Stripe Checkout is where a card order's form may lead.
VIDEO_PLAYERS = ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "frame-src": VIDEO_PLAYERS,
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF, "https://checkout.stripe.com"],
        "frame-ancestors": [NONE],
    }
}
# Browser features: the camera for the door's scanner on our own pages, playback features for
# the video players; nothing else.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": ["self", *VIDEO_PLAYERS],
    "camera": ["self"],
    "display-capture": [],
    "encrypted-media": ["self", *VIDEO_PLAYERS],
    "fullscreen": ["self", *VIDEO_PLAYERS],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "picture-in-picture": ["self", *VIDEO_PLAYERS],
    "usb": [],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"forbidden_one_line": {"()": "kundeservice.log_filters.ForbiddenWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["forbidden_one_line"]},
    },
}

# --- Domain configuration -------------------------------------------------------------------
SITE_NAME = os.environ.get("SITE_NAME", "Kundeservice")
# Where links in e-mails point (invitations, reminders, unsubscribe, returned reports). Required
# in production: a wrong default would mail every respondent a link to nowhere. In development
# the first request to the dev server sets it to the address the site is served on
# (kundeservice.middleware.SiteUrlFromRequestMiddleware); until then `make run`'s host and port.
SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/")
SITE_URL_FROM_REQUEST = not SITE_URL and not PRODUCTION
if not SITE_URL:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "SITE_URL must be set when DJANGO_ENV=production (e.g. https://kundeservice.no): "
            "links in e-mails use it."
        )
    SITE_URL = "http://" + os.environ.get("RUNSERVER_ADDRESS", "127.0.0.1:8000")
INVITATION_BATCH_SIZE = int(os.environ.get("INVITATION_BATCH_SIZE", "500"))
# Parallel tasks mailing one wave's invitations (each its own SMTP connection); match the mail
# worker's concurrency. Eager (development) runs them one after another.
INVITATION_SEND_LANES = int(os.environ.get("INVITATION_SEND_LANES", "2"))
# Open polls (/p/<slug>/): new responses, and submits, allowed per client IP (django-ratelimit's
# "count/period" form). A whole office behind one address shares the allowance.
POLL_RATE = os.environ.get("POLL_RATE", "30/h")
# How long a poll's published result may be served from the cache, in seconds.
POLL_RESULTS_TTL = int(os.environ.get("POLL_RESULTS_TTL", "30"))
RATELIMIT_IP_META_KEY = "kundeservice.ratelimits.client_ip" if TRUSTED_PROXY_COUNT else None
# Aggregation: memory PostgreSQL may use for the grouped pass (GROUPING SETS hash tables).
AGGREGATION_WORK_MEM = os.environ.get("AGGREGATION_WORK_MEM", "256MB")
# A running aggregation's worker touches its job every AGGREGATION_HEARTBEAT seconds (however long
# a step takes). One not touched for AGGREGATION_STALLED_AFTER seconds has lost its worker: a new
# run for the same wave and cutoff marks it failed instead of waiting for it, and beat's sweep
# queues it again (Redis would redeliver it only after the broker's visibility timeout, 1 h).
AGGREGATION_HEARTBEAT = float(os.environ.get("AGGREGATION_HEARTBEAT", "10"))
AGGREGATION_STALLED_AFTER = float(os.environ.get("AGGREGATION_STALLED_AFTER", "60"))
# Fault injection for tests and demos only: seconds to pause after each aggregation step.
AGGREGATION_STEP_DELAY = float(os.environ.get("AGGREGATION_STEP_DELAY", "0"))
# Public results pages are cached this long, in seconds; a new current ResultSet changes the
# cache key, so nobody is served figures older than the current set.
RESULTS_CACHE_SECONDS = int(os.environ.get("RESULTS_CACHE_SECONDS", str(60 * 60 * 24)))
# Ticket sales: the capacity locks (off only for the concurrency control run, which shows the
# oversold seats they prevent) and, for tests only, a pause between counting seats and writing.
TICKETS_CAPACITY_LOCKING = env_bool("TICKETS_CAPACITY_LOCKING", default=True)
TICKETS_CAPACITY_DELAY = float(os.environ.get("TICKETS_CAPACITY_DELAY", "0"))
# Order look-up by code and e-mail, per client IP (django-ratelimit's "count/period").
ORDER_LOOKUP_RATE = os.environ.get("ORDER_LOOKUP_RATE", "10/h")
# Failed attempts at a secret before the next attempt is answered 429 until the period is over
# (kundeservice.ratelimits): per account (a user name, an order code) and per client address.
# Wrong passwords on the login form and POST /api/v1/auth/token/:
LOGIN_ACCOUNT_RATE = os.environ.get("LOGIN_ACCOUNT_RATE", "10/15m")
LOGIN_ADDRESS_RATE = os.environ.get("LOGIN_ADDRESS_RATE", "30/15m")
# An order code with the wrong e-mail, per order code (the address is limited above):
ORDER_LOOKUP_ACCOUNT_RATE = os.environ.get("ORDER_LOOKUP_ACCOUNT_RATE", "10/h")
# Invitation links that do not exist (/s/<token>/, the respondent API, unsubscribe), per client
# address; a real link never counts, however often it is used.
INVITATION_LOOKUP_RATE = os.environ.get("INVITATION_LOOKUP_RATE", "30/h")
# Card payment: Stripe Checkout. Without a key the shop offers invoice only.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get(
    "STRIPE_WEBHOOK_SECRET", "" if PRODUCTION else "whsec_development_only_not_a_secret"
)
# Payment providers by name: a second one (Vipps MobilePay) is a module and a line here.
TICKET_PAYMENT_PROVIDERS = {
    "stripe": "awards.services.payments.stripe_checkout.StripeCheckout",
}

# --- Webhooks -------------------------------------------------------------------------------
# Seconds a receiver has to connect, and then to answer, before the attempt counts as failed.
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "5"))
# Receivers on loopback, private or link-local addresses (this machine, the office network, the
# cloud's metadata service). Tests and development deliver to 127.0.0.1; production never may.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = not PRODUCTION and env_bool(
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=True
)
WEBHOOK_REQUIRE_HTTPS = PRODUCTION
# Requests one endpoint's delivery lane has in flight at once (also its connection pool).
WEBHOOK_LANE_CONCURRENCY = int(os.environ.get("WEBHOOK_LANE_CONCURRENCY", "16"))
# Seconds a lane sends before handing over to a new task, so other endpoints get a turn.
WEBHOOK_LANE_SECONDS = float(os.environ.get("WEBHOOK_LANE_SECONDS", "20"))
# Retries: the first after WEBHOOK_RETRY_BASE seconds, doubling (±20 %), until a delivery has
# failed WEBHOOK_MAX_FAILURES times (5 s and 15: about 23 h); then it fails and the endpoint
# is paused.
WEBHOOK_RETRY_BASE = float(os.environ.get("WEBHOOK_RETRY_BASE", "5"))
WEBHOOK_MAX_FAILURES = int(os.environ.get("WEBHOOK_MAX_FAILURES", "15"))
# Days delivered events and their log are kept.
WEBHOOK_RETENTION_DAYS = int(os.environ.get("WEBHOOK_RETENTION_DAYS", "30"))
