from __future__ import annotations

from typing import Any

from shop_extensions.core.models import AuditEvent


def audit_event_record(
    *, actor: str, action: str, subject_type: str, subject_id: str, data: dict[str, Any] | None = None
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor, action=action, subject_type=subject_type, subject_id=subject_id, data=data or {}
    )
