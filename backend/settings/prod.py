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
# No page may be framed; the Dashboard's app page opts out per response (CSP frame-ancestors for its origins).
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = True
# The load balancer's and the container's health probes speak plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS for a year on the app's own host and its subdomains; preload only matters once the domain is submitted.
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
# The workspace runs inside the Saleor Dashboard's iframe. When the Dashboard is on another site, browsers
# send Lax cookies only to top-level pages, so the session and CSRF cookies must be SameSite=None (always
# Secure here); CSRF tokens are still required on every POST. Same-site deployments keep Lax.
if CONFIG.dashboard_origins and CONFIG.dashboard_cross_site:
    SESSION_COOKIE_SAMESITE = "None"
    CSRF_COOKIE_SAMESITE = "None"
