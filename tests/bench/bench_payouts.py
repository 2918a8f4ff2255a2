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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--makers", type=int, default=10_000)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = fresh_database(DB_NAME)
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
