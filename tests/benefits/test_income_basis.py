"""Which income a month counts: on payout date (the default) what was transferred to the maker in that month,
on sale date what the sales earned. Payouts, returned payouts and pot spending are booked through the
ledger's own ``movement_post``, which also triggers the positions refresh after commit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from shop_extensions.benefits import selectors, services
from shop_extensions.benefits.models import Notification, Position
from shop_extensions.core.money import Money
from shop_extensions.ledger.services import movement_post
from tests.makers.factories import make_coordinator, make_initiative, make_maker

from .factories import make_situation, set_month_earnings

pytestmark = pytest.mark.django_db
JAN = date(2026, 1, 1)
AMS = ZoneInfo("Europe/Amsterdam")
_keys = iter(range(1, 10**6))


@pytest.fixture(autouse=True)
def _tasks_run_inline(eager_tasks):
    """The ledger's follow-up task and the mailing task run as the worker would, right after commit."""


@pytest.fixture
def maker():
    initiative = make_initiative("Atelier West")
    user, _ = make_coordinator(initiative, "coord")
    user.email = "coord@example.test"
    user.save()
    return make_maker(initiative, "Fatima")


def book(maker, kind: str, amount: str, when: datetime = datetime(2026, 1, 20, 12, tzinfo=AMS)) -> None:
    movement_post(
        maker_id=maker.pk,
        initiative_id=maker.initiative_id,
        kind=kind,
        money=Money(Decimal(amount), "EUR"),
        effective_at=when,
        idempotency_key=f"test:{kind}:{next(_keys)}",
        reference=f"payout:{next(_keys)}",
    )


def test_payout_basis_counts_what_was_paid_out_in_the_month(maker):
    make_situation(maker, income_basis="payout_date")
    set_month_earnings(maker, JAN, "1500.00")  # sold for 1,500 but only 600 was transferred
    book(maker, "payout", "-600.00")

    result = selectors.maker_estimate(maker=maker, month=JAN)

    assert selectors.month_income(maker=maker, month=JAN).income == Decimal("600.00")
    assert result.earned == Decimal("600.00")
    assert result.free_amount == Decimal("150.00")  # 25% of 600 (art 31 lid 2 n, 2026-01)
    assert result.verified is True


def test_sale_basis_counts_what_was_earned_and_ignores_payouts(maker):
    make_situation(maker, income_basis="sale_date")
    set_month_earnings(maker, JAN, "1500.00")
    book(maker, "payout", "-600.00")

    result = selectors.maker_estimate(maker=maker, month=JAN)

    assert result.earned == Decimal("1500.00")
    assert result.free_amount == Decimal("285.00")  # capped at the 2026-01 cap


def test_a_payout_returned_in_the_same_month_counts_nothing(maker):
    make_situation(maker, income_basis="payout_date")
    book(maker, "payout", "-600.00")
    book(maker, "payout_return", "600.00")

    assert selectors.month_income(maker=maker, month=JAN).income == Decimal("0.00")


def test_a_return_in_a_later_month_never_makes_that_month_negative(maker):
    make_situation(maker, income_basis="payout_date")
    book(maker, "payout", "-600.00", datetime(2026, 1, 30, 12, tzinfo=AMS))
    book(maker, "payout_return", "600.00", datetime(2026, 2, 2, 12, tzinfo=AMS))

    assert selectors.month_income(maker=maker, month=JAN).income == Decimal("600.00")
    assert selectors.month_income(maker=maker, month=date(2026, 2, 1)).income == Decimal(0)


def test_pot_spending_is_not_counted_but_named_and_unverified(maker):
    make_situation(maker, income_basis="payout_date")
    book(maker, "payout", "-400.00")
    book(maker, "pot_spend", "-200.00")

    result = selectors.maker_estimate(maker=maker, month=JAN)

    assert result.earned == Decimal("400.00")
    assert result.verified is False
    assert any("pot spending of 200.00" in note and "UNCERTAIN" in note for note in result.notes)


def test_pot_spending_on_sale_basis_changes_nothing(maker):
    make_situation(maker, income_basis="sale_date")
    set_month_earnings(maker, JAN, "400.00")
    book(maker, "pot_spend", "-200.00")

    result = selectors.maker_estimate(maker=maker, month=JAN)

    assert result.earned == Decimal("400.00")
    assert result.verified is True


def test_a_payout_refreshes_the_position_and_warns_once(maker, django_capture_on_commit_callbacks):
    make_situation(maker, income_basis="payout_date")
    set_month_earnings(maker, JAN, "950.00")
    services.positions_refresh(maker_ids=[maker.pk], month=JAN)
    assert Position.objects.get(maker=maker).earned == Decimal("0.00")  # nothing paid out yet

    with django_capture_on_commit_callbacks(execute=True):
        book(maker, "payout", "-950.00")  # 83% of the 1,140 where the 2026-01 cap is reached
    with django_capture_on_commit_callbacks(execute=True):
        book(maker, "payout", "-0.01")  # a second payout: recomputed, nothing new to announce

    position = Position.objects.get(maker=maker, month=JAN)
    assert (position.earned, position.status, position.threshold) == (
        Decimal("950.01"),
        "approaching",
        "free_cap",
    )
    assert list(Notification.objects.values_list("threshold", "level")) == [("free_cap", "approaching")]
    assert [m.to for m in mail.outbox] == [["fatima@example.test"], ["coord@example.test"]]


def test_set_based_refresh_uses_each_makers_basis(maker, django_capture_on_commit_callbacks):
    other = make_maker(maker.initiative, "Sam")
    make_situation(maker, income_basis="payout_date")
    make_situation(other, income_basis="sale_date")
    for someone in (maker, other):
        set_month_earnings(someone, JAN, "1000.00")
        book(someone, "payout", "-300.00")

    services.positions_refresh(maker_ids=[maker.pk, other.pk], month=JAN)

    assert dict(Position.objects.values_list("maker_id", "earned")) == {
        maker.pk: Decimal("300.00"),
        other.pk: Decimal("1000.00"),
    }
