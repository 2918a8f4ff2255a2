"""Structured log context: the Saleor API URL, event and order id travel with every log line."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

_context: ContextVar[dict[str, object] | None] = ContextVar("log_context", default=None)


@contextlib.contextmanager
def log_context(**values: object) -> Iterator[None]:
    current = _context.get() or {}
    token = _context.set({**current, **{k: v for k, v in values.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def bind(**values: object) -> None:
    """Add values to the current context (for values only known part-way, like the order id)."""
    current = _context.get() or {}
    _context.set({**current, **{k: v for k, v in values.items() if v is not None}})


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get() or {}
        for key, value in context.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        record.log_context = " ".join(f"{k}={v}" for k, v in context.items())
        return True
