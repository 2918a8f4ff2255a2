"""Stock sync of production lots against the Saleor sandbox over real HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shop_extensions.catalog import services
from shop_extensions.catalog.models import ProductionLot, StockSync
from shop_extensions.catalog.tasks import lot_stock_sync_task
from shop_extensions.core.models import AuditEvent
from shop_extensions.saleor_app.models import Installation
from shop_extensions.saleor_app.sandbox.ids import to_global_id
from shop_extensions.saleor_app.sandbox.server import running_sandbox
from shop_extensions.saleor_app.sandbox.service import Sandbox
from shop_extensions.saleor_app.sandbox.state import App

from ..makers.factories import make_coordinator, make_initiative, make_maker
from ..shared import schema_path

pytestmark = pytest.mark.django_db

VARIANT = to_global_id("ProductVariant", 300)
SEED_STOCK = 25


@pytest.fixture
def box(monkeypatch):
    monkeypatch.setenv("SALEOR_SCHEMA_PATH", str(schema_path()))
    sandbox = Sandbox(retry_delays=(0,))
    with running_sandbox(sandbox):
        yield sandbox


def sandbox_app(box: Sandbox) -> App:
    store = box.store
    app = App(
        pk=store.next_pk("app"),
        identifier="rode-draad.test",
        name="Rode Draad",
        version="1",
        token="app-token-stock",
        permissions=["MANAGE_PRODUCTS"],
        webhooks=[],
        manifest={},
    )
    store.apps[app.pk] = app
    return app


@pytest.fixture
def world(box, make_installation):
    app = sandbox_app(box)
    installation = make_installation(api_url=box.api_url, jwks={}, token=app.token)
    initiative = make_initiative(installation=installation, warehouse_id=box.store.warehouse.id)
    _, actor = make_coordinator(initiative, "coord")
    return initiative, actor, make_maker(initiative, "Fatima")


def stock(box: Sandbox) -> int:
    return sum(s.quantity for s in box.store.stocks_of(box.store.variant(VARIANT).pk))


def book(initiative, actor, maker, quantity=20, key="lot-1"):
    return services.lot_book(
        initiative=initiative,
        maker=maker,
        saleor_variant_id=VARIANT,
        quantity=quantity,
        actor=actor,
        idempotency_key=key,
    )


def test_booking_raises_stock_by_exactly_the_lot(box, world):
    initiative, actor, maker = world

    lot = book(initiative, actor, maker)

    assert stock(box) == SEED_STOCK + 20
    assert (lot.stock_sync, lot.stock_before, lot.stock_written, lot.stock_sync_error) == (
        StockSync.SYNCED,
        SEED_STOCK,
        SEED_STOCK + 20,
        "",
    )
    assert AuditEvent.objects.get(action="lot.booked").actor == actor
    synced = AuditEvent.objects.get(action="lot.stock_synced")
    assert (synced.actor, synced.data["delta"]) == ("system:stock-sync", 20)


def test_retrying_a_synced_lot_does_not_raise_again(box, world):
    initiative, actor, maker = world
    lot = book(initiative, actor, maker)

    again = book(initiative, actor, maker)
    services.lot_stock_sync(lot_id=lot.pk)
    assert lot_stock_sync_task.apply(args=[lot.pk]).get() == "synced"

    assert again.pk == lot.pk
    assert stock(box) == SEED_STOCK + 20
    assert ProductionLot.objects.count() == 1
    assert AuditEvent.objects.filter(action="lot.stock_synced").count() == 1


def test_stock_change_between_read_and_write_is_detected_and_retried(box, world, monkeypatch):
    initiative, actor, maker = world
    original = box.graphql
    reads = []

    def graphql(payload, authorization=None):
        response = original(payload, authorization)
        if isinstance(payload, dict) and payload.get("operationName") == "VariantStocks":
            reads.append(stock(box))
            if len(reads) == 1:  # a fulfilment of 3 pieces lands right after the app's first read
                box.store.set_stock(VARIANT, box.store.warehouse.id, SEED_STOCK - 3)
        return response

    monkeypatch.setattr(box, "graphql", graphql)

    lot = book(initiative, actor, maker)

    assert stock(box) == SEED_STOCK - 3 + 20  # the fulfilment is kept, the lot added once
    assert (lot.stock_sync, lot.stock_before, lot.stock_written) == (StockSync.SYNCED, 22, 42)
    assert reads == [SEED_STOCK, 22, 22, 22]  # read, re-read (moved!), read, re-read, then the write


def test_crash_after_the_write_does_not_add_twice(box, world, monkeypatch):
    initiative, actor, maker = world
    real_done = services._sync_done

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed after the write")

    monkeypatch.setattr(services, "_sync_done", crash)
    with pytest.raises(RuntimeError):
        book(initiative, actor, maker)
    lot = ProductionLot.objects.get()
    assert (lot.stock_sync, lot.stock_written) == (StockSync.FAILED, SEED_STOCK + 20)
    assert stock(box) == SEED_STOCK + 20

    monkeypatch.setattr(services, "_sync_done", real_done)
    lot = services.lot_stock_sync(lot_id=lot.pk)

    assert lot.stock_sync == StockSync.SYNCED
    assert stock(box) == SEED_STOCK + 20
    assert AuditEvent.objects.get(action="lot.stock_synced").data["earlier_write_found"] is True


def test_recorded_write_that_did_not_land_is_written(box, world):
    initiative, actor, maker = world
    lot = services.lot_book(
        initiative=initiative,
        maker=maker,
        saleor_variant_id=VARIANT,
        quantity=5,
        actor=actor,
        idempotency_key="k",
    )
    assert stock(box) == SEED_STOCK + 5
    # A second lot whose first attempt recorded its write (30 → 37) but crashed before sending it.
    second = ProductionLot.objects.create(
        initiative=initiative,
        maker=maker,
        saleor_variant_id=VARIANT,
        quantity=7,
        idempotency_key="k2",
        booked_at=timezone.now(),
        stock_before=SEED_STOCK + 5,
        stock_written=SEED_STOCK + 12,
        stock_sync=StockSync.FAILED,
    )

    assert services.lot_stock_sync(lot_id=second.pk).stock_sync == StockSync.SYNCED
    assert stock(box) == SEED_STOCK + 12
    assert lot.pk != second.pk


def test_unexplained_stock_after_a_recorded_write_waits_for_a_coordinator(box, world):
    initiative, actor, maker = world
    lot = ProductionLot.objects.create(
        initiative=initiative,
        maker=maker,
        saleor_variant_id=VARIANT,
        quantity=7,
        idempotency_key="k3",
        booked_at=timezone.now() - timedelta(hours=1),
        stock_before=10,
        stock_written=17,
        stock_sync=StockSync.FAILED,
    )

    lot = services.lot_stock_sync(lot_id=lot.pk)

    assert lot.stock_sync == StockSync.UNKNOWN
    assert stock(box) == SEED_STOCK  # nothing written
    assert services.lots_stock_sync_retry(now=timezone.now() + timedelta(hours=2)) == 0
    assert stock(box) == SEED_STOCK

    lot = services.lot_stock_sync_resolve(lot=lot, landed=False, actor=actor)

    assert lot.stock_sync == StockSync.SYNCED
    assert stock(box) == SEED_STOCK + 7
    assert AuditEvent.objects.get(action="lot.stock_sync_resolved").actor == actor


def test_saleor_unreachable_leaves_the_lot_failed_until_the_retry_job(box, world):
    initiative, actor, maker = world
    installation = initiative.installation
    Installation.objects.filter(pk=installation.pk).update(api_url="http://127.0.0.1:9/graphql/")
    initiative.installation.refresh_from_db()

    lot = book(initiative, actor, maker)

    assert lot.stock_sync == StockSync.FAILED
    assert "could not be reached" in lot.stock_sync_error
    assert (lot.stock_before, lot.stock_written) == (None, None)
    assert stock(box) == SEED_STOCK
    # Not yet due (fresh, and backing off), then Saleor is back and the beat job syncs it.
    assert services.lots_stock_sync_retry() == 0
    Installation.objects.filter(pk=installation.pk).update(api_url=box.api_url)

    assert services.lots_stock_sync_retry(now=timezone.now() + timedelta(minutes=5)) == 1

    lot.refresh_from_db()
    assert (lot.stock_sync, lot.stock_sync_error, lot.stock_sync_attempts) == (StockSync.SYNCED, "", 2)
    assert stock(box) == SEED_STOCK + 20
    assert services.lots_stock_sync_retry(now=timezone.now() + timedelta(hours=5)) == 0
    assert stock(box) == SEED_STOCK + 20


def test_correction_moves_stock_by_the_delta(box, world):
    initiative, actor, maker = world
    lot = book(initiative, actor, maker)

    correction = services.lot_correct(
        lot=lot, quantity=-4, reason="4 damaged", actor=actor, idempotency_key="c1"
    )

    assert correction.stock_sync == StockSync.SYNCED
    assert stock(box) == SEED_STOCK + 16
