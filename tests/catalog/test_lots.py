"""FIFO consumption of production lots, corrections and returns (no Saleor involved: lots are made in stock)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop_extensions.catalog import selectors, services
from shop_extensions.catalog.models import LotConsumption, LotKind, ProductionLot
from shop_extensions.core.errors import ValidationFailed
from shop_extensions.core.models import AuditEvent

from ..makers.factories import make_coordinator, make_initiative, make_lot, make_maker

pytestmark = pytest.mark.django_db

V = "VARIANT-1"


@pytest.fixture
def world():
    initiative = make_initiative()
    user, actor = make_coordinator(initiative, "c")
    ann, bo, cas = (make_maker(initiative, n) for n in ("Ann", "Bo", "Cas"))
    t = timezone.now() - timedelta(days=3)
    lots = [
        make_lot(initiative, bo, 2, booked_at=t + timedelta(hours=1)),
        make_lot(initiative, ann, 3, booked_at=t),  # the oldest, booked later in pk order
        make_lot(initiative, cas, 4, booked_at=t + timedelta(hours=2)),
    ]
    return initiative, user, actor, lots


def consume(initiative, quantity, line="inst:L1"):
    return services.lots_consume_fifo(
        initiative=initiative,
        saleor_variant_id=V,
        quantity=quantity,
        order_line_key=line,
        idempotency_prefix=f"sale:{line}",
    )


def as_names(taken):
    return [(lot.maker.display_name, qty) for lot, qty in taken]


def test_sale_within_the_oldest_lot(world):
    initiative, *_ = world

    assert as_names(consume(initiative, 2)) == [("Ann", 2)]


def test_sale_larger_than_the_oldest_lot_splits_across_makers(world):
    initiative, *_ = world
    consume(initiative, 2, line="inst:L0")

    taken = consume(initiative, 4)

    assert as_names(taken) == [("Ann", 1), ("Bo", 2), ("Cas", 1)]
    assert sorted(
        LotConsumption.objects.filter(order_line_key="inst:L1").values_list("idempotency_key", flat=True)
    ) == sorted(f"sale:inst:L1:{lot.pk}" for lot, _ in taken)


def test_sale_larger_than_all_lots_returns_less(world):
    initiative, *_ = world

    taken = consume(initiative, 12)

    assert as_names(taken) == [("Ann", 3), ("Bo", 2), ("Cas", 4)]
    assert consume(initiative, 1, line="inst:L2") == []


def test_consuming_again_returns_the_first_result_and_takes_nothing(world):
    initiative, *_ = world
    first = consume(initiative, 4)
    rows = LotConsumption.objects.count()

    again = consume(initiative, 4)

    assert as_names(again) == as_names(first) == [("Ann", 3), ("Bo", 1)]
    assert LotConsumption.objects.count() == rows


def test_lots_of_other_variants_and_initiatives_untouched(world):
    initiative, *_ = world
    other = make_initiative("Other")
    make_lot(other, make_maker(other, "Dee"), 10)
    make_lot(
        initiative,
        make_maker(initiative, "Eve"),
        10,
        variant="VARIANT-2",
        booked_at=timezone.now() - timedelta(days=9),
    )

    assert as_names(consume(initiative, 3)) == [("Ann", 3)]


def test_availability_is_read_in_a_fixed_number_of_queries(world):
    initiative, *_ = world
    for _ in range(20):
        make_lot(initiative, make_maker(initiative, "More"), 1)

    with CaptureQueriesContext(connection) as queries:
        consume(initiative, 30)

    # savepoint, lock, idempotency check, availability, insert, release
    assert len(queries) <= 6


def test_correction_changes_availability(world):
    initiative, user, actor, lots = world
    bo_lot = lots[0]

    correction = services.lot_correct(
        lot=bo_lot, quantity=-1, reason="one torn", actor=actor, idempotency_key="corr-1"
    )

    assert (correction.kind, correction.corrects_id, correction.quantity) == (
        LotKind.CORRECTION,
        bo_lot.pk,
        -1,
    )
    bo_lot.refresh_from_db()
    assert bo_lot.quantity == 2  # never edited
    assert selectors.lot_available(lot=bo_lot) == 1
    assert as_names(consume(initiative, 5)) == [("Ann", 3), ("Bo", 1), ("Cas", 1)]
    event = AuditEvent.objects.get(action="lot.corrected")
    assert (event.actor, event.subject_id, event.data["quantity"]) == (actor, str(bo_lot.pk), -1)
    listed = {
        lot.pk: lot
        for lot in selectors.lots_for_variant(user=user, initiative_id=initiative.pk, saleor_variant_id=V)
    }
    assert (listed[bo_lot.pk].corrected, listed[bo_lot.pk].sold, listed[bo_lot.pk].available) == (-1, 1, 0)


def test_correction_is_idempotent(world):
    _, _, actor, lots = world

    first = services.lot_correct(
        lot=lots[2], quantity=2, reason="miscounted", actor=actor, idempotency_key="corr-2"
    )
    again = services.lot_correct(
        lot=lots[2], quantity=2, reason="miscounted", actor=actor, idempotency_key="corr-2"
    )

    assert first.pk == again.pk
    assert selectors.lot_available(lot=lots[2]) == 6
    assert AuditEvent.objects.filter(action="lot.corrected").count() == 1


def test_negative_correction_below_sold_refused(world):
    initiative, _, actor, lots = world
    ann_lot = lots[1]
    consume(initiative, 2)  # 2 of Ann's 3 sold

    with pytest.raises(ValidationFailed):
        services.lot_correct(
            lot=ann_lot, quantity=-2, reason="damaged", actor=actor, idempotency_key="corr-3"
        )

    assert not ProductionLot.objects.filter(kind=LotKind.CORRECTION).exists()
    assert not AuditEvent.objects.filter(action="lot.corrected").exists()
    services.lot_correct(lot=ann_lot, quantity=-1, reason="damaged", actor=actor, idempotency_key="corr-4")
    assert selectors.lot_available(lot=ann_lot) == 0


def test_returns_go_back_to_the_right_lots_newest_first(world):
    initiative, *_ = world
    consume(initiative, 6)  # Ann 3, Bo 2, Cas 1

    returned = services.lots_return(order_line_key="inst:L1", quantity=2, idempotency_key="refund:R1:L1")

    assert as_names(returned) == [("Cas", 1), ("Bo", 1)]
    available = {
        lot.maker.display_name: selectors.lot_available(lot=lot) for lot in ProductionLot.objects.all()
    }
    assert available == {"Ann": 0, "Bo": 1, "Cas": 4}
    # The same refund again changes nothing; a second refund takes what is left, newest first.
    assert as_names(
        services.lots_return(order_line_key="inst:L1", quantity=2, idempotency_key="refund:R1:L1")
    ) == [
        ("Cas", 1),
        ("Bo", 1),
    ]
    assert as_names(
        services.lots_return(order_line_key="inst:L1", quantity=10, idempotency_key="refund:R2:L1")
    ) == [
        ("Bo", 1),
        ("Ann", 3),
    ]
    assert services.lots_return(order_line_key="inst:L1", quantity=1, idempotency_key="refund:R3:L1") == []
    # Returned pieces are sold again, oldest lot first.
    assert as_names(consume(initiative, 2, line="inst:L9")) == [("Ann", 2)]
