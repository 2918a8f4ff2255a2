"""Payout runs end to end against the stand-in: what is payable, approval, exactly-once transfers, ledger."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from shop_extensions.core.errors import PermissionDenied, ValidationFailed
from shop_extensions.core.models import AuditEvent
from shop_extensions.ledger import selectors as ledger_selectors
from shop_extensions.ledger.models import EarningEntry, EntryKind
from shop_extensions.payouts import selectors, services
from shop_extensions.payouts.models import Payout, PayoutState
from tests.payouts.conftest import earn, policy, transfers_for

pytestmark = pytest.mark.django_db


def _run_and_send(initiative, caller) -> list[Payout]:
    run = services.payout_run_create(initiative_id=initiative.pk, actor="system:test")
    services.payout_run_approve(run_id=run.pk, actor="system:test")
    services.payout_run_execute(run_id=run.pk, caller=caller)
    return list(Payout.objects.filter(run=run).order_by("pk"))


def test_a_run_drafts_the_payable_balance_past_the_hold_and_waits_for_approval(
    initiative, make_maker, ready_account
):
    fatima, joyce, ahmed, newcomer = (
        make_maker("Fatima"),
        make_maker("Joyce"),
        make_maker("Ahmed"),
        make_maker(),
    )
    for maker in (fatima, joyce, ahmed):
        ready_account(maker)
    earn(fatima, "40.00", days_ago=20)
    earn(fatima, "15.00", days_ago=3)  # inside the 14-day refund hold: waits
    earn(joyce, "9.99", days_ago=30)  # below the EUR 10 minimum: waits
    earn(ahmed, "25.00", days_ago=30)
    earn(ahmed, "-5.00", days_ago=1, kind=EntryKind.REVERSAL)  # a refund counts at once
    earn(newcomer, "50.00", days_ago=30)  # no Stripe account yet: waits

    run = services.payout_run_create(initiative_id=initiative.pk, actor="system:test")

    payouts = {p.maker_id: p for p in Payout.objects.filter(run=run)}
    assert set(payouts) == {fatima.pk, ahmed.pk}
    assert (payouts[fatima.pk].amount, payouts[fatima.pk].state) == (D("40.00"), PayoutState.DRAFT)
    assert payouts[ahmed.pk].amount == D("20.00")
    assert EarningEntry.objects.filter(kind=EntryKind.PAYOUT).count() == 0


def test_approved_payouts_are_transferred_once_and_booked_in_the_ledger(
    initiative, make_maker, ready_account, standin, caller
):
    maker = make_maker("Fatima")
    account = ready_account(maker)
    earn(maker, "40.05", days_ago=20)

    (payout,) = _run_and_send(initiative, caller)

    assert payout.state == PayoutState.SUBMITTED
    assert payout.idempotency_key == f"rd-payout-{payout.pk}-1"
    (transfer,) = transfers_for(standin, group=payout.transfer_group)
    assert (transfer["amount"], transfer["currency"], transfer["destination"]) == (
        4005,
        "eur",
        account.stripe_account_id,
    )
    assert transfer["id"] == payout.transfer_id
    assert ledger_selectors.maker_balance(maker=maker, currency="EUR") == D("0.00")
    month = ledger_selectors.maker_month_totals(maker=maker, currency="EUR", month=timezone.localdate())
    assert month.paid_out == D("40.05")
    assert AuditEvent.objects.filter(action="payout.submitted", subject_id=str(payout.pk)).count() == 1


def test_a_second_run_skips_makers_whose_payout_is_still_open(initiative, make_maker, ready_account):
    maker = make_maker()
    ready_account(maker)
    earn(maker, "30.00")
    first = services.payout_run_create(initiative_id=initiative.pk, actor="system:test")

    second = services.payout_run_create(initiative_id=initiative.pk, actor="system:test")

    assert Payout.objects.filter(run=first).count() == 1
    assert Payout.objects.filter(run=second).count() == 0


def test_a_coordinator_of_another_initiative_cannot_start_a_run(initiative, django_user_model):
    outsider = django_user_model.objects.create_user("outsider")

    with pytest.raises(PermissionDenied):
        services.payout_run_create(initiative_id=initiative.pk, actor=f"user:{outsider.pk}")


def test_a_rejected_transfer_fails_and_the_money_is_back_on_the_balance(
    initiative, make_maker, ready_account, standin, caller
):
    maker = make_maker()
    account = ready_account(maker)
    earn(maker, "25.00")
    standin.state.accounts[account.stripe_account_id]["capabilities"]["transfers"] = "inactive"

    (payout,) = _run_and_send(initiative, caller)

    assert payout.state == PayoutState.FAILED
    assert "transfers capability" in payout.failure_reason
    assert transfers_for(standin, group=payout.transfer_group) == []
    assert ledger_selectors.maker_balance(maker=maker, currency="EUR") == D("25.00")
    kinds = sorted(EarningEntry.objects.filter(reference=f"payout:{payout.pk}").values_list("kind", "amount"))
    assert kinds == [(EntryKind.PAYOUT, D("-25.00")), (EntryKind.PAYOUT_RETURN, D("25.00"))]


def test_a_failed_payout_retried_by_the_coordinator_uses_a_new_key(
    initiative, make_maker, ready_account, standin, caller
):
    maker = make_maker()
    account = ready_account(maker)
    earn(maker, "25.00")
    standin.state.accounts[account.stripe_account_id]["capabilities"]["transfers"] = "inactive"
    (payout,) = _run_and_send(initiative, caller)
    standin.state.accounts[account.stripe_account_id]["capabilities"]["transfers"] = "active"

    services.payout_retry(payout_id=payout.pk, actor="system:test")
    services.payout_run_execute(run_id=payout.run_id, caller=caller)

    payout.refresh_from_db()
    assert (payout.state, payout.attempt, payout.idempotency_key) == (
        PayoutState.SUBMITTED,
        2,
        f"rd-payout-{payout.pk}-2",
    )
    assert len(transfers_for(standin, group=payout.transfer_group)) == 1
    assert ledger_selectors.maker_balance(maker=maker, currency="EUR") == D("0.00")


def test_429_and_500_are_retried_with_the_same_key(initiative, make_maker, ready_account, standin, caller):
    maker = make_maker()
    ready_account(maker)
    earn(maker, "12.00")
    standin.state.faults.queue.extend(["429", "500"])

    (payout,) = _run_and_send(initiative, caller)

    assert payout.state == PayoutState.SUBMITTED
    assert len(transfers_for(standin, group=payout.transfer_group)) == 1


@pytest.mark.parametrize("fault", ["lost", "timeout"])
def test_a_lost_answer_is_resolved_by_the_same_key(
    initiative, make_maker, ready_account, standin, gateway, fault
):
    maker = make_maker()
    ready_account(maker)
    earn(maker, "12.00")
    one_try = services.Caller(
        gateway=gateway, throttle=services.Throttle(1000), tries=1, sleep=lambda s: None
    )
    standin.state.faults.queue.append(fault)

    (payout,) = _run_and_send(initiative, one_try)

    assert payout.state == PayoutState.OUTCOME_UNKNOWN
    assert len(transfers_for(standin, group=payout.transfer_group)) == 1  # Stripe made it; we did not hear
    assert ledger_selectors.maker_balance(maker=maker, currency="EUR") == D("0.00")  # on its way, not lost

    services.payout_recover(payout_id=payout.pk, caller=one_try)

    payout.refresh_from_db()
    (transfer,) = transfers_for(standin, group=payout.transfer_group)
    assert (payout.state, payout.transfer_id) == (PayoutState.SUBMITTED, transfer["id"])


def test_after_the_key_window_the_transfer_is_looked_up_not_made_again(
    initiative, make_maker, ready_account, standin, gateway
):
    maker = make_maker()
    ready_account(maker)
    earn(maker, "12.00")
    one_try = services.Caller(
        gateway=gateway, throttle=services.Throttle(1000), tries=1, sleep=lambda s: None
    )
    standin.state.faults.queue.append("lost")
    (payout,) = _run_and_send(initiative, one_try)
    standin.state.idempotency.pop(payout.idempotency_key)  # Stripe forgot the key (24 h passed)

    services.payout_recover(payout_id=payout.pk, caller=one_try, now=timezone.now() + timedelta(hours=25))

    payout.refresh_from_db()
    (transfer,) = transfers_for(standin, group=payout.transfer_group)
    assert (payout.state, payout.transfer_id, payout.attempt) == (PayoutState.SUBMITTED, transfer["id"], 1)


def test_after_the_key_window_a_payout_never_made_gets_a_new_attempt(
    initiative, make_maker, ready_account, standin, gateway
):
    maker = make_maker()
    ready_account(maker)
    earn(maker, "12.00")
    one_try = services.Caller(
        gateway=gateway, throttle=services.Throttle(1000), tries=1, sleep=lambda s: None
    )
    standin.state.faults.queue.append("500")
    (payout,) = _run_and_send(initiative, one_try)
    assert payout.state == PayoutState.OUTCOME_UNKNOWN

    services.payout_recover(payout_id=payout.pk, caller=one_try, now=timezone.now() + timedelta(hours=25))

    payout.refresh_from_db()
    (transfer,) = transfers_for(standin, group=payout.transfer_group)
    assert (payout.state, payout.attempt, transfer["metadata"]["attempt"]) == (PayoutState.SUBMITTED, 2, "2")
    assert ledger_selectors.maker_balance(maker=maker, currency="EUR") == D("0.00")
    assert ledger_selectors.maker_month_totals(
        maker=maker, currency="EUR", month=timezone.localdate()
    ).paid_out == D("12.00")


def test_a_refund_after_a_payout_is_settled_from_the_next_payout(
    initiative, make_maker, ready_account, standin, caller
):
    maker = make_maker()
    ready_account(maker)
    earn(maker, "30.00")
    _run_and_send(initiative, caller)
    earn(maker, "-8.00", days_ago=0, kind=EntryKind.REVERSAL)
    assert ledger_selectors.maker_balance(maker=maker, currency="EUR") == D("-8.00")
    earn(maker, "28.00", days_ago=20)

    (second,) = _run_and_send(initiative, caller)

    assert second.amount == D("20.00")
    assert ledger_selectors.maker_balance(maker=maker, currency="EUR") == D("0.00")


def test_with_the_reversal_policy_a_refund_is_taken_back_from_the_makers_stripe_balance(
    initiative, make_maker, ready_account, standin, caller
):
    policy(initiative, reverse_transfers_on_refund=True)
    maker = make_maker()
    ready_account(maker)
    earn(maker, "30.00")
    (payout,) = _run_and_send(initiative, caller)
    earn(maker, "-8.00", days_ago=0, kind=EntryKind.REVERSAL)

    reversed_count = services.negative_balances_settle(initiative_id=initiative.pk, caller=caller)

    payout.refresh_from_db()
    (transfer,) = transfers_for(standin, group=payout.transfer_group)
    assert (reversed_count, transfer["amount_reversed"], payout.reversed_amount) == (1, 800, D("8.00"))
    assert payout.state == PayoutState.SUBMITTED  # partly reversed
    assert ledger_selectors.maker_balance(maker=maker, currency="EUR") == D("0.00")
    # a second look changes nothing
    assert services.negative_balances_settle(initiative_id=initiative.pk, caller=caller) == 0


def test_a_reversal_the_makers_stripe_balance_cannot_cover_leaves_the_negative_balance(
    initiative, make_maker, ready_account, standin, caller
):
    policy(initiative, reverse_transfers_on_refund=True)
    maker = make_maker()
    account = ready_account(maker)
    earn(maker, "30.00")
    _run_and_send(initiative, caller)
    standin.state.balances[account.stripe_account_id] = 0  # already paid out to the bank
    earn(maker, "-8.00", days_ago=0, kind=EntryKind.REVERSAL)

    assert services.negative_balances_settle(initiative_id=initiative.pk, caller=caller) == 0
    assert ledger_selectors.maker_balance(maker=maker, currency="EUR") == D("-8.00")


def test_a_refund_before_sending_lowers_an_approved_payout(
    initiative, make_maker, ready_account, standin, caller
):
    maker = make_maker()
    ready_account(maker)
    earn(maker, "30.00")
    run = services.payout_run_create(initiative_id=initiative.pk, actor="system:test")
    services.payout_run_approve(run_id=run.pk, actor="system:test")
    earn(maker, "-12.00", days_ago=0, kind=EntryKind.REVERSAL)

    services.payout_run_execute(run_id=run.pk, caller=caller)

    (payout,) = Payout.objects.filter(run=run)
    assert (payout.state, payout.amount) == (PayoutState.SUBMITTED, D("18.00"))
    assert transfers_for(standin, group=payout.transfer_group)[0]["amount"] == 1800


def test_pot_initiatives_never_pay_and_spending_is_booked_by_the_coordinator(initiative, make_maker, standin):
    policy(initiative, mode="pot")
    maker = make_maker()
    earn(maker, "50.00")

    with pytest.raises(ValidationFailed):
        services.payout_run_create(initiative_id=initiative.pk, actor="system:test")
    services.pot_spend(
        maker_id=maker.pk, amount=D("30.00"), description="naaicursus", actor="system:test", booking_key="b1"
    )
    services.pot_spend(
        maker_id=maker.pk, amount=D("30.00"), description="naaicursus", actor="system:test", booking_key="b1"
    )
    with pytest.raises(ValidationFailed):
        services.pot_spend(
            maker_id=maker.pk, amount=D("25.00"), description="stof", actor="system:test", booking_key="b2"
        )

    assert ledger_selectors.maker_balance(maker=maker, currency="EUR") == D("20.00")
    month = ledger_selectors.maker_month_totals(maker=maker, currency="EUR", month=timezone.localdate())
    assert (month.pot_spent, month.paid_out) == (D("30.00"), D("0"))
    assert Payout.objects.count() == 0
    assert AuditEvent.objects.filter(action="pot.spend", subject_id=str(maker.pk)).count() == 1


def test_selectors_give_plain_words_in_both_languages(initiative, make_maker, ready_account, caller):
    from django.utils import translation

    maker = make_maker()
    ready_account(maker)
    earn(maker, "30.00")
    (payout,) = _run_and_send(initiative, caller)

    (mine,) = selectors.payouts_for_maker(maker=maker)
    with translation.override("en"):
        english = selectors.state_label(mine.state)
    with translation.override("nl"):
        dutch = selectors.state_label(mine.state)
    assert english == "Sent: on its way to the maker's bank account"
    assert dutch == "Verstuurd: onderweg naar de bankrekening"
    assert mine.pk == payout.pk


def test_the_monthly_run_comes_once_per_month_on_the_run_day(initiative, make_maker, ready_account):
    from datetime import date

    from shop_extensions.payouts.models import PayoutRun

    policy(initiative, run_day=5)
    maker = make_maker()
    ready_account(maker)
    earn(maker, "30.00")

    before = services.monthly_runs_create(today=date(2026, 11, 4))
    first = services.monthly_runs_create(today=date(2026, 11, 5))
    again = services.monthly_runs_create(today=date(2026, 11, 6))

    assert (before, again) == ([], [])
    (run,) = PayoutRun.objects.filter(pk__in=first, initiative=initiative)
    assert (run.kind, run.month, run.initiative_id) == ("monthly", date(2026, 11, 1), initiative.pk)
    assert Payout.objects.get(run=run).state == PayoutState.DRAFT


def test_only_an_admin_coordinator_sets_the_policy_and_it_is_audited(initiative, django_user_model):
    from shop_extensions.makers.models import CoordinatorRole

    admin = django_user_model.objects.create_user("admin")
    helper = django_user_model.objects.create_user("helper")
    initiative.coordinators.create(user=admin, role=CoordinatorRole.ADMIN)
    initiative.coordinators.create(user=helper)

    with pytest.raises(PermissionDenied):
        services.policy_set(initiative_id=initiative.pk, actor=f"user:{helper.pk}", mode="cap")
    with pytest.raises(ValidationFailed):
        services.policy_set(initiative_id=initiative.pk, actor=f"user:{admin.pk}", run_day=31)
    updated = services.policy_set(
        initiative_id=initiative.pk, actor=f"user:{admin.pk}", mode="cap", hold_days=7
    )

    assert (updated.mode, updated.hold_days, updated.minimum_amount) == ("cap", 7, D("10.00"))
    (event,) = AuditEvent.objects.filter(action="payout_policy.set")
    assert event.data == {
        "old": {"mode": "alert_only", "hold_days": "14"},
        "new": {"mode": "cap", "hold_days": "7"},
    }
