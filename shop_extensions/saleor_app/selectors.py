from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from shop_extensions.saleor_app.models import DeliveryStatus, Installation, WebhookDelivery


def installations_health() -> dict[str, Any]:
    """Inactive installations are reported (Saleor no longer accepts our token) but do not fail the check:
    the app itself is healthy and other installations keep working."""
    installations = [
        {
            "api_url": i.api_url,
            "active": i.is_active,
            **(
                {"deactivated_at": i.deactivated_at.isoformat(), "reason": i.deactivated_reason}
                if not i.is_active and i.deactivated_at
                else {}
            ),
        }
        for i in Installation.objects.order_by("api_url")
    ]
    inbox = WebhookDelivery.objects.aggregate(
        pending=Count("pk", filter=Q(status=DeliveryStatus.RECEIVED)),
        failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
    )
    return {
        "ok": True,
        "active": sum(1 for i in installations if i["active"]),
        "inactive": sum(1 for i in installations if not i["active"]),
        "installations": installations,
        "inbox": inbox,
    }
