"""Crash injection: a worker dies at a random point of a run and the run is resumed.

The worker dies inside stripe-python's HTTP layer (outside the project): before a request is sent (so after
our commit of ``submitting``, or after the previous payout's commit), or after Stripe carried a request out
but before its answer reached us (before our commit). Over 1,000 randomized trials: no payout is transferred
twice, none is lost, and every maker's ledger balance is what they earned minus what Stripe received."""

from __future__ import annotations

import os
import random
from decimal import Decimal as D

import pytest
import stripe
from django.db.models import Sum

from shop_extensions.ledger import selectors as ledger_selectors
from shop_extensions.ledger.models import EarningEntry, EntryKind
from shop_extensions.makers.models import Initiative
from shop_extensions.payouts import services
from shop_extensions.payouts.models import Payout, PayoutState
from shop_extensions.payouts.stripe_adapter import StripeGateway
from shop_extensions.payouts.throttle import Throttle
from tests.payouts.conftest import API_KEY, earn, policy

pytestmark = pytest.mark.django_db
TRIALS = int(os.environ.get("PAYOUT_CRASH_TRIALS", "1000"))


class WorkerDied(BaseException):
    """Not an Exception: nothing in our code catches it, as nothing survives a killed process."""


class DyingHttpClient(stripe.RequestsClient):
    def __init__(self, *, die_at: int, phase: str) -> None:
        super().__init__(timeout=2)
        self.die_at, self.phase, self.sent = die_at, phase, 0

    def request(self, method, url, headers, post_data=None, **kwargs):  # type: ignore[no-untyped-def,override]
        number, self.sent = self.sent, self.sent + 1
        if number == self.die_at and self.phase == "before_send":
            raise WorkerDied
        answer = super().request(method, url, headers, post_data, **kwargs)
        if number == self.die_at and self.phase == "after_stripe_acted":
            raise WorkerDied
        return answer


def _caller(gateway: StripeGateway) -> services.Caller:
    return services.Caller(gateway=gateway, throttle=Throttle(10_000), tries=3, sleep=lambda s: None)


def test_a_run_resumed_after_a_crash_at_a_random_point_pays_everyone_exactly_once(standin, ready_account):
    rng = random.Random(20261129)
    healthy = _caller(StripeGateway(api_key=API_KEY, api_base=standin.url, timeout=2))
    outcomes = {"before_send": 0, "after_stripe_acted": 0, "no_crash": 0}
    for trial in range(TRIALS):
        initiative = Initiative.objects.create(name=f"Crash {trial}", legal_name="Stichting")
        policy(initiative, auto_approve=True)
        makers = []
        for n in range(rng.randint(1, 3)):
            maker = initiative.makers.create(
                display_name=f"m{trial}-{n}", email="m@example.org", internal_reference=f"c{trial}-{n}"
            )
            ready_account(maker)
            earn(maker, f"{rng.randint(1000, 9999) / 100:.2f}")
            makers.append(maker)
        run = services.payout_run_create(initiative_id=initiative.pk, actor="system:test")
        phase = rng.choice(["before_send", "after_stripe_acted"])
        client = DyingHttpClient(die_at=rng.randint(0, len(makers)), phase=phase)
        dying = _caller(StripeGateway(api_key=API_KEY, api_base=standin.url, http_client=client))

        try:
            services.payout_run_execute(run_id=run.pk, caller=dying)
            outcomes["no_crash"] += 1
        except WorkerDied:
            outcomes[phase] += 1
        services.payout_run_execute(run_id=run.pk, caller=healthy, stale_seconds=0)

        for maker in makers:
            (payout,) = Payout.objects.filter(run=run, maker=maker)
            sent = [
                t for t in standin.state.transfers.values() if t["transfer_group"] == payout.transfer_group
            ]
            assert payout.state == PayoutState.SUBMITTED, (trial, payout)
            assert [t["id"] for t in sent] == [payout.transfer_id], (trial, payout)
            assert sent[0]["amount"] == payout.amount.scaleb(2), (trial, payout)
            earned = EarningEntry.objects.filter(maker=maker, kind=EntryKind.SALE).aggregate(s=Sum("amount"))[
                "s"
            ]
            assert (
                ledger_selectors.maker_balance(maker=maker, currency="EUR") == earned - payout.amount == D(0)
            )
    assert min(outcomes.values()) > 0, outcomes
