"""`make bench` (payouts): a payout run against the Stripe stand-in limited to 25 requests/s.

1. Clean: N makers (default 10,000) with ready connected accounts and a payable balance, one auto-approved
   run executed by one worker whose throttle is set to the stand-in's limit. Goal (issue 5): achieved rate
   >= 90% of the limit, 0 errors (no 429, every payout submitted), memory flat (RSS sampled every 2 s).
2. Faults: the same for another N makers with 5% injected 429s and 1% 500s, then the recovery job until
   no outcome is unknown. Goal: every payout settled exactly once (one transfer per payout, the ledger
   balance of every maker zero).

The stand-in runs in its own process (as Stripe would), so the RSS samples are the run's alone; it is
driven through its ``/_standin/`` control endpoints. 10,000 makers at 25/s take about 400 s per part;
``--makers`` runs a smaller set (the note says which).

3. ``--processes 2`` (instead of 1 and 2): two initiatives' runs executed at once by two OS processes (as two
   Celery workers would), N/2 makers each, every run's throttle set to the limit. Both ways are measured,
   alternating: ``shared`` (``SharedThrottle``: one schedule in Redis for the Stripe account, REDIS_URL or
   DB 14 on 127.0.0.1) and ``local`` (an in-process ``Throttle`` per worker, as before). Goal: with the
   shared pace the combined rate is <= the limit and >= 90% of it, 0 errors, 0 429s, every payout
   submitted.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from tests.bench.database import fresh_database

ROOT = Path(__file__).resolve().parents[2]
DB_NAME = "rode_draad_bench_payouts"
API_KEY = "sk_test_standin_bench"
LIMIT = 25.0


class RssSampler(threading.Thread):
    def __init__(self, every: float = 2.0) -> None:
        super().__init__(daemon=True)
        import psutil

        self.process, self.every, self.samples = psutil.Process(), every, []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append(self.process.memory_info().rss / 2**20)
            self.stop.wait(self.every)


class StandinProcess:
    def __init__(self, rate: float) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        args = [
            "-m",
            "shop_extensions.payouts.standin",
            "--port",
            str(port),
            "--rate",
            str(rate),
            "--seed",
            "5",
        ]
        self.proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL)
        import httpx

        self.http = httpx.Client(base_url=f"{self.url}/_standin", timeout=60)
        for _ in range(100):
            try:
                self.http.get("/health")
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the Stripe stand-in did not start")

    def control(self, method: str, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
        response = self.http.request(method, path, json=body)
        response.raise_for_status()
        return dict(response.json())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def seed(standin: StandinProcess, makers: int, label: str) -> int:
    from django.db import transaction
    from django.utils import timezone

    from shop_extensions.ledger.models import EarningEntry, EntryKind
    from shop_extensions.ledger.services import entries_post
    from shop_extensions.makers.models import Initiative, Maker
    from shop_extensions.payouts.models import ConnectedAccount, PayoutPolicy

    initiative = Initiative.objects.create(name=f"Bench {label}", legal_name="Stichting Bench")
    PayoutPolicy.objects.create(initiative=initiative, auto_approve=True, requests_per_second=int(LIMIT))
    rows = Maker.objects.bulk_create(
        Maker(
            initiative=initiative,
            display_name=f"m{n}",
            email="m@example.org",
            internal_reference=f"{label}{n}",
        )
        for n in range(makers)
    )
    ids = standin.control("POST", "/accounts/bulk", {"count": makers})["ids"]
    ConnectedAccount.objects.bulk_create(
        ConnectedAccount(maker=maker, stripe_account_id=account_id, status="ready", transfers_active=True)
        for maker, account_id in zip(rows, ids, strict=True)
    )
    when = timezone.now() - timedelta(days=40)
    period = timezone.localtime(when).date().replace(day=1)
    for start in range(0, len(rows), 2000):
        with transaction.atomic():
            entries_post(
                entries=[
                    EarningEntry(
                        maker=maker,
                        initiative=initiative,
                        kind=EntryKind.SALE,
                        amount=Decimal(10 + maker.pk % 90) + Decimal("0.55"),
                        currency="EUR",
                        effective_at=when,
                        period=period,
                        idempotency_key=f"bench:{label}:{maker.pk}",
                    )
                    for maker in rows[start : start + 2000]
                ]
            )
    return initiative.pk


def settle_check(standin: StandinProcess, initiative_id: int) -> dict[str, object]:
    from django.db.models import Count, Sum

    from shop_extensions.ledger.models import MakerPeriodTotal
    from shop_extensions.payouts.models import Payout

    payouts = Payout.objects.filter(initiative_id=initiative_id)
    by_group: dict[str, list[dict[str, object]]] = {}
    for transfer in standin.control("GET", "/transfers")["data"]:
        by_group.setdefault(transfer["transfer_group"], []).append(transfer)
    doubles = lost = wrong_amount = 0
    for group, transfer_id, amount in payouts.values_list("pk", "transfer_id", "amount").iterator():
        sent = by_group.get(f"payout-{group}", [])
        doubles += len(sent) > 1
        lost += not sent or sent[0]["id"] != transfer_id
        wrong_amount += bool(sent) and sent[0]["amount"] != int(amount * 100)
    balances = (
        MakerPeriodTotal.objects.filter(maker__initiative_id=initiative_id)
        .values("maker_id")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .count()
    )
    return {
        "payouts": payouts.count(),
        "states": dict(payouts.values_list("state").annotate(n=Count("pk")).values_list("state", "n")),
        "double_transfers": doubles,
        "payouts_without_their_transfer": lost,
        "wrong_amounts": wrong_amount,
        "makers_with_nonzero_balance": balances,
    }


def part(standin: StandinProcess, makers: int, label: str, faults: dict[str, float]) -> dict[str, object]:
    from django.conf import settings
    from django.utils import timezone

    from shop_extensions.payouts import services
    from shop_extensions.payouts.models import Payout, PayoutState
    from shop_extensions.payouts.stripe_adapter import StripeGateway
    from shop_extensions.payouts.throttle import Throttle

    initiative_id = seed(standin, makers, label)
    standin.control("POST", "/faults", faults)
    before = standin.control("GET", "/stats")
    gateway = StripeGateway(api_key=API_KEY, api_base=standin.url, timeout=10)
    caller = services.Caller(gateway=gateway, throttle=Throttle(LIMIT), tries=6)
    sampler = RssSampler()
    sampler.start()
    started = time.monotonic()
    run = services.payout_run_create(initiative_id=initiative_id, actor="system:bench")
    created = time.monotonic()
    report = services.payout_run_execute(run_id=run.pk, caller=caller, threads=settings.PAYOUTS_RUN_THREADS)
    executed = time.monotonic()
    recovery_rounds = 0
    while Payout.objects.filter(run=run, state=PayoutState.OUTCOME_UNKNOWN).exists() and recovery_rounds < 20:
        recovery_rounds += 1
        services.payouts_recover_due(now=timezone.now() + timedelta(hours=2), caller=caller)
    sampler.stop.set()
    sampler.join()
    after = standin.control("GET", "/stats")
    stats = {k: int(after[k]) - int(before[k]) for k in ("requests", "rate_limited", "faults")}
    samples = sampler.samples
    warm = samples[len(samples) // 10 :] or samples
    return {
        "makers": makers,
        "faults": faults,
        "run_create_s": round(created - started, 2),
        "execute_s": round(executed - created, 2),
        "stripe_requests": stats["requests"],
        "achieved_requests_per_s": round(stats["requests"] / (executed - created), 2),
        "achieved_percent_of_limit": round(100 * stats["requests"] / (executed - created) / LIMIT, 1),
        "rate_limited_by_standin": stats["rate_limited"],
        "injected_faults": stats["faults"],
        "report": vars(report),
        "recovery_rounds": recovery_rounds,
        "rss_mib": {
            "first": round(samples[0], 1),
            "after_warmup": round(warm[0], 1),
            "max": round(max(samples), 1),
            "last": round(samples[-1], 1),
            "samples": len(samples),
        },
        **settle_check(standin, initiative_id),
    }


def _execute_in_process(run_id: int, api_base: str, mode: str, key: str, ready, go, out) -> None:  # type: ignore[no-untyped-def]
    """A spawned worker process: Django of its own (same database), one run, its own Stripe client."""
    import django

    django.setup()
    from django.conf import settings

    from shop_extensions.payouts import services
    from shop_extensions.payouts.stripe_adapter import StripeGateway
    from shop_extensions.payouts.throttle import SharedThrottle, Throttle

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    gateway = StripeGateway(api_key=API_KEY, api_base=api_base, timeout=10)
    pace = SharedThrottle(LIMIT, url=bench_redis_url(), key=key) if mode == "shared" else Throttle(LIMIT)
    caller = services.Caller(gateway=gateway, throttle=pace, tries=6)
    ready.put(os.getpid())
    go.wait(120)
    started = time.monotonic()  # CLOCK_MONOTONIC: comparable between the processes
    report = services.payout_run_execute(run_id=run_id, caller=caller, threads=settings.PAYOUTS_RUN_THREADS)
    out.put({"started": started, "finished": time.monotonic(), "report": vars(report)})


def bench_redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"


def parallel(standin: StandinProcess, makers: int, processes: int, mode: str) -> dict[str, object]:
    """``processes`` runs of as many initiatives executed at once, one OS process each."""
    import multiprocessing
    import uuid

    from django.db import connection

    from shop_extensions.payouts import services
    from shop_extensions.payouts.models import Payout

    initiatives = [seed(standin, makers, f"{mode}{n}-") for n in range(processes)]
    runs = [services.payout_run_create(initiative_id=i, actor="system:bench").pk for i in initiatives]
    connection.close()  # the children open their own
    key = f"rd:bench:pace:{uuid.uuid4().hex}"
    ctx = multiprocessing.get_context("spawn")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=_execute_in_process, args=(run, standin.url, mode, key, ready, go, out))
        for run in runs
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=120)
    before = standin.control("GET", "/stats")
    go.set()
    results = [out.get(timeout=3600) for _ in procs]
    for proc in procs:
        proc.join(60)
    after = standin.control("GET", "/stats")
    stats = {k: int(after[k]) - int(before[k]) for k in ("requests", "rate_limited", "faults")}
    seconds = max(float(r["finished"]) for r in results) - min(float(r["started"]) for r in results)
    reports = [dict(r["report"]) for r in results]
    states: dict[str, int] = {}
    for initiative_id in initiatives:
        for state in Payout.objects.filter(initiative_id=initiative_id).values_list("state", flat=True):
            states[state] = states.get(state, 0) + 1
    return {
        "mode": mode,
        "processes": processes,
        "makers_per_run": makers,
        "seconds": round(seconds, 2),
        "stripe_requests": stats["requests"],
        "combined_requests_per_s": round(stats["requests"] / seconds, 2),
        "combined_percent_of_limit": round(100 * stats["requests"] / seconds / LIMIT, 1),
        "rate_limited_by_standin": stats["rate_limited"],
        "errors": sum(int(r["errors"]) for r in reports),
        "reports": reports,
        "states": states,
        "exit_codes": [proc.exitcode for proc in procs],
    }


def main_parallel(args: argparse.Namespace, standin: StandinProcess) -> int:
    per_run = max(1, args.makers // args.processes)
    rounds = []
    for _ in range(args.rounds):
        for mode in ("shared", "local"):  # alternating on the same machine, same stand-in
            rounds.append(parallel(standin, per_run, args.processes, mode))
            print(json.dumps(rounds[-1]), file=sys.stderr)
    results = {"limit_requests_per_s": LIMIT, "parallel": rounds}
    print(json.dumps(results, indent=2))
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "payouts-parallel.json").write_text(json.dumps(results, indent=2))
    shared = [r for r in rounds if r["mode"] == "shared"]
    ok = all(
        90 <= r["combined_percent_of_limit"] <= 100  # type: ignore[operator]
        and r["rate_limited_by_standin"] == 0
        and r["errors"] == 0
        and r["states"] == {"submitted": per_run * args.processes}
        for r in shared
    )
    print("goals met" if ok else "GOALS NOT MET", file=sys.stderr)
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--makers", type=int, default=10_000)
    parser.add_argument(
        "--processes", type=int, default=1, help="2: runs of two initiatives at once, shared vs local pace"
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --processes: shared/local pairs to run")
    parser.add_argument("--database", default=DB_NAME, help="name of the (dropped and made anew) database")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = fresh_database(args.database)
    os.environ["DJANGO_SETTINGS_MODULE"] = "backend.settings.test"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    standin = StandinProcess(LIMIT)
    try:
        settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE = API_KEY, standin.url
        # The makers' mails are built and handed to a backend that drops them (console would flood the output).
        settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
        if args.processes > 1:
            return main_parallel(args, standin)
        clean = part(standin, args.makers, "clean", {})
        faulty = part(standin, args.makers, "faults", {"p429": 0.05, "p500": 0.01})
    finally:
        standin.stop()
    results = {"limit_requests_per_s": LIMIT, "clean": clean, "with_faults": faulty}
    print(json.dumps(results, indent=2))
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "payouts.json").write_text(json.dumps(results, indent=2))
    ok = (
        clean["achieved_percent_of_limit"] >= 90  # type: ignore[operator]
        and clean["rate_limited_by_standin"] == 0
        and clean["states"] == {"submitted": args.makers}
        and faulty["states"] == {"submitted": args.makers}
        and all(
            part_[key] == 0
            for part_ in (clean, faulty)
            for key in (
                "double_transfers",
                "payouts_without_their_transfer",
                "wrong_amounts",
                "makers_with_nonzero_balance",
            )
        )
    )
    print("goals met" if ok else "GOALS NOT MET", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
