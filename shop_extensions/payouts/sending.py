"""Sending payouts exactly once.

Three steps per payout: (1) under a row lock, ``approved → submitting`` with a deterministic idempotency
key and the ledger's payout entry, committed *before* Stripe is called; (2) the call, with that key, retried
with the same key on 429 / 5xx / network errors; (3) under the row lock again, ``submitted`` or ``failed``
(+ the money back on the balance in the same transaction) or ``outcome_unknown``. A crash between (1) and
(3) leaves ``submitting``: resuming retries the same key (Stripe answers with the transfer it made); after
Stripe's 24 h the transfer is looked up by its transfer group before any new attempt (docs/adr/0006)."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from shop_extensions.core.money import Money
from shop_extensions.core.services import audit_event_record
from shop_extensions.ledger import selectors as ledger_selectors
from shop_extensions.ledger.models import EntryKind
from shop_extensions.ledger.services import movement_post
from shop_extensions.makers.models import Initiative, Maker
from shop_extensions.payouts import notify
from shop_extensions.payouts.models import (
    Payout,
    PayoutRun,
    PayoutState,
    PolicyMode,
)
from shop_extensions.payouts.selectors import policy_for_initiative
from shop_extensions.payouts.stripe_adapter import (
    KeyReused,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    StripeGateway,
    StripeProblem,
    TransferInfo,
)
from shop_extensions.payouts.stripe_adapter import gateway as default_gateway
from shop_extensions.payouts.throttle import Throttle, backoff, throttle_for

logger = logging.getLogger(__name__)
CHUNK = 500


# --- submitting ---------------------------------------------------------------------------------------


@dataclass
class Caller:
    """How this worker talks to Stripe: its gateway, its pace, and how often it tries one request."""

    gateway: StripeGateway
    throttle: Throttle
    tries: int = 5
    sleep: Callable[[float], None] = time.sleep

    def send(self, fn: Callable[[], Any]) -> Any:
        """The same request (same key) until it is answered; 429 and unknown outcomes back off with jitter.
        Raises the last OutcomeUnknown when every try was unanswered."""
        last: StripeProblem | None = None
        for attempt in range(self.tries):
            self.throttle.wait()
            try:
                return fn()
            except RateLimited as exc:
                last = exc
                pause = backoff(attempt)
                self.throttle.pause(pause)
            except OutcomeUnknown as exc:
                last = exc
                self.sleep(backoff(attempt))
        if isinstance(last, RateLimited):
            raise OutcomeUnknown(f"still rate limited after {self.tries} tries", code="rate_limit")
        assert last is not None
        raise last


def caller_for(initiative_id: int, gateway: StripeGateway | None = None) -> Caller:
    policy = policy_for_initiative(initiative_id=initiative_id)
    # Shared through Redis by every process calling the same Stripe account (throttle.throttle_for).
    return Caller(gateway=gateway or default_gateway(), throttle=throttle_for(policy.requests_per_second))


def _ledger_key(kind: str, payout: Payout, attempt: int) -> str:
    return f"{kind}:{payout.pk}:{attempt}"


def _book(payout: Payout, kind: str, amount: Decimal, attempt: int, when: datetime, **detail: Any) -> None:
    sign = -1 if kind == EntryKind.PAYOUT else 1
    movement_post(
        maker_id=payout.maker_id,
        initiative_id=payout.initiative_id,
        kind=kind,
        money=Money(sign * amount, payout.currency),
        effective_at=when,
        idempotency_key=_ledger_key(kind, payout, attempt),
        reference=f"payout:{payout.pk}",
        detail={"attempt": attempt, **detail},
    )


def _claim(payout_id: int, now: datetime) -> Payout | None:
    """approved → submitting: key stored and the payout booked in the ledger, committed before any call.
    None when another worker holds the payout; a cancelled payout when a refund left too little."""
    with transaction.atomic():
        payout = (
            # of=self: locking the joined run row too would make the other threads skip every payout.
            Payout.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("run")
            .filter(pk=payout_id, state=PayoutState.APPROVED)
            .first()
        )
        if payout is None:
            return None
        # A refund since the run lowers what may leave now; below the minimum the payout waits.
        payable = ledger_selectors.payables_for_makers(
            maker_ids=[payout.maker_id], currency=payout.currency, hold_cutoff=payout.run.hold_cutoff
        ).get(payout.maker_id, Decimal(0))
        if payable < payout.amount:
            minimum = policy_for_initiative(initiative_id=payout.initiative_id).minimum_amount
            if payable < minimum or payable <= 0:
                payout.state = PayoutState.CANCELLED
                payout.failure_reason = f"balance fell to {payable} after a refund; it waits for the next run"
                payout.save(update_fields=["state", "failure_reason", "updated_at"])
                audit_event_record(
                    actor="system:payouts",
                    action="payout.cancelled",
                    subject_type="payout",
                    subject_id=str(payout.pk),
                    data={"payable": str(payable), "amount": str(payout.amount)},
                )
                return payout
            payout.note = f"lowered from {payout.amount} after a refund"
            payout.amount = payable
        payout.attempt += 1
        payout.idempotency_key = f"rd-payout-{payout.pk}-{payout.attempt}"
        payout.key_created_at = payout.submitted_at = now
        payout.state = PayoutState.SUBMITTING
        payout.save()
        _book(payout, EntryKind.PAYOUT, payout.amount, payout.attempt, now)
        audit_event_record(
            actor="system:payouts",
            action="payout.submitting",
            subject_type="payout",
            subject_id=str(payout.pk),
            data={"key": payout.idempotency_key, "amount": str(payout.amount)},
        )
    return payout


def _transfer_call(payout: Payout, caller: Caller) -> Callable[[], TransferInfo]:
    return lambda: caller.gateway.transfer_create(
        money=Money(payout.amount, payout.currency),
        destination=payout.destination,
        transfer_group=payout.transfer_group,
        metadata={
            "payout_id": str(payout.pk),
            "attempt": str(payout.attempt),
            "maker_id": str(payout.maker_id),
        },
        idempotency_key=payout.idempotency_key,
    )


def _settle(payout_id: int, attempt: int, outcome: TransferInfo | StripeProblem, now: datetime) -> str:
    """The call's outcome, under the row lock; a payout another worker already settled is left alone."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.attempt != attempt or payout.state not in (
            PayoutState.SUBMITTING,
            PayoutState.OUTCOME_UNKNOWN,
        ):
            return payout.state
        if isinstance(outcome, TransferInfo):
            payout.state, payout.transfer_id, payout.failure_reason = PayoutState.SUBMITTED, outcome.id, ""
            payout.next_check_at = None
            notify.notify_after_commit(maker_id=payout.maker_id, kind="sent", amount=payout.amount)
        elif isinstance(outcome, Rejected):
            payout.state, payout.failure_reason = PayoutState.FAILED, outcome.message[:300]
            payout.settled_at = now
            _book(payout, EntryKind.PAYOUT_RETURN, payout.amount, attempt, now, reason=outcome.code)
            notify.notify_after_commit(
                maker_id=payout.maker_id, kind="failed", amount=payout.amount, reason=outcome.message
            )
        else:
            payout.state = PayoutState.OUTCOME_UNKNOWN
            payout.failure_reason = f"{type(outcome).__name__}: {outcome.message}"[:300]
            payout.checks += 1
            payout.next_check_at = now + timedelta(seconds=min(3600, 30 * 2 ** min(payout.checks, 7)))
        payout.save()
        audit_event_record(
            actor="system:payouts",
            action=f"payout.{payout.state}",
            subject_type="payout",
            subject_id=str(payout.pk),
            data={"attempt": attempt, "transfer": payout.transfer_id, "reason": payout.failure_reason},
        )
        return payout.state


def _call(payout: Payout, caller: Caller) -> TransferInfo | StripeProblem:
    try:
        return caller.send(_transfer_call(payout, caller))
    except (Rejected, OutcomeUnknown, KeyReused) as exc:
        return exc


def payout_submit(*, payout_id: int, caller: Caller) -> str:
    """Send one approved payout. Returns its state afterwards (or ``skipped`` when another worker has it)."""
    claimed = _claim(payout_id, timezone.now())
    if claimed is None:
        return "skipped"
    if claimed.state == PayoutState.CANCELLED:
        return claimed.state
    return _settle(payout_id, claimed.attempt, _call(claimed, caller), timezone.now())


def payout_recover(*, payout_id: int, caller: Caller | None = None, now: datetime | None = None) -> str:
    """A payout whose outcome is unknown (or a ``submitting`` left by a crashed worker): within the key's
    window the same request is sent again — Stripe answers with the transfer it made, or makes it now.
    After the window the transfer is looked up by its transfer group; only when none exists is the money
    put back on the balance and the payout approved again for a new attempt with a new key."""
    now = now or timezone.now()
    payout = Payout.objects.filter(pk=payout_id).first()
    if payout is None or payout.state not in (PayoutState.SUBMITTING, PayoutState.OUTCOME_UNKNOWN):
        return payout.state if payout else "missing"
    caller = caller or caller_for(payout.initiative_id)
    assert payout.key_created_at is not None
    within_window = now - payout.key_created_at < timedelta(seconds=settings.PAYOUTS_KEY_WINDOW_SECONDS)
    if within_window:
        return _settle(payout.pk, payout.attempt, _call(payout, caller), now)
    try:
        found = caller.send(lambda: caller.gateway.transfers_in_group(payout.transfer_group))
    except StripeProblem as exc:
        return _settle(payout.pk, payout.attempt, OutcomeUnknown(exc.message), now)
    mine = [t for t in found if t.metadata.get("payout_id") == str(payout.pk)]
    if mine:
        return _settle(payout.pk, payout.attempt, mine[0], now)
    with transaction.atomic():
        locked = Payout.objects.select_for_update().get(pk=payout.pk)
        if locked.attempt != payout.attempt or locked.state not in (
            PayoutState.SUBMITTING,
            PayoutState.OUTCOME_UNKNOWN,
        ):
            return locked.state
        _book(
            locked,
            EntryKind.PAYOUT_RETURN,
            locked.amount,
            locked.attempt,
            now,
            reason="not_found_after_window",
        )
        locked.state, locked.failure_reason = PayoutState.APPROVED, ""
        locked.save()
        audit_event_record(
            actor="system:payouts",
            action="payout.not_found_reattempt",
            subject_type="payout",
            subject_id=str(locked.pk),
            data={"attempt": locked.attempt},
        )
    return payout_submit(payout_id=payout.pk, caller=caller)


@dataclass
class RunReport:
    submitted: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0
    cancelled: int = 0
    errors: int = 0


def _execute_one(pk: int, state: str, submitted_at: datetime | None, caller: Caller, stale: timedelta) -> str:
    if state == PayoutState.APPROVED:
        return payout_submit(payout_id=pk, caller=caller)
    if submitted_at is not None and timezone.now() - submitted_at >= stale:
        return payout_recover(payout_id=pk, caller=caller)
    return "skipped"


_REPORT_FIELD: dict[str, str] = {
    PayoutState.SUBMITTED: "submitted",
    PayoutState.FAILED: "failed",
    PayoutState.OUTCOME_UNKNOWN: "unknown",
    PayoutState.CANCELLED: "cancelled",
}


def _rows(run_id: int) -> Iterator[tuple[int, str, datetime | None]]:
    """The run's payouts still to send or resume, in pk order, a chunk per query (memory stays flat)."""
    last_pk = 0
    while True:
        rows = list(
            Payout.objects.filter(
                run_id=run_id, pk__gt=last_pk, state__in=[PayoutState.APPROVED, PayoutState.SUBMITTING]
            )
            .order_by("pk")
            .values_list("pk", "state", "submitted_at")[:CHUNK]
        )
        if not rows:
            return
        yield from rows
        last_pk = rows[-1][0]


def payout_run_execute(
    *,
    run_id: int,
    caller: Caller | None = None,
    stale_seconds: float | None = None,
    threads: int = 1,
) -> RunReport:
    """Send a run's approved payouts and resume ``submitting`` payouts left by a crashed worker (older than
    ``stale_seconds``) with their stored key. Safe to run twice at once: claims take row locks with SKIP
    LOCKED and keys make repeats harmless. ``threads`` > 1 overlaps our database work with Stripe's
    answers; they share one throttle, so the rate stays the policy's (each has its own connection)."""
    run = PayoutRun.objects.get(pk=run_id)
    caller = caller or caller_for(run.initiative_id)
    stale = timedelta(seconds=settings.PAYOUTS_STALE_SECONDS if stale_seconds is None else stale_seconds)
    report = RunReport()
    lock = threading.Lock()

    def one(row: tuple[int, str, datetime | None]) -> None:
        field = _REPORT_FIELD.get(_execute_one(*row, caller, stale), "skipped")
        with lock:
            setattr(report, field, getattr(report, field) + 1)

    if threads <= 1:
        for row in _rows(run_id):
            one(row)
    else:
        todo: queue.Queue[tuple[int, str, datetime | None] | None] = queue.Queue(maxsize=threads * 4)

        def worker() -> None:
            try:
                while (row := todo.get()) is not None:
                    try:
                        one(row)
                    except Exception:
                        # The payout stays approved/submitting: the next run or the recovery job takes it.
                        logger.exception("payout %s could not be sent", row[0])
                        with lock:
                            report.errors += 1
            finally:
                connection.close()

        workers = [threading.Thread(target=worker, name=f"payout-run-{run_id}-{n}") for n in range(threads)]
        for thread in workers:
            thread.start()
        try:
            for row in _rows(run_id):
                todo.put(row)
        finally:
            for _ in workers:
                todo.put(None)
            for thread in workers:
                thread.join()
    if not Payout.objects.filter(
        run_id=run_id, state__in=[PayoutState.DRAFT, PayoutState.APPROVED, PayoutState.SUBMITTING]
    ).exists():
        PayoutRun.objects.filter(pk=run_id, finished_at__isnull=True).update(finished_at=timezone.now())
    return report


def payouts_recover_due(
    *, now: datetime | None = None, caller: Caller | None = None, limit: int = 1000
) -> int:
    """The recovery job: unknown outcomes whose next check is due, and stale ``submitting`` payouts."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.PAYOUTS_STALE_SECONDS)
    due = list(
        Payout.objects.filter(state=PayoutState.OUTCOME_UNKNOWN, next_check_at__lte=now).values_list(
            "pk", flat=True
        )[:limit]
    ) + list(
        Payout.objects.filter(state=PayoutState.SUBMITTING, submitted_at__lte=stale).values_list(
            "pk", flat=True
        )[:limit]
    )
    callers: dict[int, Caller] = {}  # one throttle per initiative, as its runs have
    for pk, initiative_id in Payout.objects.filter(pk__in=due).values_list("pk", "initiative_id"):
        if caller is None and initiative_id not in callers:
            callers[initiative_id] = caller_for(initiative_id)
        payout_recover(payout_id=pk, caller=caller or callers[initiative_id], now=now)
    return len(due)


# --- refunds after a payout ---------------------------------------------------------------------------


def negative_balances_settle(*, initiative_id: int, caller: Caller | None = None) -> int:
    """Policy ``reverse_transfers_on_refund``: a maker whose balance went negative after a refund gives the
    money back through a reversal of their latest transfer, when their Stripe balance covers it (Stripe
    refuses otherwise, and the negative balance is settled from the next payout)."""
    policy = policy_for_initiative(initiative_id=initiative_id)
    if not policy.reverse_transfers_on_refund or policy.mode == PolicyMode.POT:
        return 0
    initiative = Initiative.objects.get(pk=initiative_id)
    caller = caller or caller_for(initiative_id)
    maker_ids = list(Maker.objects.filter(initiative_id=initiative_id).values_list("pk", flat=True))
    reversed_count = 0
    for start in range(0, len(maker_ids), CHUNK):
        balances = ledger_selectors.payables_for_makers(
            maker_ids=maker_ids[start : start + CHUNK],
            currency=initiative.currency,
            hold_cutoff=timezone.now(),
        )
        for maker_id, balance in balances.items():
            if balance >= 0:
                continue
            payout = (
                Payout.objects.filter(maker_id=maker_id, state__in=[PayoutState.SUBMITTED, PayoutState.PAID])
                .exclude(transfer_id="")
                .order_by("-pk")
                .first()
            )
            if payout is None:
                continue
            amount = min(-balance, payout.amount - payout.reversed_amount)
            if amount <= 0:
                continue
            if _reverse(payout, amount, caller):
                reversed_count += 1
    return reversed_count


def _reverse(payout: Payout, amount: Decimal, caller: Caller) -> bool:
    total_after = payout.reversed_amount + amount
    key = f"rd-reversal-{payout.pk}-{total_after}"
    try:
        caller.send(
            lambda: caller.gateway.transfer_reverse(
                transfer_id=payout.transfer_id,
                money=Money(amount, payout.currency),
                metadata={"payout_id": str(payout.pk), "reason": "refund_after_payout"},
                idempotency_key=key,
            )
        )
    except StripeProblem as exc:
        logger.info("no reversal for payout %s: %s", payout.pk, exc.message)
        return False
    payout_reversed_to(payout.pk, total_after, reason="refund_after_payout")
    return True


def payout_reversed_to(payout_id: int, total: Decimal, *, reason: str) -> None:
    """The transfer's cumulative reversed amount is now ``total``: book only what is new (events and our
    own reversals both come here, in any order)."""
    now = timezone.now()
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        delta = total - payout.reversed_amount
        if delta <= 0:
            return
        movement_post(
            maker_id=payout.maker_id,
            initiative_id=payout.initiative_id,
            kind=EntryKind.PAYOUT_RETURN,
            money=Money(delta, payout.currency),
            effective_at=now,
            idempotency_key=f"reversal:{payout.pk}:{total}",
            reference=f"payout:{payout.pk}",
            detail={"reversed_total": str(total), "reason": reason},
        )
        payout.reversed_amount = total
        if total >= payout.amount:
            payout.state, payout.settled_at = PayoutState.REVERSED, now
        payout.save()
        audit_event_record(
            actor="system:stripe",
            action="payout.reversed",
            subject_type="payout",
            subject_id=str(payout.pk),
            data={"delta": str(delta), "total": str(total), "reason": reason},
        )
        notify.notify_after_commit(maker_id=payout.maker_id, kind="reversed", amount=delta)
