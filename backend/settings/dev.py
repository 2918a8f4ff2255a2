"""Local development and ``make demo``: embedded PostgreSQL and a serverless broker unless told otherwise."""

from __future__ import annotations

import secrets
from pathlib import Path

from cryptography.fernet import Fernet

from backend.embedded_db import database_url
from backend.settings.base import *  # noqa: F403
from backend.settings.base import CONFIG, LOCAL_SECRETS_DIR, database_config

DEBUG = True
ALLOWED_HOSTS = ["*"]


def _local_secret(name: str, make: str) -> str:
    """A development secret kept in .local/ (never committed) so restarts keep data readable."""
    LOCAL_SECRETS_DIR.mkdir(parents=True, exist_ok=True)
    path = LOCAL_SECRETS_DIR / name
    if not path.exists():
        path.write_text(make)
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = CONFIG.secret_key or _local_secret("django-secret-key", secrets.token_urlsafe(50))
FIELD_ENCRYPTION_KEYS = CONFIG.field_encryption_keys or [
    _local_secret("field-encryption-key", Fernet.generate_key().decode())
]
if not CONFIG.database_url:
    DATABASES = {"default": database_config(database_url(CONFIG.embedded_pg_dir, "rode_draad"))}
SALEOR_ALLOWED_API_URLS = CONFIG.saleor_allowed_api_urls or [
    "http://127.0.0.1:*/graphql/",
    "http://localhost:*/graphql/",
]

# The serverless broker's folders must exist before a worker or beat starts.
for _folder in CELERY_BROKER_TRANSPORT_OPTIONS.values():
    if isinstance(_folder, str):
        Path(_folder).mkdir(parents=True, exist_ok=True)
