"""Saleor-style global ids: base64 of ``"Type:pk"``."""

from __future__ import annotations

import base64


def to_global_id(type_name: str, pk: object) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode("ascii")


def from_global_id(global_id: str) -> tuple[str, str]:
    """Return ``(type_name, pk)``; raise ``ValueError`` for anything that is not a global id."""
    try:
        raw = base64.b64decode(global_id.encode("ascii"), validate=True).decode("utf-8")
    except (ValueError, UnicodeError) as exc:
        raise ValueError(f"Invalid ID: {global_id}") from exc
    type_name, sep, pk = raw.partition(":")
    if not sep or not type_name or not pk:
        raise ValueError(f"Invalid ID: {global_id}")
    return type_name, pk
