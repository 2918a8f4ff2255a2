"""Pacing calls to Stripe: a token bucket for the run's own rate, full-jitter backoff after 429s and errors.

Stripe limits requests per platform account, not per process (docs.stripe.com/rate-limits). ``Throttle``
paces the threads of one process; ``SharedThrottle`` paces every process that talks to the same platform
account through one schedule kept in Redis, and falls back to ``Throttle`` while Redis cannot be reached.
``throttle_for`` picks one from the settings (docs/adr/0006)."""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)


class Throttle:
    """At most ``rate`` calls per second, spaced evenly (no burst)."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self.clock, self.sleep = clock, sleep
        self.next_at = clock()
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = self.clock()
            start = max(now, self.next_at)
            self.next_at = start + self.interval
        if start > now:
            self.sleep(start - now)

    def pause(self, seconds: float) -> None:
        """After a 429 every caller of this throttle waits, not only the one that was refused."""
        with self.lock:
            self.next_at = max(self.next_at, self.clock() + seconds)


# One schedule per platform account: the value is the next free slot (µs of the Redis server's clock), a
# virtual-scheduling GCRA without burst. Each call takes its own interval (1/rate) of the shared timeline,
# so processes with the same rate together keep that rate, and with different rates never exceed the
# highest. ARGV[2] > 0 is a pause: the next slot moves to now + pause at the earliest, for every process.
# Redis's own clock (TIME) orders the slots, so the workers' clocks need not agree. Numbers pass as
# strings formatted with %.0f: microseconds since 1970 need 16 digits, tostring() would round them.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local pause = tonumber(ARGV[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local wait = 0
if pause > 0 then
  nxt = math.max(nxt, now + pause)
else
  local start = math.max(now, nxt)
  wait = start - now
  nxt = start + interval
end
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.floor((nxt - now) / 1000) + 60000)
return wait
"""

RETRY_AFTER_SECONDS = 30.0  # how long a process paces alone after Redis failed before it asks again


class _Link:
    """One Redis client per URL and process, shared by its throttles; remembers an outage so that each
    one costs a single warning and at most one failed attempt per ``RETRY_AFTER_SECONDS``."""

    def __init__(self, url: str, timeout: float) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.url = url
        # One immediate retry (a pooled connection gone stale after a Redis restart), no backoff: a payout
        # run must not stall on its pacer; while Redis is away the process paces alone.
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 1)
        )
        self.script = self.client.register_script(_SCRIPT)  # EVALSHA, EVAL (loading it) on NOSCRIPT
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.down_until = 0.0
        self.down = False
        self.lock = threading.Lock()

    def run(self, key: str, interval_us: int, pause_us: int) -> float | None:
        """Seconds to wait for the slot taken (0 for a pause), or None while Redis is unavailable."""
        if self.down and time.monotonic() < self.down_until:
            return None
        try:
            waited = self.script(keys=[key], args=[interval_us, pause_us])
        except self.errors as exc:
            with self.lock:
                if not self.down:
                    logger.warning(
                        "Stripe pacing: Redis unreachable (%s); each process paces alone until it is back",
                        type(exc).__name__,
                    )
                self.down, self.down_until = True, time.monotonic() + RETRY_AFTER_SECONDS
            return None
        if self.down:
            with self.lock:
                if self.down:
                    logger.info("Stripe pacing: Redis is back; processes share the pace again")
                self.down = False
        return int(waited) / 1_000_000


_links: dict[tuple[str, float], _Link] = {}
_links_lock = threading.Lock()


def _link(url: str, timeout: float) -> _Link:
    with _links_lock:
        link = _links.get((url, timeout))
        if link is None:
            link = _links[(url, timeout)] = _Link(url, timeout)
        return link


def reset_links() -> None:
    """Forget clients and outages (tests)."""
    with _links_lock:
        _links.clear()


class SharedThrottle(Throttle):
    """``Throttle`` with one schedule per ``key`` in Redis for every process and thread. While Redis is
    unreachable it paces like ``Throttle`` (this process alone) and logs one warning; pauses are kept
    locally as well, so a 429 during an outage still holds this process back."""

    def __init__(
        self,
        rate: float,
        *,
        url: str,
        key: str,
        timeout: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(rate, clock=clock, sleep=sleep)
        self.key = key
        self.interval_us = max(1, round(self.interval * 1_000_000))
        self.link = _link(url, timeout)

    def wait(self) -> None:
        seconds = self.link.run(self.key, self.interval_us, 0)
        if seconds is None:
            super().wait()
        elif seconds > 0:
            self.sleep(seconds)

    def pause(self, seconds: float) -> None:
        super().pause(seconds)
        self.link.run(self.key, self.interval_us, max(1, round(seconds * 1_000_000)))


def account_key(*, secret_key: str, account_id: str = "", prefix: str = "rd:payouts:pace") -> str:
    """The Redis key of a platform account's schedule: its configured id, else a digest of the secret key
    (the key itself is never written anywhere)."""
    if account_id:
        return f"{prefix}:{account_id}"
    return f"{prefix}:sk-{hashlib.sha256(secret_key.encode()).hexdigest()[:16]}"


def redis_url_for_pacing(settings: Any) -> str:
    """``PAYOUTS_THROTTLE_REDIS_URL`` when set (empty turns sharing off), else REDIS_URL, else the broker's
    URL when it is Redis; empty (each process alone) with the embedded defaults (``filesystem://``)."""
    explicit = getattr(settings, "PAYOUTS_THROTTLE_REDIS_URL", None)
    if explicit is not None:
        return str(explicit)
    redis_url = getattr(getattr(settings, "CONFIG", None), "redis_url", None)
    if redis_url:
        return str(redis_url)
    broker = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    return broker if broker.startswith(("redis://", "rediss://")) else ""


def throttle_for(rate: float) -> Throttle:
    """The throttle for calls to the configured Stripe platform account at ``rate`` requests per second."""
    from django.conf import settings

    url = redis_url_for_pacing(settings)
    if not url:
        return Throttle(rate)
    account_id = str(getattr(settings, "STRIPE_ACCOUNT_ID", None) or "")
    key = account_key(secret_key=settings.STRIPE_SECRET_KEY, account_id=account_id)
    return SharedThrottle(rate, url=url, key=key)


def backoff(attempt: int, *, base: float = 0.25, cap: float = 8.0, rng: random.Random | None = None) -> float:
    """Full jitter (AWS architecture blog): uniform in [0, min(cap, base·2^attempt)]."""
    return (rng or random).uniform(0, min(cap, base * 2**attempt))
