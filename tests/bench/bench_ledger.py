"""`make bench` (part 2): attribution throughput and balance reads.

1. 50,000 order lines (a realistic mix: a third of the variants have production lots, the rest share rules
   with one to three makers) turned into ledger entries on the production path: one ORDER_FULLY_PAID
   delivery per order stored in the webhook inbox as the intake stores it, then the Celery task
   (``saleor_app.delivery_process``) called once per delivery in arrival order, as a worker would run them:
   the first takes a batch of waiting rows (docs/adr/0007), the tasks of rows already done return at once.
   Against a plain bulk_create of the same number of entry rows, in the same run: in five slices, each
   right after a fifth of the attribution, so both are timed on the same machine state.
   Goal (issue 3): >= 2,000 lines/s and >= 30% of the plain insert rate.
   Then the database's share of it: the rows the attribution wrote (orders, sale lines, allocations, lot
   consumptions, entries, audit events) are copied out, the tables emptied, and the same rows written again
   with COPY in as many transactions as the task runs used, with their indexes, constraints and foreign-key
   checks, and timed: ``db_writes_only_lines_per_s``. What the attribution takes beyond that is our process
   (parsing, planning, formatting rows) and the reads.
2. A maker's current balance and month earnings with 100,000 entries in their history: < 5 ms per query.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from tests.bench.database import fresh_database

ROOT = Path(__file__).resolve().parents[2]
DB_NAME = "rode_draad_bench_ledger"
_SLICES = 5  # attribution and plain insert alternate this many times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--history", type=int, default=100_000)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = fresh_database(DB_NAME)
    os.environ["DJANGO_SETTINGS_MODULE"] = "backend.settings.test"  # DEBUG off, no query log
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    results = {**attribution(args.lines), **balance_reads(args.history)}
    print(json.dumps(results, indent=2))
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "ledger.json").write_text(json.dumps(results, indent=2))
    return 0


def attribution(total_lines: int) -> dict[str, object]:
    from django.db import connection
    from django.utils import timezone

    from shop_extensions.catalog.models import AttributionRule, AttributionShare, ProductionLot
    from shop_extensions.core import crypto
    from shop_extensions.ledger.models import EarningEntry, SaleLine
    from shop_extensions.makers.models import Initiative, Maker, SalesChannel
    from shop_extensions.saleor_app.models import Installation, WebhookDelivery
    from shop_extensions.saleor_app.tasks import delivery_process_task
    from tests.ledger.builders import Line, Order, Step, payload

    rng = random.Random(29)
    now = timezone.now()
    installation = Installation.objects.create(
        api_url="https://bench.saleor.test/graphql/", app_id="A", token_encrypted=crypto.encrypt("t"), jwks={},
        jwks_fetched_at=now, installed_at=now,
    )  # fmt: skip
    initiative = Initiative.objects.create(name="Bench", legal_name="Bench", installation=installation)
    SalesChannel.objects.create(installation=installation, initiative=initiative, channel_slug="atelier-west")
    makers = [
        Maker.objects.create(
            initiative=initiative, display_name=f"M{i}", email=f"m{i}@x.org", internal_reference=f"{i}"
        )
        for i in range(20)
    ]
    variants = [f"V{i}" for i in range(60)]
    for n, variant in enumerate(variants):
        rule = AttributionRule.objects.create(initiative=initiative, saleor_variant_id=variant,
                                              valid_from=now - timedelta(days=400))  # fmt: skip
        chosen = rng.sample(makers, rng.randint(1, 3))
        percents = {1: ["100"], 2: ["60", "40"], 3: ["33.34", "33.33", "33.33"]}[len(chosen)]
        for maker, pct in zip(chosen, percents, strict=True):
            AttributionShare.objects.create(rule=rule, maker=maker, percent=Decimal(pct))
        if n % 3 == 0:  # a third of the variants are made in lots
            for k in range(4):
                ProductionLot.objects.create(
                    initiative=initiative, maker=rng.choice(makers), saleor_variant_id=variant,
                    quantity=total_lines // 10, idempotency_key=f"lot-{variant}-{k}",
                    booked_at=now - timedelta(days=300 - k), stock_sync="synced",
                )  # fmt: skip

    orders = []
    made = 0
    while made < total_lines:
        lines = [
            Line(
                f"L{made + i}", rng.choice(variants), rng.randint(1, 3), Decimal(rng.randint(500, 4000)) / 100
            )
            for i in range(min(rng.randint(1, 4), total_lines - made))
        ]
        made += len(lines)
        order = Order(f"O{len(orders)}", lines)
        orders.append(payload(order, Step("order_fully_paid", charged=order.total)))

    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(installation=installation, event="order_fully_paid",
                        event_key=f"order_fully_paid:{body['order']['id']}:{body['issuedAt']}",
                        body=saleor_json(body), body_sha256="-",
                        issued_at=body["issuedAt"], subject_id=body["order"]["id"], enqueued_at=now)
        for body in orders
    )  # fmt: skip
    delivery_ids = list(WebhookDelivery.objects.order_by("received_at", "pk").values_list("pk", flat=True))

    # The plain insert is timed in slices between slices of the attribution, so both see the same machine
    # (a shared machine's speed drifts by tens of percent within a minute) and the same table sizes.
    attribution_seconds = plain_seconds = 0.0
    outcomes: Counter[str] = Counter()
    lines_before = 0
    plain_made = 0
    template_maker_id = makers[0].pk
    for part in range(_SLICES):
        chunk = delivery_ids[part * len(delivery_ids) // _SLICES : (part + 1) * len(delivery_ids) // _SLICES]
        started = time.perf_counter()
        outcomes.update(delivery_process_task(delivery_id) for delivery_id in chunk)
        attribution_seconds += time.perf_counter() - started
        lines_now = SaleLine.objects.count()
        plain_rows = [
            EarningEntry(maker_id=template_maker_id, initiative_id=initiative.pk, kind="sale",
                         amount=Decimal("1.00"), currency="EUR", effective_at=now,
                         period=now.date().replace(day=1), idempotency_key=f"plain-{plain_made + i}")
            for i in range(lines_now - lines_before)
        ]  # fmt: skip
        started = time.perf_counter()
        EarningEntry.objects.bulk_create(plain_rows, batch_size=1000)
        plain_seconds += time.perf_counter() - started
        plain_made += len(plain_rows)
        lines_before = lines_now
    entries = EarningEntry.objects.exclude(idempotency_key__startswith="plain-").count()
    assert outcomes["processed"] + outcomes["already-done"] == len(orders), outcomes
    assert SaleLine.objects.count() == total_lines == plain_made

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    lines_per_s = total_lines / attribution_seconds
    plain_per_s = total_lines / plain_seconds
    writes_seconds = _writes_replayed(batches=outcomes["processed"])
    return {
        "lines": total_lines,
        "orders": len(orders),
        "entries_posted": entries,
        "task_runs_that_took_a_batch": outcomes["processed"],
        "attribution_lines_per_s": round(lines_per_s, 1),
        "plain_bulk_create_rows_per_s": round(plain_per_s, 1),
        "attribution_over_plain": round(lines_per_s / plain_per_s, 3),
        "db_writes_only_lines_per_s": round(total_lines / writes_seconds, 1),
        "db_writes_only_over_plain": round(total_lines / writes_seconds / plain_per_s, 3),
        "db_writes_share_of_attribution": round(writes_seconds / attribution_seconds, 3),
    }


# What the attribution writes, in foreign-key order; each row's order (for splitting into transactions).
_WRITTEN = {
    "ledger_saleorder": "id",
    "ledger_saleline": "order_id",
    "ledger_allocation": "(SELECT l.order_id FROM ledger_saleline l WHERE l.id = line_id)",
    "catalog_lotconsumption": None,  # references lots only
    "ledger_earningentry": "order_id",
    "core_auditevent": "subject_id::bigint",
}


def _writes_replayed(*, batches: int) -> float:
    """Seconds the database takes to write the attribution's rows again (see the module docstring)."""
    import bisect
    import io

    from django.db import connection, transaction

    rows: dict[str, list[tuple[int, bytes]]] = {}
    with connection.cursor() as cursor:
        for table, order_of in _WRITTEN.items():
            where = " WHERE idempotency_key NOT LIKE 'plain-%'" if table == "ledger_earningentry" else ""
            order_expr = order_of or "0"
            # Table names and expressions are this module's constants; no parameters, so % is literal.
            cursor.execute(f"SELECT {order_expr} FROM {table}{where} ORDER BY id")  # noqa: S608
            orders = [row[0] for row in cursor.fetchall()]
            buffer = io.BytesIO()
            with cursor.copy(
                f"COPY (SELECT * FROM {table}{where} ORDER BY id) TO STDOUT"  # noqa: S608
            ) as copy:
                for chunk in copy:
                    buffer.write(chunk)
            lines = buffer.getvalue().splitlines(keepends=True)
            assert len(lines) == len(orders), table
            rows[table] = list(zip(orders, lines, strict=True))
        # A bench database: the append-only trigger is lifted only to empty the tables for the replay.
        cursor.execute("ALTER TABLE ledger_earningentry DISABLE TRIGGER USER")
        cursor.execute(f"TRUNCATE {', '.join([*_WRITTEN, 'ledger_makerperiodtotal'])}")
        cursor.execute("ALTER TABLE ledger_earningentry ENABLE TRIGGER USER")
        cursor.execute("ANALYZE")
    order_ids = sorted(order_id for order_id, _ in rows["ledger_saleorder"])
    bounds = [order_ids[k * len(order_ids) // batches] for k in range(1, batches)]
    parts: dict[str, list[list[bytes]]] = {table: [[] for _ in range(batches)] for table in _WRITTEN}
    for table, table_rows in rows.items():
        for i, (order_id, line) in enumerate(table_rows):
            k = bisect.bisect_right(bounds, order_id) if _WRITTEN[table] else i * batches // len(table_rows)
            parts[table][k].append(line)
    started = time.perf_counter()
    for k in range(batches):
        with transaction.atomic(), connection.cursor() as cursor:
            for table in _WRITTEN:
                with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    copy.write(b"".join(parts[table][k]))
    return time.perf_counter() - started


def saleor_json(body: dict) -> bytes:
    """The body as Saleor sends it: amounts as JSON numbers (written from their Decimal text, never a float)."""
    text = json.dumps(body, default=lambda value: f"<num>{value}</num>")
    return text.replace('"<num>', "").replace('</num>"', "").encode()


def balance_reads(history: int) -> dict[str, object]:
    from django.utils import timezone

    from shop_extensions.ledger import selectors
    from shop_extensions.ledger.models import EarningEntry
    from shop_extensions.ledger.services import entries_post
    from shop_extensions.makers.models import Initiative, Maker

    initiative = Initiative.objects.get(name="Bench")
    maker = Maker.objects.create(
        initiative=initiative, display_name="Veteran", email="v@x.org", internal_reference="v"
    )
    start = datetime(2020, 1, 1, tzinfo=UTC)
    step = (datetime(2026, 11, 1, tzinfo=UTC) - start) / history
    batch: list[EarningEntry] = []
    for i in range(history):
        when = start + step * i
        batch.append(EarningEntry(maker=maker, initiative=initiative, kind="sale", amount=Decimal("2.50"),
                                  currency="EUR", effective_at=when,
                                  period=timezone.localtime(when).date().replace(day=1),
                                  idempotency_key=f"hist-{i}"))  # fmt: skip
        if len(batch) == 5000:
            entries_post(entries=batch)
            batch = []
    entries_post(entries=batch)

    def timed(fn, n: int = 300) -> float:
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t) * 1000)
        return statistics.median(samples)

    month = timezone.localdate().replace(day=1)
    balance = selectors.maker_balance(maker=maker, currency="EUR")
    assert balance == Decimal("2.50") * history, balance
    return {
        "history_entries": history,
        "balance_ms_median": round(timed(lambda: selectors.maker_balance(maker=maker, currency="EUR")), 3),
        "balance_as_of_ms_median": round(
            timed(
                lambda: selectors.maker_balance(
                    maker=maker, currency="EUR", as_of=timezone.now() - timedelta(days=400)
                )
            ),
            3,
        ),
        "month_earnings_ms_median": round(
            timed(lambda: selectors.maker_month_earnings(maker=maker, currency="EUR", month=month)), 3
        ),
    }


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
