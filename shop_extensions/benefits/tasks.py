from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

from shop_extensions.benefits import selectors, services


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


@shared_task(name="benefits.positions_refresh_all", autoretry_for=(Exception,), retry_backoff=True)
def positions_refresh_all_task(month: str | None = None, chunk: int = 2000) -> int:
    """Daily (beat): every maker with a benefit situation, so a warning that depends on the calendar alone
    (the free-amount period running out) reaches makers whose ledger did not move. Set-based per chunk;
    notifications are unique, so the daily repeat never warns twice."""
    day = date.fromisoformat(month) if month else timezone.localdate()
    maker_ids = selectors.makers_with_situation()
    return sum(
        services.positions_refresh(maker_ids=maker_ids[i : i + chunk], month=day)
        for i in range(0, len(maker_ids), chunk)
    )
