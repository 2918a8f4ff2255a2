"""Celery interface of the Saleor App: load by id, call one service, own the retry policy."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.app.task import Task

from shop_extensions.saleor_app import intake, services
from shop_extensions.saleor_app.models import Installation

logger = logging.getLogger(__name__)

MAX_PROCESS_RETRIES = 8


@shared_task(bind=True, name="saleor_app.delivery_process", acks_late=True, max_retries=MAX_PROCESS_RETRIES)
def delivery_process_task(self: Task, delivery_id: int) -> str:
    try:
        return services.delivery_process(delivery_id=delivery_id)
    except Exception as exc:
        final = self.request.retries >= MAX_PROCESS_RETRIES
        services.delivery_record_failure(
            delivery_id=delivery_id, error=f"{type(exc).__name__}: {exc}", final=final
        )
        logger.exception("delivery processing failed", extra={"delivery_id": delivery_id, "final": final})
        if final:
            return "failed"
        raise self.retry(exc=exc, countdown=min(600, 5 * 2**self.request.retries)) from exc


@shared_task(name="saleor_app.inbox_sweep")
def inbox_sweep_task() -> int:
    return intake.inbox_sweep()


@shared_task(name="saleor_app.installations_verify")
def installations_verify_task() -> int:
    refused = 0
    for installation in Installation.objects.filter(is_active=True):
        if not services.installation_verify(installation=installation):
            refused += 1
    return refused
