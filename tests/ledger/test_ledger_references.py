"""References between ledger rows (line -> order, allocation -> line, entry -> order/line/allocation) have no
foreign keys; triggers hold the same guarantee (migration 0005): a child must point at an existing parent
when its statement ends, its reference never changes, and a parent is never deleted nor renumbered."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, ProtectedError
from django.utils import timezone

from shop_extensions.core.transactions import violated_constraint
from shop_extensions.ledger import services
from shop_extensions.ledger.models import Allocation, EarningEntry, LineStatus, SaleLine, SaleOrder

D = Decimal


@pytest.fixture
def sale(installation, initiative, make_maker) -> dict[str, Any]:
    """An order with one line, its allocation to a maker and that allocation's sale entry."""
    maker = make_maker("Fatima")
    order = SaleOrder.objects.create(
        installation=installation, saleor_order_id="O1", initiative=initiative, currency="EUR"
    )
    line = SaleLine.objects.create(**_line_values(order.pk, "L1"))
    allocation = Allocation.objects.create(line=line, maker=maker, quantity=D(1), amount=D("8.00"))
    entry = EarningEntry.objects.create(
        **_entry_values(maker.pk, initiative.pk, order.pk, line.pk, allocation.pk, "e1")
    )
    return {
        "maker": maker,
        "initiative": initiative,
        "order": order,
        "line": line,
        "allocation": allocation,
        "entry": entry,
    }


def _line_values(order_id: int, key: str) -> dict[str, Any]:
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
    }


def _allocation_values(line_id: int, maker_id: int) -> dict[str, Any]:
    return {"line_id": line_id, "maker_id": maker_id, "quantity": D(1), "amount": D("8.00")}


def _entry_values(
    maker_id: int,
    initiative_id: int,
    order_id: int | None,
    line_id: int | None,
    allocation_id: int | None,
    key: str,
) -> dict[str, Any]:
    return {
        "maker_id": maker_id,
        "initiative_id": initiative_id,
        "kind": "sale",
        "amount": D("8.00"),
        "currency": "EUR",
        "order_id": order_id,
        "line_id": line_id,
        "allocation_id": allocation_id,
        "effective_at": timezone.now(),
        "period": date(2026, 11, 1),
        "idempotency_key": key,
    }


def _unused_id(model: type[Model]) -> int:
    """An id no row has or will have: taken from the table's own sequence."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [model._meta.db_table])
        return cursor.fetchone()[0]


# Columns the ORM would fill from field defaults; a hand-written INSERT names them.
_DEFAULTS: dict[type[Model], dict[str, Any]] = {
    SaleLine: {"saleor_variant_id": "", "saleor_product_id": "", "sku": "", "product_name": "",
               "variant_name": "", "is_gift": False},
    Allocation: {},
    EarningEntry: {"quantity": D(0), "reference": "", "detail": "{}"},
}  # fmt: skip


def _insert_sql(model: type[Model], rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT statement, written by hand (no ORM)."""
    defaults = {**_DEFAULTS[model], "created_at": timezone.now()}
    columns = [*rows[0], *defaults]
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) VALUES "  # noqa: S608
            + ", ".join([row_sql] * len(rows)),
            [value for row in rows for value in [*row.values(), *defaults.values()]],
        )


def _refused(match: str) -> Any:
    return pytest.raises(IntegrityError, match=match)


# --- a child whose parent does not exist -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["sql", "orm"])
def test_a_sale_line_of_a_missing_order_is_refused(sale, how):
    missing = _unused_id(SaleOrder)

    with (
        _refused(f"ledger_saleline.order_id = {missing} has no row in ledger_saleorder") as refused,
        transaction.atomic(),
    ):
        if how == "sql":
            _insert_sql(SaleLine, [_line_values(missing, "L2")])
        else:
            SaleLine.objects.create(**_line_values(missing, "L2"))

    assert violated_constraint(refused.value) == "ledger_saleline_order_id_exists"
    assert list(SaleLine.objects.values_list("pk", flat=True)) == [sale["line"].pk]


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["sql", "orm"])
def test_an_allocation_of_a_missing_line_is_refused(sale, how):
    missing = _unused_id(SaleLine)

    with (
        _refused(f"ledger_allocation.line_id = {missing} has no row in ledger_saleline"),
        transaction.atomic(),
    ):
        if how == "sql":
            _insert_sql(Allocation, [_allocation_values(missing, sale["maker"].pk)])
        else:
            Allocation.objects.create(**_allocation_values(missing, sale["maker"].pk))

    assert list(Allocation.objects.values_list("pk", flat=True)) == [sale["allocation"].pk]


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["sql", "orm"])
@pytest.mark.parametrize(
    ("column", "parent"),
    [("order_id", SaleOrder), ("line_id", SaleLine), ("allocation_id", Allocation)],
)
def test_an_entry_of_a_missing_order_line_or_allocation_is_refused(sale, how, column, parent):
    values = _entry_values(
        sale["maker"].pk,
        sale["initiative"].pk,
        sale["order"].pk,
        sale["line"].pk,
        sale["allocation"].pk,
        "e2",
    )
    values[column] = missing = _unused_id(parent)

    with (
        _refused(f"ledger_earningentry.{column} = {missing} has no row in {parent._meta.db_table}"),
        transaction.atomic(),
    ):
        if how == "sql":
            _insert_sql(EarningEntry, [values])
        else:
            EarningEntry.objects.create(**values)

    assert list(EarningEntry.objects.values_list("pk", flat=True)) == [sale["entry"].pk]


@pytest.mark.django_db
def test_an_entry_without_order_line_or_allocation_is_accepted(sale):
    # payouts and pot spends belong to no sale
    values = _entry_values(sale["maker"].pk, sale["initiative"].pk, None, None, None, "payout-1")
    values.update(kind="payout", amount=D("-8.00"))

    _insert_sql(EarningEntry, [values])

    assert EarningEntry.objects.filter(idempotency_key="payout-1", order=None, line=None).count() == 1


# --- statements of many rows -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_multi_row_insert_with_one_bad_row_inserts_nothing(sale):
    order, maker = sale["order"], sale["maker"]
    missing = _unused_id(SaleLine)
    good = [_allocation_values(sale["line"].pk, maker.pk) for _ in range(3)]

    with _refused(f"line_id = {missing} has no row"), transaction.atomic():
        _insert_sql(Allocation, [*good, _allocation_values(missing, maker.pk), *good])
    with _refused(f"line_id = {missing} has no row"), transaction.atomic():
        Allocation.objects.bulk_create(
            [Allocation(**values) for values in [*good, _allocation_values(missing, maker.pk)]]
        )
    lines = [SaleLine(**_line_values(order.pk, f"C{k}")) for k in range(5)]
    lines[3].order_id = _unused_id(SaleOrder)
    with _refused("ledger_saleline.order_id"), transaction.atomic():
        services._copy_insert(SaleLine, lines)

    assert Allocation.objects.count() == 1
    assert SaleLine.objects.count() == 1


@pytest.mark.django_db
def test_parents_and_children_written_by_copy_in_one_transaction_are_accepted(sale):
    # Parents first, each table in one COPY, as the attribution writes them (services._Writes.flush).
    maker, initiative = sale["maker"], sale["initiative"]
    with transaction.atomic():
        orders = [
            SaleOrder(installation_id=sale["order"].installation_id, saleor_order_id=f"B{k}", currency="EUR")
            for k in range(20)
        ]
        services._copy_insert(SaleOrder, orders)
        lines = [SaleLine(**_line_values(orders[k // 3].pk, f"B{k}")) for k in range(60)]
        services._copy_insert(SaleLine, lines)
        allocations = [Allocation(**_allocation_values(line.pk, maker.pk)) for line in lines]
        services._copy_insert(Allocation, allocations)
        entries = [
            EarningEntry(
                **_entry_values(maker.pk, initiative.pk, line.order_id, line.pk, allocation.pk, f"B{k}")
            )
            for k, (line, allocation) in enumerate(zip(lines, allocations, strict=True))
        ]
        services._copy_insert(EarningEntry, entries, keys=False)

    assert (SaleOrder.objects.count(), SaleLine.objects.count()) == (21, 61)
    assert (Allocation.objects.count(), EarningEntry.objects.count()) == (61, 61)


@pytest.mark.django_db
def test_parents_and_children_written_by_bulk_create_in_one_transaction_are_accepted(sale):
    maker, initiative = sale["maker"], sale["initiative"]
    with transaction.atomic():
        order = SaleOrder.objects.create(installation_id=sale["order"].installation_id, saleor_order_id="O2")
        lines = SaleLine.objects.bulk_create([SaleLine(**_line_values(order.pk, f"L{k}")) for k in range(4)])
        allocations = Allocation.objects.bulk_create(
            [Allocation(**_allocation_values(line.pk, maker.pk)) for line in lines]
        )
        EarningEntry.objects.bulk_create(
            EarningEntry(**_entry_values(maker.pk, initiative.pk, order.pk, a.line_id, a.pk, f"k{a.pk}"))
            for a in allocations
        )

    assert SaleLine.objects.filter(order=order).count() == 4
    assert EarningEntry.objects.filter(order=order, allocation__in=allocations).count() == 4


# --- parents are kept ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["order", "line", "allocation"])
def test_deleting_an_order_line_or_allocation_with_raw_sql_is_refused(sale, kind):
    row = sale[kind]

    with (
        _refused(f"sale records are kept for the ledger: DELETE of {row._meta.db_table} row {row.pk}"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {row._meta.db_table} WHERE id = %s", [row.pk])  # noqa: S608

    assert type(row).objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_deleting_through_the_orm_is_refused(sale):
    # Rows something points at: Django's PROTECT, as before.
    for row in (sale["order"], sale["line"], sale["allocation"]):
        with pytest.raises(ProtectedError), transaction.atomic():
            row.delete()
    # Rows nothing points at: the database.
    installation_id = sale["order"].installation_id
    order = SaleOrder.objects.create(installation_id=installation_id, saleor_order_id="O3")
    other = SaleOrder.objects.create(installation_id=installation_id, saleor_order_id="O4")
    line = SaleLine.objects.create(**_line_values(other.pk, "L9"))
    allocation = Allocation.objects.create(**_allocation_values(sale["line"].pk, sale["maker"].pk))
    for row in (order, line, allocation):
        with _refused("sale records are kept"), transaction.atomic():
            row.delete()
        with _refused("sale records are kept"), transaction.atomic():
            type(row).objects.filter(pk=row.pk).delete()

    assert (SaleOrder.objects.count(), SaleLine.objects.count(), Allocation.objects.count()) == (3, 2, 2)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_saleorder SET id = id + 1000 WHERE id = %(order)s",
        "UPDATE ledger_saleline SET id = id + 1000 WHERE id = %(line)s",
        "UPDATE ledger_allocation SET id = id + 1000 WHERE id = %(allocation)s",
        "UPDATE ledger_saleline SET order_id = %(other_order)s WHERE id = %(line)s",
        "UPDATE ledger_allocation SET line_id = %(other_line)s WHERE id = %(allocation)s",
    ],
)
def test_changing_a_reference_or_an_id_is_refused_even_to_an_existing_row(sale, sql):
    other_order = SaleOrder.objects.create(
        installation_id=sale["order"].installation_id, saleor_order_id="O4"
    )
    other_line = SaleLine.objects.create(**_line_values(other_order.pk, "L4"))
    ids = {"order": sale["order"].pk, "line": sale["line"].pk, "allocation": sale["allocation"].pk}

    with _refused("is kept: changing it to"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, {**ids, "other_order": other_order.pk, "other_line": other_line.pk})

    assert SaleLine.objects.get(pk=ids["line"]).order_id == ids["order"]
    assert Allocation.objects.get(pk=ids["allocation"]).line_id == ids["line"]


@pytest.mark.django_db
def test_changing_a_reference_through_the_orm_is_refused(sale):
    other_order = SaleOrder.objects.create(
        installation_id=sale["order"].installation_id, saleor_order_id="O5"
    )
    line, allocation = sale["line"], sale["allocation"]

    line.order = other_order
    with _refused("ledger_saleline.order_id of row"), transaction.atomic():
        line.save()
    allocation.line_id = SaleLine.objects.create(**_line_values(other_order.pk, "L5")).pk
    with _refused("ledger_allocation.line_id of row"), transaction.atomic():
        allocation.save()
    with _refused("ledger_allocation.line_id of row"), transaction.atomic():
        Allocation.objects.filter(pk=allocation.pk).update(line_id=allocation.line_id)

    assert SaleLine.objects.get(pk=line.pk).order_id == sale["order"].pk
    assert Allocation.objects.get(pk=allocation.pk).line_id == line.pk


@pytest.mark.django_db
@pytest.mark.parametrize("column", ["order_id", "line_id", "allocation_id"])
def test_an_entry_s_references_never_change(sale, column):
    # entries refuse every UPDATE (migration 0002); this holds for their references too
    with _refused("append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE ledger_earningentry SET {column} = NULL WHERE id = %s", [sale["entry"].pk])  # noqa: S608


@pytest.mark.django_db
def test_updates_that_keep_the_keys_still_work(sale):
    # the attribution updates its orders, lines and allocations (state, status, resolution)
    now = timezone.now()

    SaleOrder.objects.filter(pk=sale["order"].pk).update(attributed_at=now, note="seen")
    SaleLine.objects.filter(pk=sale["line"].pk).update(status=LineStatus.PARTLY_UNATTRIBUTED)
    allocation = sale["allocation"]
    allocation.resolved_at = now
    allocation.save()

    assert SaleOrder.objects.get().note == "seen"
    assert SaleLine.objects.get().status == LineStatus.PARTLY_UNATTRIBUTED
    assert Allocation.objects.get().resolved_at == now
