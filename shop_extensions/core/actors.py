"""Actor strings for audit events and permission checks: ``user:<id>`` for a person, ``system:<job>`` for us."""

from __future__ import annotations

from typing import Any


def user_actor(user: Any) -> str:
    return f"user:{user.pk}"


def actor_user_id(actor: str) -> int | None:
    """The user id of a ``user:<id>`` actor; ``None`` for ``system:`` and ``saleor:`` actors."""
    kind, _, rest = actor.partition(":")
    if kind != "user":
        return None
    if not rest.isdigit():
        raise ValueError(f"not an actor string: {actor!r}")
    return int(rest)


def require_actor(actor: str) -> None:
    kind, sep, rest = actor.partition(":")
    if not sep or not rest or kind not in {"user", "system", "saleor"}:
        raise ValueError(f"not an actor string: {actor!r}")
    if kind == "user":
        actor_user_id(actor)
