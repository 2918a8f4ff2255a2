"""Stripe's webhooks: an inbox unique on the event id, processed once per row (row lock, SKIP LOCKED), with
handlers that are safe in any order."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from shop_extensions.core.services import audit_event_record
from shop_extensions.payouts import notify
from shop_extensions.payouts.accounts import account_state_apply
from shop_extensions.payouts.models import (
    ConnectedAccount,
    EventStatus,
    Payout,
    PayoutPolicy,
    PayoutState,
    StripeEvent,
)
from shop_extensions.payouts.sending import payout_reversed_to
from shop_extensions.payouts.stripe_adapter import (
    StripeGateway,
    account_from_payload,
    transfer_from_payload,
)
from shop_extensions.payouts.stripe_adapter import gateway as default_gateway

logger = logging.getLogger(__name__)


# --- Stripe's webhooks --------------------------------------------------------------------------------


def stripe_event_record(*, endpoint: str, event: dict[str, Any]) -> tuple[StripeEvent, bool]:
    """Store a verified event once (unique event id); the processing task is enqueued after commit."""
    with transaction.atomic():
        row, created = StripeEvent.objects.get_or_create(
            event_id=str(event["id"]),
            defaults={
                "endpoint": endpoint,
                "type": str(event.get("type", "")),
                "account": str(event.get("account") or ""),
                "created": int(event.get("created") or 0),
                "payload": event,
                "enqueued_at": timezone.now(),
            },
        )
        if created:
            from shop_extensions.payouts.tasks import stripe_event_process_task

            transaction.on_commit(lambda: stripe_event_process_task.delay(row.pk), robust=True)
    return row, created


def stripe_event_process(*, event_pk: int, gateway: StripeGateway | None = None) -> str:
    """Process one stored event at most once: the row is locked (SKIP LOCKED), handled and marked in one
    transaction; a handler's failure is kept on the row for the sweeper to retry."""
    with transaction.atomic():
        row = (
            StripeEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_pk, status__in=[EventStatus.RECEIVED, EventStatus.FAILED])
            .first()
        )
        if row is None:
            return "skipped"
        row.attempts += 1
        try:
            with transaction.atomic():
                handler = HANDLERS.get(row.type)
                if handler is not None:
                    handler(row, gateway)
            row.status, row.error, row.processed_at = EventStatus.PROCESSED, "", timezone.now()
        except Exception as exc:
            logger.exception("stripe event %s failed", row.event_id)
            row.status, row.error = EventStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
        row.save(update_fields=["status", "error", "processed_at", "attempts"])
        return row.status


def _on_account_updated(row: StripeEvent, gateway: StripeGateway | None) -> None:
    obj = row.payload["data"]["object"]
    account = ConnectedAccount.objects.select_for_update().filter(stripe_account_id=obj["id"]).first()
    if account is not None:
        account_state_apply(account, account_from_payload(obj), row.created)


def _on_capability_updated(row: StripeEvent, gateway: StripeGateway | None) -> None:
    account = ConnectedAccount.objects.select_for_update().filter(stripe_account_id=row.account).first()
    if account is not None:
        account_state_apply(
            account, (gateway or default_gateway()).account_retrieve(row.account), row.created
        )


def _on_transfer_reversed(row: StripeEvent, gateway: StripeGateway | None) -> None:
    transfer = transfer_from_payload(row.payload["data"]["object"])
    payout = Payout.objects.filter(transfer_id=transfer.id).first()
    if payout is not None:
        payout_reversed_to(payout.pk, transfer.reversed_money.amount, reason="transfer.reversed")


def _connected_payouts(row: StripeEvent) -> list[Payout]:
    obj = row.payload["data"]["object"]
    created = datetime.fromtimestamp(
        int(obj.get("created") or row.created), tz=timezone.get_current_timezone()
    )
    return list(
        Payout.objects.select_for_update()
        .filter(destination=row.account, state=PayoutState.SUBMITTED, submitted_at__lte=created)
        .order_by("pk")
    )


def _on_payout_paid(row: StripeEvent, gateway: StripeGateway | None) -> None:
    """The connected account paid its balance to the maker's bank: our transfers sent before it are paid."""
    now = timezone.now()
    for payout in _connected_payouts(row):
        payout.state, payout.settled_at, payout.bank_problem = PayoutState.PAID, now, ""
        payout.save(update_fields=["state", "settled_at", "bank_problem", "updated_at"])
        audit_event_record(
            actor="system:stripe",
            action="payout.paid",
            subject_type="payout",
            subject_id=str(payout.pk),
            data={},
        )
        notify.notify_after_commit(maker_id=payout.maker_id, kind="paid", amount=payout.amount)


def _on_payout_failed(row: StripeEvent, gateway: StripeGateway | None) -> None:
    """The maker's bank refused: the money stays in their Stripe account (our transfer stands)."""
    obj = row.payload["data"]["object"]
    reason = str(obj.get("failure_message") or obj.get("failure_code") or "")
    for payout in _connected_payouts(row):
        if payout.bank_problem == reason:
            continue
        payout.bank_problem = reason[:300]
        payout.save(update_fields=["bank_problem", "updated_at"])
        audit_event_record(
            actor="system:stripe",
            action="payout.bank_failed",
            subject_type="payout",
            subject_id=str(payout.pk),
            data={"reason": reason},
        )
        notify.notify_after_commit(
            maker_id=payout.maker_id, kind="bank_failed", amount=payout.amount, reason=reason
        )


def _on_charge_refunded(row: StripeEvent, gateway: StripeGateway | None) -> None:
    """The ledger learns of refunds from Saleor's order events; here we only look, after commit, whether a
    maker's balance went negative and the policy asks for a transfer reversal."""
    from shop_extensions.payouts.tasks import negative_balances_settle_task

    for initiative_id in PayoutPolicy.objects.filter(reverse_transfers_on_refund=True).values_list(
        "initiative_id", flat=True
    ):
        transaction.on_commit(partial(negative_balances_settle_task.delay, initiative_id), robust=True)


HANDLERS: dict[str, Callable[[StripeEvent, StripeGateway | None], None]] = {
    "account.updated": _on_account_updated,
    "capability.updated": _on_capability_updated,
    "transfer.reversed": _on_transfer_reversed,
    "payout.paid": _on_payout_paid,
    "payout.failed": _on_payout_failed,
    "charge.refunded": _on_charge_refunded,
}


def stripe_events_sweep(*, older_than_seconds: int = 60, max_attempts: int = 5) -> int:
    """Beat: events stored but never processed (broker down) or failed, enqueued again."""
    from shop_extensions.payouts.tasks import stripe_event_process_task

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        StripeEvent.objects.filter(
            status__in=[EventStatus.RECEIVED, EventStatus.FAILED],
            received_at__lte=cutoff,
            attempts__lt=max_attempts,
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        stripe_event_process_task.delay(pk)
    return len(ids)
