"""The ledger's invariants, held by the database as well as by the code."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from shop_extensions.ledger.models import AppendOnlyError, EarningEntry, MakerPeriodTotal
from tests.ledger.builders import Line, Order, Step, payload

D = Decimal
MASK = "UHJvZHVjdFZhcmlhbnQ6MzAw"


@pytest.fixture
def posted(make_maker, make_rule, apply):
    fatima = make_maker("Fatima")
    make_rule(MASK, [(fatima, "100")])
    order = Order("T3JkZXI6OTk=", [Line("L1", MASK, 1, D("12.10"))])
    apply(payload(order, Step("order_fully_paid", charged=order.total)), "order_fully_paid")
    return EarningEntry.objects.get()


@pytest.mark.django_db
def test_the_orm_refuses_to_update_or_delete_an_entry(posted):
    posted.amount = D("1000.00")
    with pytest.raises(AppendOnlyError):
        posted.save()
    with pytest.raises(AppendOnlyError):
        posted.delete()
    with pytest.raises(AppendOnlyError):
        EarningEntry.objects.filter(pk=posted.pk).update(amount=D("1000.00"))
    with pytest.raises(AppendOnlyError):
        EarningEntry.objects.filter(pk=posted.pk).delete()
    assert EarningEntry.objects.get().amount == D("8.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_earningentry SET amount = 1000 WHERE id = %s",
        "DELETE FROM ledger_earningentry WHERE id = %s",
    ],
)
def test_the_database_refuses_raw_sql_updates_and_deletes(posted, sql):
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [posted.pk])
    assert EarningEntry.objects.get().amount == D("8.00")


@pytest.mark.django_db
def test_check_constraints_refuse_a_zero_amount_and_a_negative_sale(posted):
    for kind, amount in [("sale", D("0.00")), ("sale", D("-1.00")), ("reversal", D("1.00"))]:
        with pytest.raises(IntegrityError), transaction.atomic():
            EarningEntry.objects.create(
                maker_id=posted.maker_id,
                initiative_id=posted.initiative_id,
                kind=kind,
                amount=amount,
                currency="EUR",
                effective_at=posted.effective_at,
                period=posted.period,
                idempotency_key=f"manual-{kind}-{amount}",
            )


@pytest.mark.django_db
def test_idempotency_keys_are_unique(posted):
    with pytest.raises(IntegrityError), transaction.atomic():
        EarningEntry.objects.create(
            maker_id=posted.maker_id,
            initiative_id=posted.initiative_id,
            kind="sale",
            amount=D("1.00"),
            currency="EUR",
            effective_at=posted.effective_at,
            period=posted.period,
            idempotency_key=posted.idempotency_key,
        )


@pytest.mark.django_db
def test_month_totals_follow_the_entries(posted):
    total = MakerPeriodTotal.objects.get()
    assert (total.amount, total.entries, total.period) == (D("8.00"), 1, posted.period)


@pytest.mark.django_db(transaction=True)
def test_two_workers_applying_the_same_event_at_the_same_moment_post_one_set_of_entries(
    make_maker, make_rule, installation
):
    from shop_extensions.ledger.services import order_snapshot_apply
    from shop_extensions.ledger.snapshot import parse_order

    fatima, jan = make_maker("Fatima"), make_maker("Jan")
    make_rule(MASK, [(fatima, "50"), (jan, "50")])
    order = Order("T3JkZXI6OTg=", [Line("L1", MASK, 3, D("12.10"))])
    body = payload(order, Step("order_fully_paid", charged=order.total))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            order_snapshot_apply(
                installation=installation,
                snapshot=parse_order(body),
                event="order_fully_paid",
                snapshot_key="k1",
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert EarningEntry.objects.count() == 2
    assert sorted(EarningEntry.objects.values_list("amount", flat=True)) == [D("12.00"), D("12.00")]
    assert MakerPeriodTotal.objects.filter(amount=D("12.00"), entries=1).count() == 2
