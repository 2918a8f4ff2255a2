from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from kombu import pools as kombu_pools

from backend.celery import app as celery_app
from shop_extensions.core import crypto
from shop_extensions.saleor_app.models import Installation

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def _redis_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    """A real Redis for tests of Celery delivery. Skipped only where none exists and CI is not set."""
    if not _redis_reachable(REDIS_URL):
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"no Redis at {REDIS_URL} and CI=true: broker tests must run")
        pytest.skip(f"no Redis at {REDIS_URL} (set REDIS_URL or start redis-server to run broker tests)")
    return REDIS_URL


def _use_broker(url: str) -> None:
    celery_app.conf.broker_url = url
    # Drop pooled connections and producers bound to the previous broker.
    celery_app.pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()  # kombu keeps producer pools per connection in a global registry


@pytest.fixture
def celery_broker() -> Iterator[object]:
    """Point the project's Celery app at a given broker for one test, then restore it."""
    original = celery_app.conf.broker_url
    yield _use_broker
    _use_broker(original)


@pytest.fixture
def make_installation():
    def make(
        *, api_url: str, jwks: dict[str, object], token: str = "app-token", active: bool = True
    ) -> Installation:
        now = timezone.now()
        return Installation.objects.create(
            api_url=api_url,
            domain=urlsplit(api_url).netloc,
            app_id="QXBwOjE=",
            token_encrypted=crypto.encrypt(token),
            jwks=jwks,
            jwks_fetched_at=now,
            installed_at=now,
            is_active=active,
        )

    return make


@pytest.fixture(autouse=True)
def _fresh_installation_key_cache():
    """The intake caches installations' keys per process; each test starts without that memory."""
    from shop_extensions.saleor_app.intake import key_cache

    key_cache.clear()
    yield
    key_cache.clear()


@pytest.fixture
def eager_tasks():
    """Enqueued Celery tasks run at once, in this process (errors propagate), so a test sees what the
    worker would do after commit."""
    from backend.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before
