"""The cap policy pays at most what the benefit engine says is left of the free amount this month."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import timezone

from shop_extensions.benefits.selectors import maker_estimate, rulebook_cache_clear
from shop_extensions.ledger import selectors as ledger_selectors
from shop_extensions.payouts import services
from shop_extensions.payouts.models import Payout
from tests.benefits.factories import make_situation
from tests.payouts.conftest import earn, policy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rules():
    rulebook_cache_clear()
    yield
    rulebook_cache_clear()


def test_cap_pays_the_room_left_before_the_free_amount_cap_and_the_rest_waits(
    initiative, make_maker, ready_account, caller
):
    policy(initiative, mode="cap", auto_approve=True)
    month = timezone.localdate().replace(day=1)
    capped, free = make_maker("Fatima"), make_maker("Joyce")
    make_situation(capped, free_period_started=month)
    for maker in (capped, free):
        ready_account(maker)
        earn(maker, "2000.00", days_ago=40)
    threshold = maker_estimate(maker=capped, month=month).threshold("free_cap")
    assert threshold is not None
    assert D(0) < threshold.distance < D("2000.00")

    run = services.payout_run_create(initiative_id=initiative.pk, actor="system:test")
    services.payout_run_execute(run_id=run.pk, caller=caller)

    payouts = {p.maker_id: p for p in Payout.objects.filter(run=run)}
    assert payouts[capped.pk].amount == threshold.distance
    assert payouts[free.pk].amount == D("2000.00")  # no benefit situation: no cap applies
    assert ledger_selectors.maker_balance(maker=capped, currency="EUR") == D("2000.00") - threshold.distance
