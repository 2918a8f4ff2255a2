"""Celery interfaces: the monthly close (beat, 06:00 on the 1st, Amsterdam time), batches of makers, and the
maker's notification. Tasks take primitive ids and are idempotent; services do the work."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from shop_extensions.statements import content, services


@shared_task(name="statements.month_close")
def statements_month_close_task(month_iso: str | None = None) -> list[int]:
    """For the previous month unless one is named (``YYYY-MM-DD``, any day of it)."""
    month = date.fromisoformat(month_iso) if month_iso else content.previous_month(timezone.localdate())
    return [run.pk for run in services.statements_month_close(month=month)]


@shared_task(name="statements.batch", bind=True, max_retries=None, acks_late=True)
def statements_batch_task(self, run_id: int, maker_ids: list[int]) -> list[int]:  # type: ignore[no-untyped-def]
    """A few makers of a run; those that failed are retried (with backoff) until their attempts run out,
    while the others stay done. A worker killed mid-batch leaves the message unacknowledged: it is
    delivered again and the makers already done are skipped."""
    failed = services.run_batch_process(run_id=run_id, maker_ids=maker_ids)
    retry = services.run_items_retryable(
        run_id=run_id, maker_ids=failed, max_attempts=settings.STATEMENTS_MAX_ATTEMPTS
    )
    if retry:
        raise self.retry(args=(run_id, retry), countdown=min(30 * 2**self.request.retries, 900))
    return failed


@shared_task(
    name="statements.notify", acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def statement_notify_task(statement_id: int) -> bool:
    return services.statement_notify(statement_id=statement_id)
