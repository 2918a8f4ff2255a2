"""Reading webhook bodies: amounts as Decimal (never float) and the event key that makes deliveries unique."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime


class PayloadInvalid(ValueError):
    pass


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadInvalid(f"body is not valid JSON: {exc}") from exc


@dataclass(frozen=True)
class DeliveryIdentity:
    event_key: str
    body_sha256: str
    issued_at: datetime | None
    subject_id: str


def _subject_id(payload: dict[str, Any]) -> str:
    for field in ("order", "productVariant", "product"):
        value = payload.get(field)
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            return value["id"]
    return ""


def identify(event: str, body: bytes, payload: Any | None) -> DeliveryIdentity:
    """Saleor sends no delivery id. Its retries resend the same stored payload, so the event, the subject
    and ``issuedAt`` identify a delivery; a body without them falls back to its SHA-256."""
    digest = hashlib.sha256(body).hexdigest()
    issued_raw = payload.get("issuedAt") if isinstance(payload, dict) else None
    issued_at = parse_datetime(issued_raw) if isinstance(issued_raw, str) else None
    subject = _subject_id(payload) if isinstance(payload, dict) else ""
    if issued_at is not None and subject:
        key = f"{event}:{subject}:{issued_raw}"
    else:
        key = f"{event}:sha256:{digest}"
    return DeliveryIdentity(
        event_key=key[:300], body_sha256=digest, issued_at=issued_at, subject_id=subject[:255]
    )
