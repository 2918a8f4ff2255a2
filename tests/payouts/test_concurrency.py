"""Two runs started together for the same initiative, on real PostgreSQL with a connection per thread:
every maker gets one payout and every payout one transfer."""

from __future__ import annotations

import threading
from decimal import Decimal as D

import pytest
from django.db import connection

from shop_extensions.ledger import selectors as ledger_selectors
from shop_extensions.payouts import services
from shop_extensions.payouts.models import Payout, PayoutState
from shop_extensions.payouts.stripe_adapter import StripeGateway
from shop_extensions.payouts.throttle import Throttle
from tests.payouts.conftest import API_KEY, earn, policy

pytestmark = pytest.mark.django_db(transaction=True)


def _together(*jobs):
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        try:
            barrier.wait()
            job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []


def _caller(standin) -> services.Caller:
    gateway = StripeGateway(api_key=API_KEY, api_base=standin.url, timeout=2)
    return services.Caller(gateway=gateway, throttle=Throttle(10_000), tries=3, sleep=lambda s: None)


def test_two_runs_started_together_submit_every_payout_once(initiative, make_maker, ready_account, standin):
    policy(initiative, auto_approve=True)
    makers = [make_maker() for _ in range(12)]
    for maker in makers:
        ready_account(maker)
        earn(maker, "20.00")

    def run_once():
        run = services.payout_run_create(initiative_id=initiative.pk, actor="system:test")
        services.payout_run_execute(run_id=run.pk, caller=_caller(standin))

    _together(run_once, run_once)

    payouts = list(Payout.objects.filter(initiative=initiative))
    assert sorted(p.maker_id for p in payouts) == sorted(m.pk for m in makers)
    assert {p.state for p in payouts} == {PayoutState.SUBMITTED}
    groups = [
        t["transfer_group"]
        for t in standin.state.transfers.values()
        if t["destination"] in {p.destination for p in payouts}
    ]
    assert sorted(groups) == sorted(p.transfer_group for p in payouts)
    for maker in makers:
        assert ledger_selectors.maker_balance(maker=maker, currency="EUR") == D("0.00")


def test_two_workers_executing_the_same_run_submit_every_payout_once(
    initiative, make_maker, ready_account, standin
):
    policy(initiative, auto_approve=True)
    makers = [make_maker() for _ in range(12)]
    for maker in makers:
        ready_account(maker)
        earn(maker, "20.00")
    run = services.payout_run_create(initiative_id=initiative.pk, actor="system:test")

    def execute():
        # stale_seconds=0: each worker also "recovers" what the other is still sending; keys keep it once.
        services.payout_run_execute(run_id=run.pk, caller=_caller(standin), stale_seconds=0)

    _together(execute, execute)

    payouts = list(Payout.objects.filter(run=run))
    assert len(payouts) == 12
    assert {p.state for p in payouts} == {PayoutState.SUBMITTED}
    sent = [
        t
        for t in standin.state.transfers.values()
        if t["transfer_group"] in {p.transfer_group for p in payouts}
    ]
    assert sorted(t["id"] for t in sent) == sorted(p.transfer_id for p in payouts)


def test_a_run_sent_by_several_threads_pays_everyone_once(initiative, make_maker, ready_account, standin):
    policy(initiative, auto_approve=True)
    makers = [make_maker() for _ in range(20)]
    for maker in makers:
        ready_account(maker)
        earn(maker, "15.00")
    run = services.payout_run_create(initiative_id=initiative.pk, actor="system:test")

    report = services.payout_run_execute(run_id=run.pk, caller=_caller(standin), threads=4)

    payouts = list(Payout.objects.filter(run=run))
    assert (report.submitted, report.errors) == (20, 0)
    assert {p.state for p in payouts} == {PayoutState.SUBMITTED}
    sent = [
        t
        for t in standin.state.transfers.values()
        if t["transfer_group"] in {p.transfer_group for p in payouts}
    ]
    assert sorted(t["id"] for t in sent) == sorted(p.transfer_id for p in payouts)
