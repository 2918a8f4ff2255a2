"""Side effects after commit, and which constraint a failed write violated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction


def after_commit(func: Callable[..., Any], *args: Any, robust: bool = False, **kwargs: Any) -> None:
    """``transaction.on_commit(func(*args, **kwargs))``. With ``robust``, a failure (a broker outage, say) is
    logged instead of raised, so what was committed stands. Not a ``functools.partial``: Django names a
    failing robust callback by its ``__qualname__``, which a partial lacks, and would raise that instead."""

    def call() -> None:
        func(*args, **kwargs)

    call.__qualname__ = getattr(func, "__qualname__", repr(func))
    transaction.on_commit(call, robust=robust)


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint PostgreSQL reported for ``exc`` (None when it named none)."""
    return getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
