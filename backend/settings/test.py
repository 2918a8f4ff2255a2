"""Test settings: real PostgreSQL (DATABASE_URL, else an embedded server), throwaway keys."""

from __future__ import annotations

from cryptography.fernet import Fernet

from backend.embedded_db import database_url
from backend.settings.base import *  # noqa: F403
from backend.settings.base import CONFIG, database_config

DEBUG = False
SECRET_KEY = "test-only-not-a-secret"  # noqa: S105
ALLOWED_HOSTS = ["*"]
# Generated per run: no key in the repository, and tokens from one run are unreadable in the next.
FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
_database: dict[str, object] = database_config(
    CONFIG.database_url or database_url(CONFIG.embedded_pg_dir.with_name("pgdata-test"), "rode_draad")
)
_database["CONN_MAX_AGE"] = 0
DATABASES = {"default": _database}
SALEOR_ALLOWED_API_URLS = ["http://127.0.0.1:*/graphql/", "https://*.saleor.test/graphql/"]
PUBLIC_BASE_URL = "http://testserver"
# In-memory by default; tests of Celery delivery switch to the real Redis (tests/conftest.py celery_broker).
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_ALWAYS_EAGER = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {**LOGGING, "root": {"handlers": ["default"], "level": "WARNING"}}
