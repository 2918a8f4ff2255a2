"""A webhook handler for tests: records what it was called with, so tests can count processing."""

from __future__ import annotations

from typing import Any

CALLS: list[tuple[int, str]] = []


def record(*, delivery: Any, payload: Any) -> None:
    CALLS.append((delivery.pk, delivery.event))


def explode(*, delivery: Any, payload: Any) -> None:
    raise RuntimeError("handler failed on purpose")


FLAKY_FAILURES = {"left": 0}


def flaky(*, delivery: Any, payload: Any) -> None:
    if FLAKY_FAILURES["left"] > 0:
        FLAKY_FAILURES["left"] -= 1
        raise RuntimeError("transient trouble")
    CALLS.append((delivery.pk, delivery.event))


BLOCKING = {"entered": None, "release": None}


def block(*, delivery: Any, payload: Any) -> None:
    """Hold the processing transaction open until the test releases it."""
    BLOCKING["entered"].set()
    BLOCKING["release"].wait(timeout=10)
    CALLS.append((delivery.pk, delivery.event))
