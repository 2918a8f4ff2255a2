"""Pacing calls to Stripe: a token bucket for the run's own rate, full-jitter backoff after 429s and errors."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable


class Throttle:
    """At most ``rate`` calls per second, no burst beyond one second's worth."""

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


def backoff(attempt: int, *, base: float = 0.25, cap: float = 8.0, rng: random.Random | None = None) -> float:
    """Full jitter (AWS architecture blog): uniform in [0, min(cap, base·2^attempt)]."""
    return (rng or random).uniform(0, min(cap, base * 2**attempt))
