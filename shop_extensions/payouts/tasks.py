"""Celery interface: primitive ids in, one service call, idempotent."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from shop_extensions.payouts import services


@shared_task(name="payouts.run_execute", acks_late=True)
def payout_run_execute_task(run_id: int) -> dict[str, int]:
    return vars(services.payout_run_execute(run_id=run_id, threads=settings.PAYOUTS_RUN_THREADS))


@shared_task(name="payouts.monthly_runs")
def monthly_runs_task() -> list[int]:
    return services.monthly_runs_create()


@shared_task(name="payouts.recover")
def payouts_recover_task() -> int:
    return services.payouts_recover_due()


@shared_task(name="payouts.stripe_event_process", acks_late=True)
def stripe_event_process_task(event_pk: int) -> str:
    return services.stripe_event_process(event_pk=event_pk)


@shared_task(name="payouts.stripe_events_sweep")
def stripe_events_sweep_task() -> int:
    return services.stripe_events_sweep()


@shared_task(name="payouts.negative_balances_settle")
def negative_balances_settle_task(initiative_id: int) -> int:
    return services.negative_balances_settle(initiative_id=initiative_id)
