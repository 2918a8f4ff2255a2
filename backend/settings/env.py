"""The one place that reads the environment. Everything else reads ``CONFIG``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
LOCAL_DIR = BASE_DIR / ".local"


class ConfigError(RuntimeError):
    """A setting is missing or malformed; raised at start-up, never later."""


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def _str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


@dataclass(frozen=True)
class Config:
    secret_key: str
    debug: bool
    allowed_hosts: list[str]
    database_url: str
    redis_url: str
    broker_url: str
    public_base_url: str
    saleor_allowed_api_urls: list[str]
    saleor_schema_path: Path
    field_encryption_keys: list[str]
    webhook_max_body_bytes: int
    jwks_refetch_min_seconds: int
    saleor_http_timeout_seconds: float
    log_level: str
    log_format: str
    ci: bool
    embedded_pg_dir: Path
    dashboard_origins: list[str]
    dashboard_cross_site: bool
    extra: dict[str, str] = field(default_factory=dict)
    # Statements: local files under this folder, unless an S3-compatible bucket is named.
    statements_storage_dir: Path = LOCAL_DIR / "media" / "statements"
    statements_s3_bucket: str = ""
    statements_s3_endpoint_url: str = ""
    statements_s3_region: str = ""
    statements_s3_access_key_id: str = ""
    statements_s3_secret_access_key: str = ""
    statements_font_dir: Path = Path("/usr/share/fonts/truetype/dejavu")
    # Payouts: Stripe. No key → payouts cannot reach Stripe (make demo starts a stand-in and sets one).
    stripe_secret_key: str = ""
    stripe_api_base: str = ""  # empty: Stripe itself; the local stand-in's URL in tests and the demo
    stripe_webhook_secret: str = ""  # the platform endpoint's signing secret
    stripe_connect_webhook_secret: str = ""  # the Connect endpoint's (events of connected accounts)
    stripe_account_id: str = ""  # the platform's acct_…: one shared pace across key rotation (optional)
    # Where payout workers share Stripe's pace: None → REDIS_URL (or a Redis broker); "" → each process alone
    payouts_throttle_redis_url: str | None = None


def load() -> Config:
    public_base_url = _str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    redis_url = _str("REDIS_URL")
    broker_url = _str("CELERY_BROKER_URL") or redis_url or "filesystem://"
    return Config(
        secret_key=_str("DJANGO_SECRET_KEY"),
        debug=_bool("DJANGO_DEBUG", False),
        allowed_hosts=_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost"),
        database_url=_str("DATABASE_URL"),
        redis_url=redis_url,
        broker_url=broker_url,
        public_base_url=public_base_url,
        saleor_allowed_api_urls=_list("SALEOR_ALLOWED_API_URLS"),
        saleor_schema_path=Path(
            _str("SALEOR_SCHEMA_PATH", str(BASE_DIR.parent / "shared" / "saleor" / "schema.graphql"))
        ),
        field_encryption_keys=_list("FIELD_ENCRYPTION_KEYS"),
        webhook_max_body_bytes=_int("WEBHOOK_MAX_BODY_BYTES", 2 * 1024 * 1024),
        jwks_refetch_min_seconds=_int("SALEOR_JWKS_REFETCH_MIN_SECONDS", 60),
        saleor_http_timeout_seconds=float(_int("SALEOR_HTTP_TIMEOUT_SECONDS", 10)),
        log_level=_str("LOG_LEVEL", "INFO").upper(),
        log_format=_str("LOG_FORMAT", "json"),
        ci=_bool("CI", False),
        embedded_pg_dir=Path(_str("EMBEDDED_PG_DIR", str(LOCAL_DIR / "pgdata"))),
        dashboard_origins=_list("SALEOR_DASHBOARD_ORIGINS"),
        # the Dashboard is served from another site (not a sibling subdomain): embedded cookies need SameSite=None
        dashboard_cross_site=_bool("SALEOR_DASHBOARD_CROSS_SITE", True),
        statements_storage_dir=Path(_str("STATEMENTS_STORAGE_DIR", str(LOCAL_DIR / "media" / "statements"))),
        statements_s3_bucket=_str("STATEMENTS_S3_BUCKET"),
        # DejaVu Sans (Debian/Ubuntu: fonts-dejavu-core), embedded in every statement PDF
        statements_font_dir=Path(_str("STATEMENTS_FONT_DIR", "/usr/share/fonts/truetype/dejavu")),
        statements_s3_endpoint_url=_str("STATEMENTS_S3_ENDPOINT_URL"),
        statements_s3_region=_str("STATEMENTS_S3_REGION"),
        statements_s3_access_key_id=_str("STATEMENTS_S3_ACCESS_KEY_ID"),
        statements_s3_secret_access_key=_str("STATEMENTS_S3_SECRET_ACCESS_KEY"),
        stripe_secret_key=_str("STRIPE_SECRET_KEY"),
        stripe_api_base=_str("STRIPE_API_BASE").rstrip("/"),
        stripe_webhook_secret=_str("STRIPE_WEBHOOK_SECRET"),
        stripe_connect_webhook_secret=_str("STRIPE_CONNECT_WEBHOOK_SECRET"),
        stripe_account_id=_str("STRIPE_ACCOUNT_ID"),
        payouts_throttle_redis_url=os.environ.get("PAYOUTS_THROTTLE_REDIS_URL"),
    )


CONFIG = load()
