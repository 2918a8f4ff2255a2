"""Two workers consuming the same variant's lots at the same moment, on real PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from shop_extensions.catalog import services
from shop_extensions.catalog.models import LotConsumption, ProductionLot

from ..makers.factories import make_initiative, make_lot, make_maker

V = "VARIANT-1"


def run_together(*jobs):
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)
    errors: list[BaseException] = []

    def worker(index, job):
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    return results


def sale(initiative_id, quantity, line, hold=0.2):
    def job():
        with transaction.atomic():
            from shop_extensions.makers.models import Initiative

            taken = services.lots_consume_fifo(
                initiative=Initiative.objects.get(pk=initiative_id),
                saleor_variant_id=V,
                quantity=quantity,
                order_line_key=line,
                idempotency_prefix=f"sale:{line}",
            )
            time.sleep(hold)  # keep the locks while the other worker tries
            return [(lot.pk, qty) for lot, qty in taken]

    return job


@pytest.fixture
def lots(db):
    initiative = make_initiative()
    t = timezone.now() - timedelta(days=1)
    made = [
        make_lot(initiative, make_maker(initiative, name), qty, booked_at=t + timedelta(minutes=i))
        for i, (name, qty) in enumerate([("Ann", 2), ("Bo", 3), ("Cas", 4)])
    ]
    return initiative, made


@pytest.mark.django_db(transaction=True)
def test_two_sales_at_once_never_over_consume_a_lot(lots):
    initiative, made = lots

    first, second = run_together(sale(initiative.pk, 6, "inst:A"), sale(initiative.pk, 6, "inst:B"))

    # One took all 6 it asked for, the other only the 3 left: 9 pieces, never more.
    assert sorted([sum(q for _, q in first), sum(q for _, q in second)]) == [3, 6]
    for lot in made:
        consumed = LotConsumption.objects.filter(lot=lot).aggregate(s=Sum("quantity"))["s"]
        assert consumed == lot.quantity


@pytest.mark.django_db(transaction=True)
def test_the_same_line_consumed_twice_at_once_is_consumed_once(lots):
    initiative, _ = lots

    first, second = run_together(sale(initiative.pk, 4, "inst:A"), sale(initiative.pk, 4, "inst:A"))

    assert first == second
    assert LotConsumption.objects.filter(order_line_key="inst:A").aggregate(s=Sum("quantity"))["s"] == 4
    assert ProductionLot.objects.count() == 3
