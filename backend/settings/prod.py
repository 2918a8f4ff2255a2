"""Production: every secret comes from the environment and is checked at start-up."""

from __future__ import annotations

from backend.settings.base import *  # noqa: F403
from backend.settings.base import CONFIG
from backend.settings.env import ConfigError

_missing = [
    name
    for name, value in {
        "DJANGO_SECRET_KEY": CONFIG.secret_key,
        "DATABASE_URL": CONFIG.database_url,
        "REDIS_URL": CONFIG.redis_url,
        "FIELD_ENCRYPTION_KEYS": CONFIG.field_encryption_keys,
        "SALEOR_ALLOWED_API_URLS": CONFIG.saleor_allowed_api_urls,
    }.items()
    if not value
]
if _missing:
    raise ConfigError("missing required settings: " + ", ".join(_missing))

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "SAMEORIGIN"
