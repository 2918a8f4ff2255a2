"""Paying makers, the public face of payouts: policies, onboarding, payout runs and their approval, pot
spending. Sending (exactly once) is ``payouts.sending``; Stripe's events are ``payouts.stripe_events``;
their entry points are re-exported here for the other apps and the interfaces."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shop_extensions.core.errors import NotFound, ValidationFailed
from shop_extensions.core.money import Money
from shop_extensions.core.services import audit_event_record
from shop_extensions.ledger import selectors as ledger_selectors
from shop_extensions.ledger.models import EarningEntry, EntryKind
from shop_extensions.ledger.services import movement_post
from shop_extensions.makers import selectors as makers_selectors
from shop_extensions.makers.models import Initiative, Maker
from shop_extensions.payouts.accounts import account_ensure, account_onboarding_link, account_refresh
from shop_extensions.payouts.models import (
    ConnectedAccount,
    Payout,
    PayoutPolicy,
    PayoutRun,
    PayoutState,
    PolicyMode,
    RunKind,
)
from shop_extensions.payouts.sending import (
    Caller,
    RunReport,
    caller_for,
    negative_balances_settle,
    payout_recover,
    payout_run_execute,
    payout_submit,
    payouts_recover_due,
)
from shop_extensions.payouts.stripe_events import (
    stripe_event_process,
    stripe_event_record,
    stripe_events_sweep,
)
from shop_extensions.payouts.throttle import Throttle

logger = logging.getLogger(__name__)
CHUNK = 500


# --- policy -------------------------------------------------------------------------------------------


def policy_get(*, initiative_id: int) -> PayoutPolicy:
    policy, _ = PayoutPolicy.objects.get_or_create(initiative_id=initiative_id)
    return policy


@transaction.atomic
def policy_set(*, initiative_id: int, actor: str, **fields: Any) -> PayoutPolicy:
    makers_selectors.actor_may_act_for(actor=actor, initiative_id=initiative_id, admin_only=True)
    policy = PayoutPolicy.objects.select_for_update().get(pk=policy_get(initiative_id=initiative_id).pk)
    allowed = {f.name for f in PayoutPolicy._meta.get_fields()} - {"id", "initiative", "updated_at"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed(f"unknown policy fields: {sorted(unknown)}")
    old = {name: str(getattr(policy, name)) for name in fields}
    for name, value in fields.items():
        setattr(policy, name, value)
    try:
        policy.full_clean(exclude=["initiative"])
    except DjangoValidationError as exc:
        raise ValidationFailed(str(exc)) from exc
    policy.save()
    audit_event_record(
        actor=actor,
        action="payout_policy.set",
        subject_type="initiative",
        subject_id=str(initiative_id),
        data={"old": old, "new": {name: str(value) for name, value in fields.items()}},
    )
    return policy


# --- runs ---------------------------------------------------------------------------------------------


def _cap_room(maker: Maker, month: date) -> Decimal | None:
    """What may still be paid this month before the free-amount cap (None: no cap applies to this maker)."""
    from shop_extensions.benefits.selectors import maker_estimate

    threshold = maker_estimate(maker=maker, month=month).threshold("free_cap")
    if threshold is None:
        return None
    return max(threshold.distance, Decimal(0))


def payout_run_create(
    *,
    initiative_id: int,
    actor: str,
    kind: str = RunKind.ON_DEMAND,
    now: datetime | None = None,
) -> PayoutRun:
    """Draft payouts (approved at once when the policy auto-approves) for every maker with a ready account
    whose payable balance reaches the minimum. A maker with an open payout is skipped (the database allows
    one open payout per maker, so two runs at once never pay anyone twice). ``pot`` initiatives never pay."""
    makers_selectors.actor_may_act_for(actor=actor, initiative_id=initiative_id)
    now = now or timezone.now()
    policy = policy_get(initiative_id=initiative_id)
    if policy.mode == PolicyMode.POT:
        raise ValidationFailed(_("This initiative keeps earnings in a pot: nothing is paid out."))
    initiative = Initiative.objects.get(pk=initiative_id)
    month = timezone.localtime(now).date().replace(day=1)
    cutoff = now - timedelta(days=policy.hold_days)
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = PayoutRun.objects.create(
                    initiative=initiative,
                    kind=kind,
                    month=month if kind == RunKind.MONTHLY else None,
                    currency=initiative.currency,
                    hold_cutoff=cutoff,
                    created_by=actor,
                )
        except IntegrityError:
            return PayoutRun.objects.get(initiative=initiative, kind=RunKind.MONTHLY, month=month)
        accounts = dict(
            ConnectedAccount.objects.filter(
                maker__initiative=initiative, maker__is_active=True, transfers_active=True
            ).values_list("maker_id", "stripe_account_id")
        )
        maker_ids = sorted(accounts)
        state = PayoutState.APPROVED if policy.auto_approve else PayoutState.DRAFT
        created = 0
        for start in range(0, len(maker_ids), CHUNK):
            chunk = maker_ids[start : start + CHUNK]
            payables = ledger_selectors.payables_for_makers(
                maker_ids=chunk, currency=initiative.currency, hold_cutoff=cutoff
            )
            rows = []
            for maker_id in chunk:
                payable = payables.get(maker_id, Decimal(0))
                amount, note = payable, ""
                if policy.mode == PolicyMode.CAP and payable > 0:
                    room = _cap_room(Maker.objects.get(pk=maker_id), month)
                    if room is not None and room < payable:
                        amount, note = room, f"capped at the free amount left this month ({room})"
                if amount < policy.minimum_amount or amount <= 0:
                    continue
                rows.append(
                    Payout(
                        run=run,
                        maker_id=maker_id,
                        initiative=initiative,
                        amount=amount,
                        currency=initiative.currency,
                        payable=payable,
                        note=note,
                        state=state,
                        destination=accounts[maker_id],
                        approved_by="system:policy" if policy.auto_approve else "",
                        approved_at=now if policy.auto_approve else None,
                    )
                )
            # ON CONFLICT DO NOTHING: a maker whose payout another run holds open is left to that run.
            created += len(Payout.objects.bulk_create(rows, ignore_conflicts=True))
        audit_event_record(
            actor=actor,
            action="payout_run.create",
            subject_type="initiative",
            subject_id=str(initiative_id),
            data={"run": run.pk, "kind": kind, "state": state, "hold_cutoff": cutoff.isoformat()},
        )
        if policy.auto_approve:
            _enqueue_run(run.pk)
    return run


def _enqueue_run(run_id: int) -> None:
    from shop_extensions.payouts.tasks import payout_run_execute_task

    transaction.on_commit(lambda: payout_run_execute_task.delay(run_id), robust=True)


def _lock_payout(payout_id: int, actor: str, states: tuple[str, ...]) -> Payout:
    payout = Payout.objects.select_for_update().filter(pk=payout_id).first()
    if payout is None:
        raise NotFound("no such payout")
    makers_selectors.actor_may_act_for(actor=actor, initiative_id=payout.initiative_id)
    if payout.state not in states:
        raise ValidationFailed(
            _("This payout cannot be changed this way. Its state: %(state)s.")
            % {"state": PayoutState(payout.state).label}
        )
    return payout


@transaction.atomic
def payout_approve(*, payout_id: int, actor: str) -> Payout:
    payout = _lock_payout(payout_id, actor, (PayoutState.DRAFT,))
    payout.state = PayoutState.APPROVED
    payout.approved_by, payout.approved_at = actor, timezone.now()
    payout.save(update_fields=["state", "approved_by", "approved_at", "updated_at"])
    audit_event_record(
        actor=actor,
        action="payout.approve",
        subject_type="payout",
        subject_id=str(payout.pk),
        data={"amount": str(payout.amount), "maker": payout.maker_id},
    )
    _enqueue_run(payout.run_id)
    return payout


@transaction.atomic
def payout_run_approve(*, run_id: int, actor: str) -> int:
    """Approve every draft of a run at once (the coordinator's one click)."""
    run = PayoutRun.objects.get(pk=run_id)
    makers_selectors.actor_may_act_for(actor=actor, initiative_id=run.initiative_id)
    ids = list(
        Payout.objects.select_for_update(skip_locked=True)
        .filter(run=run, state=PayoutState.DRAFT)
        .values_list("pk", flat=True)
    )
    count = Payout.objects.filter(pk__in=ids).update(
        state=PayoutState.APPROVED, approved_by=actor, approved_at=timezone.now()
    )
    audit_event_record(
        actor=actor,
        action="payout_run.approve",
        subject_type="payout_run",
        subject_id=str(run_id),
        data={"count": count},
    )
    _enqueue_run(run_id)
    return count


@transaction.atomic
def payout_cancel(*, payout_id: int, actor: str, reason: str = "") -> Payout:
    payout = _lock_payout(payout_id, actor, (PayoutState.DRAFT, PayoutState.APPROVED))
    payout.state, payout.failure_reason = PayoutState.CANCELLED, reason[:300]
    payout.save(update_fields=["state", "failure_reason", "updated_at"])
    audit_event_record(
        actor=actor,
        action="payout.cancel",
        subject_type="payout",
        subject_id=str(payout.pk),
        data={"reason": reason},
    )
    return payout


def payout_retry(*, payout_id: int, actor: str) -> Payout:
    """A failed payout is approved again (a new attempt with a new key when it is sent); an unknown outcome
    is checked with Stripe now."""
    with transaction.atomic():
        payout = _lock_payout(payout_id, actor, (PayoutState.FAILED, PayoutState.OUTCOME_UNKNOWN))
        if payout.state == PayoutState.OUTCOME_UNKNOWN:
            payout.next_check_at = timezone.now()
            payout.save(update_fields=["next_check_at", "updated_at"])
        else:
            payout.state, payout.failure_reason = PayoutState.APPROVED, ""
            payout.approved_by, payout.approved_at = actor, timezone.now()
            try:
                with transaction.atomic():
                    payout.save(
                        update_fields=["state", "failure_reason", "approved_by", "approved_at", "updated_at"]
                    )
            except IntegrityError as exc:
                raise ValidationFailed(_("This maker already has a payout waiting.")) from exc
            _enqueue_run(payout.run_id)
        audit_event_record(
            actor=actor, action="payout.retry", subject_type="payout", subject_id=str(payout.pk), data={}
        )
    if payout.state == PayoutState.OUTCOME_UNKNOWN:
        payout_recover(payout_id=payout.pk)
        payout.refresh_from_db()
    return payout


def monthly_runs_create(*, today: date | None = None) -> list[int]:
    """Beat, daily: initiatives whose run day is today (or passed this month without a run) get their
    monthly run; one per initiative and month (unique constraint)."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    created = []
    # Every initiative, with its stored policy or the defaults (alert only, run day 1).
    policies = {p.initiative_id: p for p in PayoutPolicy.objects.all()}
    done = set(
        PayoutRun.objects.filter(kind=RunKind.MONTHLY, month=month).values_list("initiative_id", flat=True)
    )
    for initiative_id in Initiative.objects.order_by("pk").values_list("pk", flat=True):
        policy = policies.get(initiative_id) or PayoutPolicy(initiative_id=initiative_id)
        if policy.mode == PolicyMode.POT or policy.run_day > today.day or initiative_id in done:
            continue
        run = payout_run_create(initiative_id=initiative_id, actor="system:payouts", kind=RunKind.MONTHLY)
        created.append(run.pk)
    return created


# --- pot ----------------------------------------------------------------------------------------------


@transaction.atomic
def pot_spend(
    *,
    maker_id: int,
    amount: Decimal,
    description: str,
    actor: str,
    booking_key: str,
    now: datetime | None = None,
) -> Any:
    """The coordinator books spending from a maker's pot (training, materials). Never more than the pot
    holds; ``booking_key`` (e.g. the form's id) makes a double submit book once."""
    maker = Maker.objects.select_related("initiative").get(pk=maker_id)
    makers_selectors.actor_may_act_for(actor=actor, initiative_id=maker.initiative_id)
    if policy_get(initiative_id=maker.initiative_id).mode != PolicyMode.POT:
        raise ValidationFailed(_("This initiative pays out; it keeps no pot."))
    if amount <= 0:
        raise ValidationFailed(_("The amount must be more than zero."))
    currency = maker.initiative.currency
    # Lock the maker's row so two bookings at once cannot both spend the last euros.
    Maker.objects.select_for_update().get(pk=maker_id)
    pot = ledger_selectors.maker_balance(maker=maker, currency=currency)
    key = f"pot_spend:{maker_id}:{booking_key}"
    if pot < amount and not EarningEntry.objects.filter(idempotency_key=key).exists():
        raise ValidationFailed(
            _("The pot holds %(pot)s: %(amount)s is more than that.") % {"pot": pot, "amount": amount}
        )
    entry, created = movement_post(
        maker_id=maker_id,
        initiative_id=maker.initiative_id,
        kind=EntryKind.POT_SPEND,
        money=Money(-amount, currency),
        effective_at=now or timezone.now(),
        idempotency_key=key,
        reference=f"pot:{booking_key}",
        detail={"description": description[:200]},
    )
    if created:
        audit_event_record(
            actor=actor,
            action="pot.spend",
            subject_type="maker",
            subject_id=str(maker_id),
            data={"amount": str(amount), "description": description[:200]},
        )
    return entry


__all__ = [
    "Caller",
    "RunReport",
    "Throttle",
    "account_ensure",
    "account_onboarding_link",
    "account_refresh",
    "caller_for",
    "negative_balances_settle",
    "payout_recover",
    "payout_run_execute",
    "payout_submit",
    "payouts_recover_due",
    "stripe_event_process",
    "stripe_event_record",
    "stripe_events_sweep",
]
