from __future__ import annotations

from datetime import date

from celery import shared_task

from shop_extensions.benefits import services


@shared_task(
    name="benefits.positions_refresh",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 5},
)
def positions_refresh_task(maker_ids: list[int], month: str) -> int:
    """After ledger entries are posted: recompute these makers' positions for ``month`` (ISO date, any day
    of the month). Idempotent: a notification is created once, so a retry or repeat never warns twice."""
    return services.positions_refresh(
        maker_ids=[int(pk) for pk in maker_ids], month=date.fromisoformat(month)
    )


@shared_task(
    name="benefits.notifications_send",
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 8},
)
def notifications_send_task(notification_ids: list[int]) -> int:
    """Mail the warnings ``positions_refresh`` recorded. Idempotent: a warning already mailed is skipped,
    and a failed send releases only the warnings not yet mailed, so a retry never mails one twice."""
    return services.notifications_send(notification_ids=[int(pk) for pk in notification_ids])
