"""Celery interface of the catalogue: load by id, call one service, own the retry policy."""

from __future__ import annotations

from celery import shared_task
from celery.app.task import Task

from shop_extensions.catalog import services
from shop_extensions.catalog.models import StockSync

MAX_SYNC_RETRIES = 5


@shared_task(bind=True, name="catalog.lot_stock_sync", acks_late=True, max_retries=MAX_SYNC_RETRIES)
def lot_stock_sync_task(self: Task, lot_id: int) -> str:
    """Idempotent: a synced lot is never moved again. After the task's own retries the beat job takes over."""
    lot = services.lot_stock_sync(lot_id=lot_id)
    if lot.stock_sync == StockSync.FAILED and self.request.retries < MAX_SYNC_RETRIES:
        raise self.retry(countdown=min(600, 10 * 2**self.request.retries))
    return str(lot.stock_sync)


@shared_task(name="catalog.lots_stock_sync_retry")
def lots_stock_sync_retry_task() -> int:
    return services.lots_stock_sync_retry()
