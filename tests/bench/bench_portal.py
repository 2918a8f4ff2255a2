"""The portal's *This month* page under load: `python -m tests.bench.bench_portal`.

Makers with 5 years of history each (a sale a day, with a monthly payout, and the ledger's month totals, as
the ledger keeps them), each with a benefit situation; the production settings under gunicorn (sync
workers) behind a stand-in TLS proxy header; ``--concurrency`` logged-in makers (50) requesting their page
back to back (saturation), then reading the page for ``--think`` seconds between clicks (the goal: p95 < 100 ms
with 50 concurrent users), then open-loop at ``--rate`` requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time

import httpx

from tests.bench.loadgen import Result, closed_loop, cycle, open_loop
from tests.bench.webserver import free_port, get_request, gunicorn, logged_in_session, production_django

DB_NAME = "rode_draad_bench_portal"
GOAL_P95_MS = 100.0


def seed(makers: int, years: int) -> tuple[list[str], int]:
    """Makers with ``years`` of history; returns one logged-in session key per maker and the entry count."""
    from datetime import date, datetime, timedelta
    from decimal import Decimal

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from shop_extensions.benefits.models import BenefitSituation
    from shop_extensions.ledger.models import EarningEntry, MakerPeriodTotal
    from shop_extensions.makers.models import Initiative, Maker

    initiative = Initiative.objects.create(name="Atelier West", legal_name="Stichting Atelier West")
    today = timezone.localdate()
    this_month = today.replace(day=1)
    months: list[date] = []
    month = this_month
    for _ in range(12 * years):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    keys: list[str] = []
    entries = 0
    user_model = get_user_model()
    for n in range(makers):
        user = user_model.objects.create_user(username=f"maker-{n}", email=f"maker{n}@example.test")
        maker = Maker.objects.create(
            initiative=initiative,
            display_name=f"Maker {n}",
            email=f"maker{n}@example.test",
            internal_reference=f"R-{n:04d}",
            user=user,
        )
        BenefitSituation.objects.create(
            maker=maker,
            regime="bijstand",
            household_type="single",
            date_of_birth=date(1985, 5, 5),
            free_period_started=this_month,
            income_basis="sale_date",
        )
        rows, totals = [], []
        for period in months:
            days = 28 if period != this_month else max(1, today.day)
            earned = Decimal(0)
            for day in range(days):
                at = timezone.make_aware(datetime(period.year, period.month, 1 + day, 12))
                amount = Decimal("7.50") + Decimal(day % 5)
                earned += amount
                rows.append(
                    EarningEntry(
                        maker=maker, initiative=initiative, kind="sale", amount=amount, currency="EUR",
                        quantity=Decimal(1), effective_at=at, period=period,
                        idempotency_key=f"bench:{n}:{period:%Y%m}:{day}",
                    )
                )  # fmt: skip
            paid = Decimal(0)
            if period != this_month:
                paid = -earned
                rows.append(
                    EarningEntry(
                        maker=maker, initiative=initiative, kind="payout", amount=paid, currency="EUR",
                        effective_at=timezone.make_aware(datetime(period.year, period.month, 28, 18)),
                        period=period, idempotency_key=f"bench:{n}:{period:%Y%m}:payout",
                        reference=f"payout-{n}-{period:%Y%m}",
                    )
                )  # fmt: skip
            totals.append(
                MakerPeriodTotal(
                    maker=maker, period=period, currency="EUR", amount=earned + paid, earned=earned,
                    paid_out=paid, entries=days + (1 if paid else 0),
                )
            )  # fmt: skip
        EarningEntry.objects.bulk_create(rows, batch_size=2000)
        MakerPeriodTotal.objects.bulk_create(totals)
        entries += len(rows)
        keys.append(logged_in_session(user, expiry=settings.PORTAL_SESSION_IDLE_SECONDS))
    return keys, entries


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--makers", type=int, default=50)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 4)))
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--think", type=float, default=1.0, help="seconds a user reads a page (mean)")
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--rate-seconds", type=float, default=10.0)
    args = parser.parse_args()

    web_port = free_port()
    env = production_django(DB_NAME)
    started = time.perf_counter()
    keys, entries = seed(args.makers, args.years)
    print(f"seeded {args.makers} makers, {entries} ledger entries in {time.perf_counter() - started:.1f} s")
    with gunicorn(env, web_port, args.workers):
        return run(args, web_port, keys, entries)


def run(args: argparse.Namespace, port: int, keys: list[str], entries: int) -> int:
    url = f"http://127.0.0.1:{port}/portal/"
    headers = {"X-Forwarded-Proto": "https", "Cookie": f"sessionid={keys[0]}", "Accept-Language": "nl"}
    answer = None
    for _ in range(100):
        try:
            answer = httpx.get(url, headers=headers, timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    if answer is None or answer.status_code != 200 or "threshold-bar" not in answer.text:
        print(f"the This month page did not answer as the maker: HTTP {answer and answer.status_code}")
        return 1
    requests = [get_request("/portal/", key, port) for key in keys]
    warm = asyncio.run(closed_loop("warm-up", "127.0.0.1", port, cycle(requests), concurrency=8, seconds=2))
    del warm
    loaded = asyncio.run(
        closed_loop(
            f"This month, {args.concurrency} users",
            "127.0.0.1",
            port,
            cycle(requests),
            concurrency=args.concurrency,
            seconds=args.seconds,
        )
    )
    print(loaded.line() + f"  p95={loaded.pct(0.95):6.1f} ms", flush=True)
    reading = asyncio.run(
        closed_loop(
            f"This month, {args.concurrency} users reading {args.think:g} s",
            "127.0.0.1",
            port,
            cycle(requests),
            concurrency=args.concurrency,
            seconds=max(args.seconds, 5 * args.think),
            think=args.think,
        )
    )
    print(reading.line() + f"  p95={reading.pct(0.95):6.1f} ms", flush=True)
    total = int(args.rate * args.rate_seconds)
    paced = asyncio.run(
        open_loop(
            f"This month at {args.rate:.0f} req/s",
            "127.0.0.1",
            port,
            [requests[i % len(requests)] for i in range(total)],
            rate=args.rate,
        )
    )
    print(paced.line() + f"  p95={paced.pct(0.95):6.1f} ms", flush=True)
    summary = {
        "makers": args.makers,
        "years_of_history": args.years,
        "ledger_entries": entries,
        "workers": args.workers,
        "cpu_count": os.cpu_count(),
        "back_to_back": _figures(loaded) | {"concurrency": args.concurrency},
        "reading_users": _figures(reading) | {"concurrency": args.concurrency, "think_s": args.think},
        "open_loop": _figures(paced) | {"rate": args.rate},
        "goal_p95_ms": GOAL_P95_MS,
        # 50 people using the page: each reads it before the next click. Back to back, 50 clients are a
        # saturation test (p95 ~ 50 / throughput), reported beside it.
        "goal_met": reading.pct(0.95) < GOAL_P95_MS and reading.errors == 0,
    }
    print(json.dumps(summary))
    return 0 if loaded.errors == 0 and paced.errors == 0 and reading.errors == 0 else 1


def _figures(result: Result) -> dict[str, object]:
    return {
        "requests": result.requests,
        "errors": result.errors,
        "rps": round(result.rps, 1),
        "p50_ms": round(result.pct(0.50), 1),
        "p95_ms": round(result.pct(0.95), 1),
        "p99_ms": round(result.pct(0.99), 1),
    }


if __name__ == "__main__":
    sys.exit(main())
