"""The sale records' references to rows outside the ledger (order -> installation, initiative; line -> rule;
allocation -> maker, lot, rule, resolved allocation; lot consumption -> lot) have no foreign keys; triggers
hold the same guarantee (ledger 0006, catalog 0004): a child's parents exist when its statement ends and are
locked FOR KEY SHARE until it commits, a parent is not deleted while referenced, and no key changes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, ProtectedError
from django.utils import timezone

from shop_extensions.catalog.models import AttributionRule, LotConsumption, ProductionLot
from shop_extensions.core.transactions import violated_constraint
from shop_extensions.ledger import services
from shop_extensions.ledger.models import Allocation, LineStatus, SaleLine, SaleOrder
from shop_extensions.makers.models import Initiative, Maker
from shop_extensions.saleor_app.models import Installation
from tests.ledger.builders import BASE_TIME

D = Decimal
VARIANT = "UHJvZHVjdFZhcmlhbnQ6NDAw"


@pytest.fixture
def parents(installation, initiative, make_maker, make_rule, make_lot) -> dict[str, Any]:
    maker = make_maker("Fatima")
    return {
        "installation": installation,
        "initiative": initiative,
        "maker": maker,
        "rule": make_rule(VARIANT, [(maker, "100")]),
        "lot": make_lot(maker, VARIANT, 5),
    }


@pytest.fixture
def sale(parents) -> dict[str, Any]:
    """An order with a line by a rule, an allocation from a lot, one resolving a queued one, a consumption."""
    order = SaleOrder.objects.create(**_order_values(parents, "O1"))
    line = SaleLine.objects.create(**_line_values(order.pk, parents["rule"].pk, "L1"))
    queued = Allocation.objects.create(**_allocation_values(line.pk, maker_id=None))
    allocation = Allocation.objects.create(
        **_allocation_values(
            line.pk, parents["maker"].pk, parents["lot"].pk, parents["rule"].pk, resolves_id=queued.pk
        )
    )
    consumption = LotConsumption.objects.create(**_consumption_values(parents["lot"].pk, "c1"))
    return {**parents, "order": order, "line": line, "allocation": allocation, "consumption": consumption}


def _order_values(parents: dict[str, Any], key: str) -> dict[str, Any]:
    return {
        "installation_id": parents["installation"].pk,
        "initiative_id": parents["initiative"].pk,
        "saleor_order_id": key,
        "currency": "EUR",
    }


def _line_values(order_id: int, rule_id: int | None, key: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "saleor_line_id": key,
        "quantity": 1,
        "gross_amount": D("12.10"),
        "base_amount": D("10.00"),
        "commission_percent": D("20.00"),
        "commission_amount": D("2.00"),
        "currency": "EUR",
        "status": LineStatus.ATTRIBUTED.value,
        "rule_id": rule_id,
    }


def _allocation_values(
    line_id: int,
    maker_id: int | None,
    lot_id: int | None = None,
    rule_id: int | None = None,
    resolves_id: int | None = None,
) -> dict[str, Any]:
    return {
        "line_id": line_id,
        "maker_id": maker_id,
        "lot_id": lot_id,
        "rule_id": rule_id,
        "resolves_id": resolves_id,
        "quantity": D(1),
        "amount": D("8.00"),
    }


def _consumption_values(lot_id: int, key: str) -> dict[str, Any]:
    return {"lot_id": lot_id, "order_line_key": "1:L1", "quantity": 1, "idempotency_key": key}


def _values(model: type[Model], sale: dict[str, Any], key: str) -> dict[str, Any]:
    """A valid new row of ``model`` pointing at the sale's parents."""
    if model is SaleOrder:
        return _order_values(sale, key)
    if model is SaleLine:
        return _line_values(sale["order"].pk, sale["rule"].pk, key)
    if model is Allocation:
        return _allocation_values(
            sale["line"].pk, sale["maker"].pk, sale["lot"].pk, sale["rule"].pk, sale["allocation"].pk
        )
    return _consumption_values(sale["lot"].pk, key)


def _unused_id(model: type[Model]) -> int:
    """An id no row has or will have: taken from the table's own sequence."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [model._meta.db_table])
        return cursor.fetchone()[0]


def _insert_sql(objs: list[Model]) -> None:
    """One multi-row INSERT statement written by hand (no ORM write): the values Django would send."""
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    rows = [
        [
            now
            if getattr(f, "auto_now_add", False)
            else f.get_db_prep_save(getattr(obj, f.attname), connection)
            for f in fields
        ]
        for obj in objs
    ]
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(f.column for f in fields)}) VALUES "  # noqa: S608
            + ", ".join([row_sql] * len(rows)),
            [value for row in rows for value in row],
        )


def _ids(model: type[Model]) -> list[int]:
    return sorted(model.objects.values_list("pk", flat=True))


def _refused(match: str) -> Any:
    return pytest.raises(IntegrityError, match=match)


# Every reference these triggers check: (child, column, parent).
REFERENCES = [
    (SaleOrder, "installation_id", Installation),
    (SaleOrder, "initiative_id", Initiative),
    (SaleLine, "rule_id", AttributionRule),
    (Allocation, "maker_id", Maker),
    (Allocation, "lot_id", ProductionLot),
    (Allocation, "rule_id", AttributionRule),
    (Allocation, "resolves_id", Allocation),
    (LotConsumption, "lot_id", ProductionLot),
]
REFERENCE_IDS = [f"{child.__name__}.{column}" for child, column, _ in REFERENCES]


# --- a child whose parent does not exist -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["sql", "orm", "copy"])
@pytest.mark.parametrize(("child", "column", "parent"), REFERENCES, ids=REFERENCE_IDS)
def test_a_sale_record_pointing_at_a_missing_parent_is_refused(sale, how, child, column, parent):
    before = _ids(child)
    values = _values(child, sale, "new")
    values[column] = missing = _unused_id(parent)
    child_table, parent_table = child._meta.db_table, parent._meta.db_table

    with (
        _refused(f"{child_table}.{column} = {missing} has no row in {parent_table}") as refused,
        transaction.atomic(),
    ):
        if how == "sql":
            _insert_sql([child(**values)])
        elif how == "orm":
            child.objects.create(**values)
        else:
            services._copy_insert(child, [child(**values)])

    assert violated_constraint(refused.value) == f"{child_table}_{column}_exists"
    assert _ids(child) == before


@pytest.mark.django_db
def test_a_statement_with_one_bad_row_among_good_ones_inserts_nothing(sale):
    line, maker, lot, rule = sale["line"], sale["maker"], sale["lot"], sale["rule"]
    good = [_allocation_values(line.pk, maker.pk, lot.pk, rule.pk) for _ in range(3)]
    allocations, consumptions = _ids(Allocation), _ids(LotConsumption)

    bad_maker = _allocation_values(line.pk, _unused_id(Maker), lot.pk, rule.pk)
    with _refused("ledger_allocation.maker_id"), transaction.atomic():
        _insert_sql([Allocation(**values) for values in [*good, bad_maker, *good]])
    bad_lot = _allocation_values(line.pk, maker.pk, _unused_id(ProductionLot), rule.pk)
    with _refused("ledger_allocation.lot_id"), transaction.atomic():
        services._copy_insert(Allocation, [Allocation(**values) for values in [*good, bad_lot]])
    bad_rule = _allocation_values(line.pk, maker.pk, lot.pk, _unused_id(AttributionRule))
    with _refused("ledger_allocation.rule_id"), transaction.atomic():
        Allocation.objects.bulk_create([Allocation(**values) for values in [bad_rule, *good]])
    missing_lot = _unused_id(ProductionLot)
    with _refused(f"catalog_lotconsumption.lot_id = {missing_lot}"), transaction.atomic():
        LotConsumption.objects.bulk_create(
            LotConsumption(**_consumption_values(lot_id, f"b{k}"))
            for k, lot_id in enumerate([lot.pk, lot.pk, missing_lot, lot.pk])
        )

    assert (_ids(Allocation), _ids(LotConsumption)) == (allocations, consumptions)


@pytest.mark.django_db
def test_a_sale_record_without_the_optional_parents_is_accepted(sale):
    # unattributed pieces (no maker), lines without a rule, orders not yet attributed to an initiative
    order = SaleOrder.objects.create(**{**_order_values(sale, "O2"), "initiative_id": None})
    line = SaleLine(**_line_values(order.pk, None, "L2"))
    _insert_sql([line])
    line = SaleLine.objects.get(order=order)

    _insert_sql([Allocation(**_allocation_values(line.pk, maker_id=None))])

    assert Allocation.objects.get(line=line).maker_id is None


# --- what the attribution writes --------------------------------------------------------------------------


@pytest.mark.django_db
def test_sale_records_written_by_copy_in_one_transaction_are_accepted(parents, make_maker, make_lot):
    # As services._Writes.flush writes them: orders, lines, allocations, consumptions, each in one COPY.
    makers = [parents["maker"], make_maker("Jan"), make_maker("Amal")]
    lots = [make_lot(maker, VARIANT, 10) for maker in makers]
    with transaction.atomic():
        orders = [SaleOrder(**_order_values(parents, f"B{k}")) for k in range(10)]
        services._copy_insert(SaleOrder, orders)
        lines = [SaleLine(**_line_values(orders[k // 3].pk, parents["rule"].pk, f"B{k}")) for k in range(30)]
        services._copy_insert(SaleLine, lines)
        ids = services._Ids(Allocation)
        allocations = [
            Allocation(id=ids.take(), **_allocation_values(line.pk, None if k % 5 == 0 else makers[k % 3].pk))
            for k, line in enumerate(lines)
        ]
        allocations += [  # resolving queued ones of the same statement, from lots or by the rule
            Allocation(
                **_allocation_values(
                    queued.line_id, makers[k % 3].pk, lots[k % 3].pk, parents["rule"].pk, queued.pk
                )
            )
            for k, queued in enumerate(allocations)
            if queued.maker_id is None
        ]
        services._copy_insert(Allocation, allocations)
        services._copy_insert(
            LotConsumption,
            [LotConsumption(**_consumption_values(lots[k % 3].pk, f"B{k}")) for k in range(30)],
            keys=False,
        )

    assert (SaleOrder.objects.count(), SaleLine.objects.count()) == (10, 30)
    assert (Allocation.objects.count(), Allocation.objects.exclude(resolves=None).count()) == (36, 6)
    assert LotConsumption.objects.count() == 30


@pytest.mark.django_db
def test_sale_records_written_by_bulk_create_in_one_transaction_are_accepted(parents):
    with transaction.atomic():
        (order,) = SaleOrder.objects.bulk_create([SaleOrder(**_order_values(parents, "O3"))])
        lines = SaleLine.objects.bulk_create(
            SaleLine(**_line_values(order.pk, parents["rule"].pk, f"L{k}")) for k in range(4)
        )
        Allocation.objects.bulk_create(
            Allocation(
                **_allocation_values(line.pk, parents["maker"].pk, parents["lot"].pk, parents["rule"].pk)
            )
            for line in lines
        )
        LotConsumption.objects.bulk_create(
            LotConsumption(**_consumption_values(parents["lot"].pk, f"k{k}")) for k in range(4)
        )

    assert Allocation.objects.filter(line__order=order, maker=parents["maker"]).count() == 4
    assert LotConsumption.objects.filter(lot=parents["lot"]).count() == 4


# --- an order's initiative, set later ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_order_s_initiative_set_later_must_exist(parents):
    order = SaleOrder.objects.create(**{**_order_values(parents, "O4"), "initiative_id": None})
    missing = _unused_id(Initiative)
    update = "UPDATE ledger_saleorder SET initiative_id = %s, note = 'x' WHERE id = %s"

    with (
        _refused(f"ledger_saleorder.initiative_id = {missing} has no row in makers_initiative") as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(update, [missing, order.pk])
    assert violated_constraint(refused.value) == "ledger_saleorder_initiative_id_exists"
    with _refused("initiative_id = "), transaction.atomic():
        SaleOrder.objects.filter(pk=order.pk).update(initiative_id=missing)
    order.initiative_id = missing
    with _refused("initiative_id = "), transaction.atomic():
        order.save()
    assert SaleOrder.objects.get(pk=order.pk).initiative_id is None

    other = Initiative.objects.create(name="Oost", legal_name="Stichting Oost")
    with connection.cursor() as cursor:
        cursor.execute(update, [parents["initiative"].pk, order.pk])
    assert SaleOrder.objects.get(pk=order.pk).initiative_id == parents["initiative"].pk
    SaleOrder.objects.filter(pk=order.pk).update(initiative=other)
    assert SaleOrder.objects.get(pk=order.pk).initiative_id == other.pk


# --- parents are kept while referenced ---------------------------------------------------------------------


def _new_parent(sale: dict[str, Any], parent: type[Model]) -> Model:
    """A new row of ``parent`` that nothing references."""
    initiative = sale["initiative"]
    if parent is Installation:
        return Installation.objects.create(
            api_url="https://other.saleor.test/graphql/",
            app_id="QXBwOjI=",
            token_encrypted="-",
            jwks_fetched_at=timezone.now(),
            installed_at=timezone.now(),
        )
    if parent is Initiative:
        return Initiative.objects.create(name="Oost", legal_name="Stichting Oost")
    if parent is Maker:
        return Maker.objects.create(
            initiative=initiative, display_name="Jan", email="jan@example.org", internal_reference="ref-Jan"
        )
    if parent is AttributionRule:
        return AttributionRule.objects.create(
            initiative=initiative, saleor_product_id="UHJvZHVjdDo5", valid_from=BASE_TIME
        )
    if parent is ProductionLot:
        return ProductionLot.objects.create(
            initiative=initiative,
            maker=sale["maker"],
            saleor_variant_id=VARIANT,
            quantity=1,
            idempotency_key="lot-new",
            booked_at=timezone.now(),
        )
    assert parent is Allocation
    return Allocation.objects.create(**_allocation_values(sale["line"].pk, maker_id=None))


def _referenced_once(sale: dict[str, Any], child: type[Model], column: str, parent: type[Model]) -> Model:
    """A new parent row that exactly one new ``child`` row references through ``column``, and nothing else."""
    row = _new_parent(sale, parent)
    values = _values(child, sale, "once")
    if child is Allocation:
        values.update(lot_id=None, rule_id=None, resolves_id=None)
    values[column] = row.pk
    child.objects.create(**values)
    return row


# Allocations are never deleted at all (migration 0005).
PARENTS = [(child, column, parent) for child, column, parent in REFERENCES if parent is not Allocation]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("child", "column", "parent"), PARENTS, ids=[f"{c.__name__}.{col}" for c, col, _ in PARENTS]
)
def test_deleting_a_parent_a_sale_record_references_is_refused(sale, child, column, parent):
    row = _referenced_once(sale, child, column, parent)
    parent_table, child_table = parent._meta.db_table, child._meta.db_table

    with (
        _refused(
            f"DELETE of {parent_table} row {row.pk} refused: {child_table}.{column} references it"
        ) as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {parent_table} WHERE id = %s", [row.pk])  # noqa: S608
    # the ORM finds the reference first (PROTECT), as before
    with pytest.raises(ProtectedError), transaction.atomic():
        row.delete()

    assert violated_constraint(refused.value) == f"{child_table}_{column}_exists"
    assert parent.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["sql", "orm"])
def test_parents_nothing_references_can_still_be_deleted(parents, how):
    initiative = Initiative.objects.create(name="Oost", legal_name="Stichting Oost")
    maker = Maker.objects.create(
        initiative=initiative, display_name="Jan", email="jan@example.org", internal_reference="ref-Jan"
    )
    rule = AttributionRule.objects.create(
        initiative=initiative, saleor_variant_id=VARIANT, valid_from=BASE_TIME
    )
    lot = ProductionLot.objects.create(
        initiative=initiative,
        maker=maker,
        saleor_variant_id=VARIANT,
        quantity=1,
        idempotency_key="lot-free",
        booked_at=timezone.now(),
    )
    installation = Installation.objects.create(
        api_url="https://other.saleor.test/graphql/",
        app_id="QXBwOjI=",
        token_encrypted="-",
        jwks_fetched_at=timezone.now(),
        installed_at=timezone.now(),
    )
    rows: list[Model] = [lot, rule, maker, initiative, installation]  # children first

    for row in rows:
        if how == "orm":
            row.delete()
        else:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {row._meta.db_table} WHERE id = %s", [row.pk])  # noqa: S608

    assert not any(type(row).objects.filter(pk=row.pk).exists() for row in rows)
    assert Maker.objects.filter(pk=parents["maker"].pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("parent", ["installation", "initiative", "maker", "rule", "lot"])
def test_a_parent_s_id_never_changes(sale, parent):
    row = sale[parent]

    with (
        _refused(f"{row._meta.db_table}.id of row {row.pk} is kept"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {row._meta.db_table} SET id = id + 1000 WHERE id = %s", [row.pk])  # noqa: S608

    assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "column", "parent"),
    [
        ("order", "installation_id", Installation),
        ("line", "rule_id", AttributionRule),
        ("allocation", "maker_id", Maker),
        ("allocation", "lot_id", ProductionLot),
        ("allocation", "rule_id", AttributionRule),
        ("allocation", "resolves_id", Allocation),
        ("consumption", "lot_id", ProductionLot),
    ],
)
def test_a_sale_record_s_recorded_references_never_change_even_to_an_existing_row(sale, kind, column, parent):
    row = sale[kind]
    table = row._meta.db_table
    other = _new_parent(sale, parent)

    with (
        _refused(f"{table}.{column} of row {row.pk} is kept: changing it to {other.pk}"),
        transaction.atomic(),
    ):
        type(row).objects.filter(pk=row.pk).update(**{column: other.pk})
    with (
        _refused(f"{table}.{column} of row {row.pk} is kept"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [other.pk, row.pk])  # noqa: S608

    assert getattr(type(row).objects.get(pk=row.pk), column) == getattr(row, column)


@pytest.mark.django_db
def test_saving_sale_records_with_their_references_unchanged_still_works(sale):
    allocation, line = sale["allocation"], sale["line"]
    allocation.resolved_at = timezone.now()
    allocation.save()
    line.status = LineStatus.PARTLY_UNATTRIBUTED
    line.save()
    SaleOrder.objects.filter(pk=sale["order"].pk).update(note="seen")

    assert Allocation.objects.get(pk=allocation.pk).resolved_at == allocation.resolved_at
    assert SaleLine.objects.get(pk=line.pk).status == LineStatus.PARTLY_UNATTRIBUTED


# --- concurrency: an insert and a delete of its parent in two transactions --------------------------------


def _connect() -> psycopg.Connection:
    """A second connection to the test database, beside Django's."""
    settings = connection.settings_dict
    given = {
        "dbname": settings["NAME"],
        "user": settings["USER"],
        "password": settings["PASSWORD"],
        "host": settings["HOST"],
        "port": settings["PORT"],
    }
    return psycopg.connect(**{key: value for key, value in given.items() if value})


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _waits_for(waiter: int, holder: int) -> bool:
    """Whether backend ``waiter`` is (within 10 s) waiting for a lock that backend ``holder`` holds."""
    with _connect() as monitor:
        for _ in range(1000):
            if monitor.execute("SELECT %s = ANY (pg_blocking_pids(%s))", [holder, waiter]).fetchone()[0]:
                return True
            time.sleep(0.01)
    return False


def _start(work: Callable[[], None]) -> tuple[dict[str, Any], Callable[[], None]]:
    """Start ``work`` in a thread with its own Django connection. Returns what it reports (``pid``: its
    backend, at once; ``error``: what it raised, once finished) and a function that waits for it to finish."""
    outcome: dict[str, Any] = {}
    started = threading.Event()

    def run() -> None:
        try:
            outcome["pid"] = _backend_pid()
            started.set()
            work()
        except Exception as exc:
            outcome["error"] = exc
        finally:
            started.set()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    started.wait(10)

    def finish() -> None:
        thread.join(30)
        assert not thread.is_alive(), "the competing transaction never finished"

    return outcome, finish


@pytest.fixture
def line_and_new_maker(parents) -> tuple[SaleLine, Maker]:
    """A committed line, and a maker nothing references yet (so only the triggers can keep it)."""
    order = SaleOrder.objects.create(**_order_values(parents, "O9"))
    line = SaleLine.objects.create(**_line_values(order.pk, None, "L9"))
    maker = Maker.objects.create(
        initiative=parents["initiative"], display_name="Jan", email="jan@example.org", internal_reference="j"
    )
    return line, maker


@pytest.mark.django_db(transaction=True)
def test_a_delete_waits_for_an_uncommitted_insert_then_sees_its_rows_and_fails(line_and_new_maker):
    line, maker = line_and_new_maker

    def delete_the_maker() -> None:  # as the admin would: PROTECT's query finds no allocation yet
        Maker.objects.filter(pk=maker.pk).delete()

    with transaction.atomic():  # T1: inserts an allocation for the maker and holds on
        services._copy_insert(Allocation, [Allocation(**_allocation_values(line.pk, maker.pk))])
        deleter, finish = _start(delete_the_maker)  # T2
        blocked = _waits_for(deleter["pid"], _backend_pid())
    finish()  # T1 committed: T2 went on

    assert blocked
    error = deleter["error"]
    assert isinstance(error, IntegrityError)
    assert violated_constraint(error) == "ledger_allocation_maker_id_exists"
    assert f"DELETE of makers_maker row {maker.pk} refused: ledger_allocation.maker_id references it" in str(
        error
    )
    assert Allocation.objects.filter(maker=maker).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_insert_waits_for_an_uncommitted_delete_of_its_parent_then_fails(line_and_new_maker):
    line, maker = line_and_new_maker

    with _connect() as deleter:  # T2: deletes the maker first and holds on
        deleter.execute("DELETE FROM makers_maker WHERE id = %s", [maker.pk])
        inserter, finish = _start(  # T1
            lambda: Allocation.objects.create(**_allocation_values(line.pk, maker.pk))
        )
        blocked = _waits_for(inserter["pid"], deleter.info.backend_pid)
        deleter.commit()
        finish()

    assert blocked
    error = inserter["error"]
    assert isinstance(error, IntegrityError)
    assert f"ledger_allocation.maker_id = {maker.pk} has no row in makers_maker" in str(error)
    assert violated_constraint(error) == "ledger_allocation_maker_id_exists"
    assert not Allocation.objects.filter(line=line).exists()
    assert not Maker.objects.filter(pk=maker.pk).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("level", ["REPEATABLE READ", "SERIALIZABLE"])
def test_a_delete_under_a_transaction_snapshot_is_refused(line_and_new_maker, level):
    # Its snapshot would miss an allocation committed after it was taken, as this one is.
    line, maker = line_and_new_maker

    with _connect() as deleter:
        deleter.execute(f"SET TRANSACTION ISOLATION LEVEL {level}")
        deleter.execute("SELECT count(*) FROM ledger_allocation")  # the snapshot is taken
        Allocation.objects.create(**_allocation_values(line.pk, maker.pk))  # committed meanwhile
        with pytest.raises(psycopg.errors.FeatureNotSupported, match=f"refused under {level}"):
            deleter.execute("DELETE FROM makers_maker WHERE id = %s", [maker.pk])
        deleter.rollback()

    assert Maker.objects.filter(pk=maker.pk).exists()


# --- indexes ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "column", "index"),
    [
        (SaleOrder, "installation_id", "sale_order_unique"),
        (SaleOrder, "initiative_id", "ledger_saleorder_initiative_id"),
        (SaleLine, "order_id", "sale_line_unique"),
        (SaleLine, "rule_id", "sale_line_rule_idx"),
        (Allocation, "maker_id", "ledger_allocation_maker_id"),
        (Allocation, "lot_id", "allocation_lot_idx"),
        (Allocation, "rule_id", "allocation_rule_idx"),
        (Allocation, "resolves_id", "allocation_resolves_idx"),
        (LotConsumption, "lot_id", "catalog_lotconsumption_lot_id"),
    ],
)
def test_lookups_by_a_parent_use_an_index(sale, model, column, index):
    # The parents' delete checks (ledger_keeps_*: a generic plan for the trigger's parameter, with
    # enable_seqscan off as those functions run) and Django's PROTECT query (IN).
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        check = f"SELECT EXISTS (SELECT FROM {table} WHERE {column} = $1)"  # noqa: S608
        cursor.execute(f"PREPARE delete_check(bigint) AS {check}")
        cursor.execute("EXPLAIN EXECUTE delete_check(1)")
        delete_check = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE delete_check")
        protect = model.objects.filter(**{f"{column}__in": [1, 2, 3]}).explain()

    assert index in delete_check
    assert index in protect
