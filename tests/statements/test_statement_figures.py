"""A statement's figures come from the ledger to the cent: totals, year to date, corrections, and which
month a moment belongs to in Amsterdam."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop_extensions.ledger import selectors as ledger_selectors
from shop_extensions.ledger.models import EarningEntry
from shop_extensions.statements import content, services
from shop_extensions.statements.models import Statement
from tests.ledger.builders import rolled_back

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
OCT = date(2026, 10, 1)


def issue(maker, month, **kwargs):
    return services.statement_issue(maker_id=maker.pk, month=month, actor="system:test", **kwargs)


cents = st.integers(min_value=1, max_value=50_000).map(lambda c: f"{D(c) / 100:.2f}")
sale_st = st.tuples(
    st.integers(min_value=1, max_value=6),  # month
    st.integers(min_value=1, max_value=28),  # day
    st.lists(st.tuples(st.integers(min_value=1, max_value=4), cents), min_size=1, max_size=3),
    st.booleans(),  # refunded in full later in the same month
)
history_st = st.fixed_dictionaries(
    {
        "sales": st.lists(sale_st, min_size=1, max_size=6),
        "payouts": st.lists(
            st.tuples(st.integers(min_value=1, max_value=6), st.integers(min_value=1, max_value=20_000)),
            max_size=3,
        ),
    }
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=history_st)
def test_statement_totals_equal_the_ledger_and_year_to_date_is_the_sum_of_the_months(
    shop, make_maker, history
):
    with rolled_back():
        maker = make_maker("Fatima")
        for month, day, lines, refunded in history["sales"]:
            order = shop.sell(maker, datetime(2026, month, day, 12, tzinfo=AMS), lines)
            if refunded:
                shop.refund(order, order.total, datetime(2026, month, day, 18, tzinfo=AMS))
        for n, (month, amount) in enumerate(history["payouts"]):
            shop.payout(maker, f"-{D(amount) / 100:.2f}", datetime(2026, month, 28, 9, tzinfo=AMS), f"p{n}")
        earned_by_month = {}
        for month in range(1, 7):
            first = date(2026, month, 1)
            if not EarningEntry.objects.filter(maker=maker, period=first).exists():
                continue
            statement, created = issue(maker, first)
            ledger = ledger_selectors.maker_month_totals(maker=maker, currency="EUR", month=first)
            totals = statement.data["totals"]
            assert created
            assert (D(totals["earned"]), D(totals["paid_out"]), D(totals["pot_spent"])) == (
                ledger.earned,
                ledger.paid_out,
                ledger.pot_spent,
            )
            assert D(totals["sales"]) + D(totals["refunds"]) == D(totals["earned"])
            assert D(totals["gross"]) - D(totals["vat"]) - D(totals["commission"]) == D(totals["sales"])
            earned_by_month[month] = D(totals["earned"])
            assert D(statement.data["year_to_date"]["earned"]) == sum(earned_by_month.values(), D(0))


def test_version_two_after_a_late_refund_differs_exactly_by_that_refund(shop, make_maker):
    maker = make_maker("Fatima")
    shop.sell(maker, datetime(2026, 10, 3, 12, tzinfo=AMS), [(2, "12.10")])
    late = shop.sell(maker, datetime(2026, 10, 30, 12, tzinfo=AMS), [(1, "30.25")])
    first, _ = issue(maker, OCT)
    # the refund happened on 31 October, its webhook arrived after the statement was issued
    shop.refund(late, late.total, datetime(2026, 10, 31, 23, 30, tzinfo=AMS))

    second, created = issue(maker, OCT)

    refund = EarningEntry.objects.filter(maker=maker, kind="reversal").aggregate(total=Sum("amount"))["total"]
    assert created
    assert (second.version, second.previous_id) == (2, first.pk)
    assert D(first.data["totals"]["earned"]) - D(second.data["totals"]["earned"]) == -refund == D("20.00")
    assert [r["amount"] for r in second.data["refunds"]] == ["-20.00"]
    assert second.reason == "Bedragen gewijzigd nadat versie 1 was uitgegeven: verdiend 36.00 → 16.00."
    assert Statement.objects.filter(maker=maker, month=OCT).count() == 2


def test_issuing_again_without_a_change_issues_nothing(shop, make_maker):
    maker = make_maker("Fatima")
    shop.sell(maker, datetime(2026, 10, 3, 12, tzinfo=AMS), [(2, "12.10")])
    first, created = issue(maker, OCT)

    again, created_again = issue(maker, OCT)

    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Statement.objects.count() == 1


def test_a_sale_at_half_past_midnight_on_the_first_belongs_to_the_new_month(shop, make_maker):
    maker = make_maker("Fatima")
    shop.sell(maker, datetime(2026, 10, 31, 23, 59, tzinfo=AMS), [(1, "12.10")])
    shop.sell(maker, datetime(2026, 11, 1, 0, 30, tzinfo=AMS), [(1, "24.20")])  # 23:30 UTC on 31 October

    october, _ = issue(maker, OCT)
    november, _ = issue(maker, date(2026, 11, 1))

    assert [r["date"] for r in october.data["sales"]] == ["2026-10-31"]
    assert [r["date"] for r in november.data["sales"]] == ["2026-11-01"]
    assert (october.data["totals"]["earned"], november.data["totals"]["earned"]) == ("8.00", "16.00")


@pytest.mark.parametrize(
    ("moment", "month", "day"),
    [
        (
            datetime(2026, 3, 31, 22, 30, tzinfo=UTC),
            date(2026, 4, 1),
            "2026-04-01",
        ),  # 00:30 CEST, after DST start
        (
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
            date(2026, 3, 1),
            "2026-03-29",
        ),  # 03:30 CEST, the DST night
        (
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
            date(2026, 10, 1),
            "2026-10-25",
        ),  # 02:30 CEST, before the fall back
        (datetime(2026, 10, 31, 23, 30, tzinfo=UTC), date(2026, 11, 1), "2026-11-01"),  # 00:30 CET
    ],
)
def test_months_follow_amsterdam_time_across_daylight_saving_changes(shop, make_maker, moment, month, day):
    maker = make_maker("Fatima")
    shop.sell(maker, moment, [(1, "12.10")])

    statement, _ = issue(maker, month)

    assert [r["date"] for r in statement.data["sales"]] == [day]
    assert statement.month == month


def test_a_leap_day_is_in_february_and_the_period_ends_on_the_29th(shop, make_maker):
    maker = make_maker("Fatima")
    shop.sell(maker, datetime(2028, 2, 29, 23, 45, tzinfo=AMS), [(1, "12.10")])
    shop.sell(maker, datetime(2027, 2, 28, 12, tzinfo=AMS), [(1, "12.10")])

    leap, _ = issue(maker, date(2028, 2, 1))
    plain, _ = issue(maker, date(2027, 2, 1))

    assert (leap.data["period_end"], [r["date"] for r in leap.data["sales"]]) == (
        "2028-02-29",
        ["2028-02-29"],
    )
    assert plain.data["period_end"] == "2027-02-28"
    assert content.month_end(date(2028, 2, 1)) == date(2028, 2, 29)
    assert content.previous_month(date(2026, 1, 1)) == date(2025, 12, 1)


def test_payouts_and_the_income_basis_show_both_dates(shop, make_maker):
    from shop_extensions.benefits.models import BenefitSituation

    maker = make_maker("Fatima")
    BenefitSituation.objects.create(
        maker=maker, regime="bijstand", household_type="single", income_basis="sale_date"
    )
    shop.sell(maker, datetime(2026, 9, 28, 12, tzinfo=AMS), [(1, "60.50")])
    shop.sell(maker, datetime(2026, 10, 3, 12, tzinfo=AMS), [(2, "12.10")])
    shop.payout(maker, "-40.00", datetime(2026, 10, 5, 9, tzinfo=AMS), "p1")
    shop.payout(maker, "40.00", datetime(2026, 10, 6, 9, tzinfo=AMS), "p1-return", kind="payout_return")
    shop.payout(maker, "-56.00", datetime(2026, 10, 7, 9, tzinfo=AMS), "p2")

    statement, _ = issue(maker, OCT)

    data = statement.data
    assert [(r["date"], r["kind"], r["amount"], r["reference"]) for r in data["payouts"]] == [
        ("2026-10-05", "payout", "40.00", "payout:p1"),
        ("2026-10-06", "payout_return", "-40.00", "payout:p1-return"),
        ("2026-10-07", "payout", "56.00", "payout:p2"),
    ]
    assert data["income_basis"] == {
        "basis": "sale_date",
        "by_sale_date": "16.00",
        "by_payment_date": "56.00",
        "counted": "16.00",
    }
    assert data["benefit"]["indication"] is True
    assert data["benefit"]["counted_income"] == "16.00"
    assert data["year_to_date"] == {"earned": "56.00", "paid_out": "56.00", "pot_spent": "0.00"}
    assert "bsn" not in str(data).lower()
