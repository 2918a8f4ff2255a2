"""The coordinator's makers overview under load: `python -m tests.bench.bench_coordinator`.

An initiative with 500 makers (each with this month's threshold position), a logged-in coordinator, the
production settings under gunicorn (sync workers) behind a stand-in TLS proxy header; GET requests for the
makers list over all its pages and a search, first closed-loop (``--concurrency`` clients back to back),
then open-loop at ``--rate`` requests/s. Goal (issue 7): p95 < 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

import httpx

from tests.bench.loadgen import Result, closed_loop, cycle, open_loop
from tests.bench.webserver import ROOT, free_port, get_request, gunicorn, logged_in_session, production_django

DB_NAME = "rode_draad_bench_coordinator"
GOAL_P95_MS = 200.0


def seed(makers: int) -> tuple[str, int]:
    """The initiative, its coordinator's session key, and the number of list pages."""
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from shop_extensions.benefits.models import Level, Position
    from shop_extensions.catalog.models import LotKind, ProductionLot, StockSync
    from shop_extensions.coordinator.views.common import PAGE_SIZE
    from shop_extensions.makers.models import Coordinator, Initiative, Maker

    initiative = Initiative.objects.create(name="Atelier Groot", legal_name="Stichting Atelier Groot")
    Initiative.objects.create(name="Ander initiatief", legal_name="Stichting Ander")
    user = get_user_model().objects.create_user(username="coordinator", email="c@example.test")
    Coordinator.objects.create(user=user, initiative=initiative)
    created = Maker.objects.bulk_create(
        Maker(
            initiative=initiative,
            display_name=f"Maker {n:04d}",
            email=f"maker{n}@example.test",
            internal_reference=f"R-{n:05d}",
            is_active=n % 25 != 0,
        )
        for n in range(makers)
    )
    month = timezone.localdate().replace(day=1)
    levels = [Level.OK] * 7 + [Level.APPROACHING, Level.REACHED, Level.OVER]
    Position.objects.bulk_create(
        Position(
            maker=maker,
            month=month,
            earned=Decimal(n % 400),
            status=levels[n % len(levels)],
            free_amount=Decimal(0),
            deduction=Decimal(0),
            computed_at=timezone.now(),
        )
        for n, maker in enumerate(created)
    )
    ProductionLot.objects.bulk_create(
        ProductionLot(
            initiative=initiative,
            maker=maker,
            saleor_variant_id=f"VARIANT-{n % 30}",
            kind=LotKind.DELIVERY,
            quantity=10,
            idempotency_key=f"bench-lot-{n}",
            booked_at=timezone.now() - timedelta(days=n % 90),
            stock_sync=StockSync.SYNCED,
        )
        for n, maker in enumerate(created)
    )
    active = sum(1 for maker in created if maker.is_active)
    return logged_in_session(user), -(-active // PAGE_SIZE)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--makers", type=int, default=500)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 4)))
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--rate-seconds", type=float, default=10.0)
    args = parser.parse_args()

    web_port = free_port()
    env = production_django(DB_NAME)
    session_key, pages = seed(args.makers)
    with gunicorn(env, web_port, args.workers):
        return run(args, web_port, session_key, pages)


def run(args: argparse.Namespace, port: int, session_key: str, pages: int) -> int:
    first = f"http://127.0.0.1:{port}/coordinator/makers/"
    headers = {"X-Forwarded-Proto": "https", "Cookie": f"sessionid={session_key}"}
    for _ in range(100):
        try:
            answer = httpx.get(first, headers=headers, timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    if answer.status_code != 200 or "Maker 0001" not in answer.text:
        print(f"the makers page did not answer as the coordinator: HTTP {answer.status_code}")
        return 1
    paths = [f"/coordinator/makers/?page={n}" for n in range(1, pages + 1)]
    paths += ["/coordinator/makers/?q=maker+01", "/coordinator/makers/?active=all&page=3"]
    requests = [get_request(path, session_key, port) for path in paths]
    warm = asyncio.run(
        closed_loop("warm-up", "127.0.0.1", port, cycle(requests), concurrency=args.concurrency, seconds=2)
    )
    del warm
    loaded = asyncio.run(
        closed_loop(
            f"makers overview, {args.concurrency} clients",
            "127.0.0.1",
            port,
            cycle(requests),
            concurrency=args.concurrency,
            seconds=args.seconds,
        )
    )
    print(loaded.line() + f"  p95={loaded.pct(0.95):6.1f} ms", flush=True)
    total = int(args.rate * args.rate_seconds)
    paced = asyncio.run(
        open_loop(
            f"makers overview at {args.rate:.0f} req/s",
            "127.0.0.1",
            port,
            [requests[i % len(requests)] for i in range(total)],
            rate=args.rate,
        )
    )
    print(paced.line() + f"  p95={paced.pct(0.95):6.1f} ms", flush=True)
    summary = {
        "makers": args.makers,
        "list_pages": pages,
        "workers": args.workers,
        "cpu_count": os.cpu_count(),
        "closed_loop": _figures(loaded) | {"concurrency": args.concurrency},
        "open_loop": _figures(paced) | {"rate": args.rate},
        "goal_p95_ms": GOAL_P95_MS,
    }
    print(json.dumps(summary, indent=2))
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "coordinator.json").write_text(json.dumps(summary, indent=2))
    ok = all(
        part["p95_ms"] < GOAL_P95_MS and part["errors"] == 0
        for part in (summary["closed_loop"], summary["open_loop"])
    )  # type: ignore[index]
    print(("goal met" if ok else "goal NOT met") + f": p95 < {GOAL_P95_MS:.0f} ms for the makers overview")
    return 0


def _figures(result: Result) -> dict[str, float | int]:
    return {
        "requests": result.requests,
        "errors": result.errors,
        "rps": round(result.rps, 1),
        "p50_ms": round(result.pct(0.50), 1),
        "p95_ms": round(result.pct(0.95), 1),
        "p99_ms": round(result.pct(0.99), 1),
    }


if __name__ == "__main__":
    raise SystemExit(main())
