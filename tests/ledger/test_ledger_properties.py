"""Property tests: for any order, the money adds up to the cent, a full refund returns every maker to zero,
and any permutation or duplication of the deliveries gives the same ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop_extensions.catalog.models import AttributionRule, AttributionShare, ProductionLot
from shop_extensions.ledger.models import EarningEntry, SaleLine
from shop_extensions.ledger.splitting import split
from shop_extensions.makers.models import Maker
from tests.ledger.builders import BASE_TIME, Line, Order, Step, payload, rolled_back

pytestmark = pytest.mark.django_db
D = Decimal
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


money = st.integers(min_value=0, max_value=9999).map(lambda cents: D(cents) / 100)
line_st = st.tuples(
    st.integers(min_value=1, max_value=5),  # quantity
    money,  # unit gross
    st.sampled_from([D(0), D(9), D(21)]),
    st.booleans().map(lambda b: b and False),  # gifts are covered in example tests; keep bases meaningful
)
weights_st = st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=3)
lots_st = st.lists(
    st.tuples(st.integers(min_value=0, max_value=2), st.integers(min_value=1, max_value=4)), max_size=3
)
order_st = st.fixed_dictionaries(
    {
        "lines": st.lists(line_st, min_size=1, max_size=4),
        "weights": weights_st,
        "commission": st.integers(min_value=0, max_value=5000).map(lambda bp: D(bp) / 100),
        "lots": lots_st,
    }
)


def percents(weights: list[int]) -> list[Decimal]:
    return split(D(100), weights, "EUR")  # two decimals summing to exactly 100.00


def setup(initiative, spec) -> tuple[Order, list[Maker]]:
    makers = [
        Maker.objects.create(
            initiative=initiative, display_name=f"M{i}", email=f"m{i}@x.org", internal_reference=f"m{i}"
        )
        for i in range(3)
    ]
    lines = []
    for n, (qty, unit, vat, gift) in enumerate(spec["lines"]):
        variant = f"V{n}"
        rule = AttributionRule.objects.create(
            initiative=initiative,
            saleor_variant_id=variant,
            commission_percent=spec["commission"],
            valid_from=BASE_TIME.replace(year=2025),
        )
        for maker, pct in zip(makers, percents(spec["weights"]), strict=False):
            AttributionShare.objects.create(rule=rule, maker=maker, percent=pct)
        lines.append(Line(f"L{n}", variant, qty, unit, vat_percent=vat, is_gift=gift))
    for i, (maker_index, qty) in enumerate(spec["lots"]):
        ProductionLot.objects.create(
            initiative=initiative,
            maker=makers[maker_index],
            saleor_variant_id="V0",
            quantity=qty,
            idempotency_key=f"lot-{i}",
            booked_at=BASE_TIME.replace(year=2025, month=1 + i),
            stock_sync="synced",
        )
    return Order("T3JkZXI6cHJvcA==", lines), makers


def per_maker() -> dict[str, Decimal]:
    rows = EarningEntry.objects.values("maker__display_name").annotate(total=Sum("amount"))
    return {row["maker__display_name"]: row["total"] for row in rows if row["total"] != 0}


@SETTINGS
@given(spec=order_st)
def test_maker_entries_plus_commission_equal_the_base_to_the_cent(initiative, apply, spec):
    with rolled_back():
        order, _ = setup(initiative, spec)
        apply(payload(order, Step("order_fully_paid", charged=order.total)), "order_fully_paid")
        lines = SaleLine.objects.all()
        base = sum((line.base_amount for line in lines), D(0))
        commission = sum((line.commission_amount for line in lines), D(0))
        posted = EarningEntry.objects.aggregate(total=Sum("amount"))["total"] or D(0)
        assert posted + commission == base

        apply(
            payload(order, Step("order_fully_refunded", charged=D(0), refunded=order.total, at=9)),
            "order_fully_refunded",
        )
        assert per_maker() == {}
        assert EarningEntry.objects.aggregate(total=Sum("amount"))["total"] in (None, D(0))


@SETTINGS
@given(
    spec=order_st,
    refund_line=st.integers(min_value=0, max_value=3),
    sequence=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=8),
)
def test_any_permutation_and_duplication_of_deliveries_gives_the_same_ledger(
    initiative, apply, spec, refund_line, sequence
):
    steps_for = lambda order: [  # noqa: E731
        (payload(order, Step("order_fully_paid", charged=order.total)), "order_fully_paid"),
        (payload(order, Step("order_updated", charged=order.total), issued_offset_ms=20), "order_updated"),
        _partial_refund(order, refund_line),
        (
            payload(order, Step("order_fully_refunded", charged=D(0), refunded=order.total, at=9)),
            "order_fully_refunded",
        ),
    ]
    delivered = sorted(
        set(sequence)
    )  # what was delivered at least once; applying in Saleor's order is the reference
    with rolled_back():
        order, _ = setup(initiative, spec)
        for index in delivered:
            apply(*steps_for(order)[index])
        expected = per_maker()
    with rolled_back():
        order, _ = setup(initiative, spec)
        for index in sequence:  # any order, with repeats
            apply(*steps_for(order)[index])
        assert per_maker() == expected


def _partial_refund(order: Order, refund_line: int):
    line = order.lines[refund_line % len(order.lines)]
    refunded = line.unit_gross
    return (
        payload(
            order,
            Step(
                "order_refunded",
                charged=order.total - refunded,
                refunded=refunded,
                granted=[(line.id, 1)],
                at=5,
            ),
        ),
        "order_refunded",
    )
