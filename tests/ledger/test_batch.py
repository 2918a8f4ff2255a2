"""The batch path (docs/adr/0007): many order events in one transaction book exactly what applying them one by
one books; through the inbox, one task drains the waiting rows; two batches at once never double-book."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shop_extensions.catalog.models import AttributionRule, AttributionShare, LotConsumption, ProductionLot
from shop_extensions.ledger.models import EarningEntry, MakerPeriodTotal, SaleLine, SaleOrder
from shop_extensions.ledger.services import OrderEvent, order_snapshot_apply, order_snapshots_apply
from shop_extensions.ledger.snapshot import parse_order
from shop_extensions.makers.models import Maker
from shop_extensions.saleor_app import services as inbox
from shop_extensions.saleor_app.models import DeliveryStatus, WebhookDelivery
from tests.ledger.builders import BASE_TIME, Line, Order, Step, payload, rolled_back

D = Decimal
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def catalogue(initiative, lots: list[tuple[int, int]]) -> list[Maker]:
    """Three makers; V0 made in lots (then by rule), V1 shared by rule, V2 has no rule (the queue)."""
    makers = [
        Maker.objects.create(
            initiative=initiative, display_name=f"M{i}", email=f"m{i}@x.org", internal_reference=f"m{i}"
        )
        for i in range(3)
    ]
    for variant, shares in [("V0", [(0, "100.00")]), ("V1", [(1, "66.67"), (2, "33.33")])]:
        rule = AttributionRule.objects.create(
            initiative=initiative, saleor_variant_id=variant, valid_from=BASE_TIME.replace(year=2025)
        )
        for maker, percent in shares:
            AttributionShare.objects.create(rule=rule, maker=makers[maker], percent=D(percent))
    for i, (maker, quantity) in enumerate(lots):
        ProductionLot.objects.create(
            initiative=initiative, maker=makers[maker], saleor_variant_id="V0", quantity=quantity,
            idempotency_key=f"lot-{i}", booked_at=BASE_TIME.replace(year=2025, month=1 + i), stock_sync="synced",
        )  # fmt: skip
    return makers


def steps(order: Order) -> list[tuple[dict, str]]:
    """Saleor's deliveries for one order: paid, its ORDER_UPDATED twin, a partial refund, a full refund."""
    first = order.lines[0]
    # fmt: off
    return [
        (payload(order, Step("order_fully_paid", charged=order.total)), "order_fully_paid"),
        (payload(order, Step("order_updated", charged=order.total), issued_offset_ms=20), "order_updated"),
        (payload(order, Step("order_refunded", charged=order.total - first.unit_gross,
                             refunded=first.unit_gross, granted=[(first.id, 1)], at=5)),
         "order_refunded"),
        (
            payload(order, Step("order_fully_refunded", charged=D(0), refunded=order.total, at=9)),
            "order_fully_refunded",
        ),
    ]
    # fmt: on


def event_for(installation, body: dict, event: str) -> OrderEvent:
    return OrderEvent(
        installation_id=installation.pk,
        snapshot=parse_order(body),
        event=event,
        snapshot_key=f"{event}:{body['order']['id']}:{body['issuedAt']}",
    )


def ledger() -> dict[str, object]:
    """Everything booked, without database keys (they differ between runs)."""
    entries = sorted(
        (e.order.saleor_order_id, e.line.saleor_line_id, e.maker.display_name, e.kind, e.amount, e.quantity,
         e.lot.idempotency_key if e.lot else "", e.detail["snapshot"], e.effective_at, e.period)
        for e in EarningEntry.objects.select_related("order", "line", "maker", "lot")
    )  # fmt: skip
    lines = sorted(
        (s.order.saleor_order_id, s.saleor_line_id, s.status, s.base_amount, s.commission_amount, s.quantity)
        for s in SaleLine.objects.select_related("order")
    )
    pieces = sorted(
        (c.lot.idempotency_key, c.order_line_key, c.quantity)
        for c in LotConsumption.objects.select_related("lot")
    )
    totals = sorted(
        (t.maker.display_name, t.period, t.amount, t.earned, t.entries)
        for t in MakerPeriodTotal.objects.select_related("maker")
    )
    orders = sorted(
        (o.saleor_order_id, o.snapshot_key, o.note, o.paid_at, o.attributed_at is not None)
        for o in SaleOrder.objects.all()
    )
    return {"entries": entries, "lines": lines, "pieces": pieces, "totals": totals, "orders": orders}


line_st = st.tuples(st.sampled_from(["V0", "V1", "V2"]), st.integers(1, 4), st.integers(1, 4999))
orders_st = st.lists(st.lists(line_st, min_size=1, max_size=3), min_size=1, max_size=3)
lots_st = st.lists(st.tuples(st.integers(0, 2), st.integers(1, 4)), max_size=3)
sequence_st = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3)), min_size=1, max_size=10)


@pytest.mark.django_db
@SETTINGS
@given(orders_spec=orders_st, lots=lots_st, sequence=sequence_st)
def test_a_batch_books_exactly_what_applying_the_events_one_by_one_books(
    installation, initiative, orders_spec, lots, sequence
):
    orders = [
        Order(f"T3JkZXI6{n}", [Line(f"L{n}-{i}", v, qty, D(cents) / 100) for i, (v, qty, cents) in enumerate(spec)])
        for n, spec in enumerate(orders_spec)
    ]  # fmt: skip
    delivered = [steps(orders[n % len(orders)])[k] for n, k in sequence]  # any order, repeats, several orders
    with rolled_back():
        catalogue(initiative, lots)
        for body, event in delivered:
            order_snapshot_apply(
                installation=installation, snapshot=parse_order(body), event=event,
                snapshot_key=f"{event}:{body['order']['id']}:{body['issuedAt']}",
            )  # fmt: skip
        one_by_one = ledger()

    with rolled_back():
        catalogue(initiative, lots)
        order_snapshots_apply(events=[event_for(installation, body, event) for body, event in delivered])
        batched = ledger()

    assert batched == one_by_one


@pytest.mark.django_db
def test_a_batch_returns_each_events_order_and_repeating_it_books_nothing(installation, initiative):
    makers = catalogue(initiative, [(0, 2)])
    orders = [Order("T3JkZXI6QQ==", [Line("A1", "V0", 3, D("10.00"))]), Order("T3JkZXI6Qg==", [Line("B1", "V1", 1, D("9.00"))])]  # fmt: skip
    events = [event_for(installation, *steps(order)[0]) for order in orders]

    returned = order_snapshots_apply(events=events)
    again = order_snapshots_apply(events=events)

    assert [order.saleor_order_id for order in returned] == ["T3JkZXI6QQ==", "T3JkZXI6Qg=="]
    assert [order.pk for order in again] == [order.pk for order in returned]
    assert EarningEntry.objects.count() == 4  # A1: lot of M0 (2 pieces) + rule of M0 (1); B1: M1 and M2
    by_maker = dict(EarningEntry.objects.values_list("maker").annotate(total=Sum("amount")))
    # A1: 30.00 gross, 24.79 net, 20% commission 4.96 -> 19.83 split 2:1 -> 13.22 + 6.61, both M0.
    # B1: 9.00 gross, 7.44 net, commission 1.49 -> 5.95 split 66.67:33.33 -> 3.97 + 1.98.
    assert by_maker == {makers[0].pk: D("19.83"), makers[1].pk: D("3.97"), makers[2].pk: D("1.98")}
    assert LotConsumption.objects.get().quantity == 2


def store(installation, body: dict, event: str, *, attempts: int = 0) -> WebhookDelivery:
    raw = (
        json.dumps(body, default=lambda value: f"<num>{value}</num>")
        .replace('"<num>', "")
        .replace('</num>"', "")
    )
    return WebhookDelivery.objects.create(
        installation=installation, event=event, event_key=f"{event}:{body['order']['id']}:{body['issuedAt']}",
        body=raw.encode(), body_sha256="-", subject_id=body["order"]["id"], enqueued_at=timezone.now(),
        attempts=attempts,
    )  # fmt: skip


@pytest.mark.django_db
def test_one_task_drains_the_waiting_order_deliveries_in_one_batch(installation, initiative):
    catalogue(initiative, [(1, 5)])
    orders = [Order(f"T3JkZXI6{n}", [Line(f"L{n}", "V0", 2, D("12.50"))]) for n in range(5)]
    rows = [store(installation, *steps(order)[0]) for order in orders]

    outcomes = [inbox.delivery_process(delivery_id=row.pk) for row in rows]

    assert outcomes == ["processed"] + ["already-done"] * 4
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.PROCESSED, 1)}
    assert SaleLine.objects.count() == 5
    assert LotConsumption.objects.aggregate(s=Sum("quantity"))["s"] == 5  # the lot ran out, then the rule
    assert EarningEntry.objects.filter(lot__isnull=False).count() == 3


@pytest.mark.django_db
def test_a_failing_batch_is_undone_and_the_own_delivery_processed_alone(installation, initiative):
    catalogue(initiative, [])
    good = store(installation, *steps(Order("T3JkZXI6Rw==", [Line("G1", "V1", 1, D("5.00"))]))[0])
    broken = store(installation, *steps(Order("T3JkZXI6Qg==", [Line("B1", "V1", 1, D("5.00"))]))[0])
    WebhookDelivery.objects.filter(pk=broken.pk).update(body=b'{"issuedAt": "2026-11-02T10:00:00+00:00"}')

    assert inbox.delivery_process(delivery_id=good.pk) == "processed"

    good.refresh_from_db()
    broken.refresh_from_db()
    assert good.status == DeliveryStatus.PROCESSED
    assert (broken.status, broken.attempts) == (DeliveryStatus.RECEIVED, 0)  # left to its own task
    assert SaleLine.objects.get().saleor_line_id == "G1"


@pytest.mark.django_db
def test_a_delivery_that_failed_before_is_never_taken_into_a_batch(installation, initiative):
    catalogue(initiative, [])
    first = store(installation, *steps(Order("T3JkZXI6MQ==", [Line("A1", "V1", 1, D("5.00"))]))[0])
    failed = store(
        installation, *steps(Order("T3JkZXI6Mg==", [Line("B1", "V1", 1, D("5.00"))]))[0], attempts=1
    )

    assert inbox.delivery_process(delivery_id=first.pk) == "processed"

    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.RECEIVED, 1)
    assert inbox.delivery_process(delivery_id=failed.pk) == "processed"  # alone, through the plain handler
    assert SaleLine.objects.count() == 2


def run_together(*jobs):
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def worker(job):
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_two_batches_with_the_same_orders_at_once_book_them_once_and_never_oversell_a_lot(
    installation, initiative
):
    makers = catalogue(initiative, [(0, 3), (1, 4)])
    shared = [Order(f"T3JkZXI6U{n}", [Line(f"S{n}", "V0", 2, D("10.00")), Line(f"T{n}", "V1", 1, D("4.00"))]) for n in range(3)]  # fmt: skip
    own = [[Order(f"T3JkZXI6{w}{n}", [Line(f"{w}{n}", "V0", 1, D("10.00"))]) for n in range(2)] for w in "XY"]  # fmt: skip

    def batch(mine: list[Order], reverse: bool):
        def job():
            orders = list(reversed(shared)) if reverse else shared
            events = [event_for(installation, *steps(order)[0]) for order in [*mine, *orders]]
            order_snapshots_apply(events=events)
            time.sleep(0.1)

        return job

    run_together(batch(own[0], False), batch(own[1], True))

    assert SaleOrder.objects.count() == 7
    assert SaleLine.objects.count() == 3 * 2 + 4
    # 3 x 2 + 4 x 1 = 10 pieces of V0 wanted; the lots hold 7: never more taken, the rest by rule.
    assert LotConsumption.objects.aggregate(s=Sum("quantity"))["s"] == 7
    for lot in ProductionLot.objects.all():
        assert LotConsumption.objects.filter(lot=lot).aggregate(s=Sum("quantity"))["s"] == lot.quantity
    assert EarningEntry.objects.values("idempotency_key").distinct().count() == EarningEntry.objects.count()
    posted = EarningEntry.objects.aggregate(s=Sum("amount"))["s"]
    expected = sum((line.base_amount - line.commission_amount for line in SaleLine.objects.all()), D(0))
    assert posted == expected
    assert sum(MakerPeriodTotal.objects.values_list("amount", flat=True)) == posted
    assert {m.pk for m in makers} >= set(EarningEntry.objects.values_list("maker", flat=True))


@pytest.mark.django_db(transaction=True)
def test_an_order_another_worker_creates_meanwhile_is_waited_for_and_booked_once(
    installation, initiative, caplog
):
    catalogue(initiative, [(0, 5)])
    order = Order("T3JkZXI6Tg==", [Line("N1", "V0", 2, D("10.00")), Line("N2", "V1", 1, D("4.00"))])
    paid, twin = steps(order)[0], steps(order)[1]
    first_applied = threading.Event()

    def first():  # creates the order and keeps its transaction open a while
        with transaction.atomic():
            order_snapshots_apply(events=[event_for(installation, *paid)])
            first_applied.set()
            time.sleep(0.5)

    def second():  # does not see the uncommitted order, so takes it for new; its insert waits, then starts over
        assert first_applied.wait(timeout=10)
        order_snapshots_apply(events=[event_for(installation, *twin), event_for(installation, *paid)])

    with caplog.at_level("INFO", logger="shop_extensions.ledger.services"):
        run_together(first, second)

    assert "created meanwhile by another transaction" in caplog.text
    assert SaleOrder.objects.count() == 1
    assert SaleLine.objects.count() == 2
    assert EarningEntry.objects.count() == 3  # N1 from the lot, N2 by two shares: once
    assert LotConsumption.objects.get().quantity == 2
