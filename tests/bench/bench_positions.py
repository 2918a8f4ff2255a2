"""Benefit positions: `python -m tests.bench.bench_positions`.

1. Positions for 10,000 makers for one month through `benefits.services.positions_refresh` (set-based):
   a first run (positions inserted, warnings recorded, the mailing task enqueued per batch on commit to the
   in-memory broker) and a repeat run (nothing new to announce). Goal (issue 4): < 2 s. The mailing
   itself (`notifications_send` over every batch, locmem backend) runs in its own task and is timed apart.
   Makers count income on payout date (60%) or sale date.
2. One maker's position after a ledger change (the call the ledger makes): < 10 ms, median and p95, for a
   month whose amounts are published (2026-01) and one whose amounts are not yet (2026-11: the last known
   amounts are looked up as well).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from tests.bench.database import fresh_database

ROOT = Path(__file__).resolve().parents[2]
DB_NAME = "rode_draad_bench_positions"
MONTH = date(2026, 1, 1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--makers", type=int, default=10_000)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = fresh_database(DB_NAME)
    os.environ["DJANGO_SETTINGS_MODULE"] = "backend.settings.test"  # DEBUG off, no query log
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0)
    maker_ids = seed(args.makers)
    results = {**many(maker_ids), **one(maker_ids)}
    print(json.dumps(results, indent=2))
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "positions.json").write_text(json.dumps(results, indent=2))
    return 0


def seed(count: int) -> list[int]:
    """Makers over 20 initiatives; 70% on bijstand (mixed households, ages, flags), the rest WW, Wajong or
    no benefit; month earnings spread so about a fifth of them are near or past a threshold."""
    from django.contrib.auth import get_user_model

    from shop_extensions.benefits.models import BenefitSituation
    from shop_extensions.ledger.models import MakerPeriodTotal
    from shop_extensions.makers.models import Coordinator, Initiative, Maker

    rng = random.Random(4)
    initiatives = [Initiative.objects.create(name=f"I{i}", legal_name=f"I{i}") for i in range(20)]
    for initiative in initiatives:
        user = get_user_model().objects.create_user(
            username=f"c{initiative.pk}", email=f"c{initiative.pk}@x.org"
        )
        Coordinator.objects.create(user=user, initiative=initiative)
    makers = Maker.objects.bulk_create(
        [
            Maker(
                initiative=initiatives[i % 20],
                display_name=f"M{i}",
                email=f"m{i}@x.org",
                internal_reference=f"{i}",
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    situations = []
    for maker in makers:
        regime = rng.choices(["bijstand", "ww", "wajong", "none"], weights=[70, 15, 10, 5])[0]
        situations.append(
            BenefitSituation(
                maker=maker,
                regime=regime,
                municipality=rng.choice(["amsterdam", "breda", "utrecht"]),
                date_of_birth=date(rng.randint(1960, 2004), rng.randint(1, 12), 1),
                household_type=rng.choice(["single", "single", "couple", ""]),
                single_parent_child_under_12=rng.random() < 0.15,
                medically_limited=rng.random() < 0.1,
                free_period_started=date(2025, rng.randint(1, 12), 1),
                personal_monthly_limit=Decimal(rng.choice([0, 0, 0, 400, 800])) or None,
                income_basis="payout_date" if rng.random() < 0.6 else "sale_date",
            )
        )
    BenefitSituation.objects.bulk_create(situations, batch_size=2000)
    totals = []
    for maker in makers:
        earned = Decimal(rng.randint(0, 160000)) / 100
        paid = -Decimal(rng.randint(0, 160000)) / 100  # signed like the entries: payouts are negative
        pot = -Decimal(rng.randint(0, 5000)) / 100 if rng.random() < 0.1 else Decimal(0)
        totals.append(
            MakerPeriodTotal(
                maker=maker,
                period=MONTH,
                currency="EUR",
                amount=earned + paid + pot,
                earned=earned,
                paid_out=paid,
                pot_spent=pot,
                entries=3,
            )
        )
    MakerPeriodTotal.objects.bulk_create(totals, batch_size=2000)
    return [m.pk for m in makers]


def many(maker_ids: list[int]) -> dict[str, object]:
    from django.core import mail

    from shop_extensions.benefits import services
    from shop_extensions.benefits.models import Notification
    from shop_extensions.benefits.services import positions_refresh

    mail.outbox = []
    started = time.perf_counter()
    positions_refresh(maker_ids=maker_ids, month=MONTH)  # autocommit: the enqueue runs at once
    first = time.perf_counter() - started
    notifications = Notification.objects.count()
    pending = list(
        Notification.objects.filter(emailed_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    started = time.perf_counter()
    for start in range(0, len(pending), services.NOTIFICATION_BATCH):  # what the worker's tasks do
        services.notifications_send(notification_ids=pending[start : start + services.NOTIFICATION_BATCH])
    mailing = time.perf_counter() - started
    mails = len(mail.outbox)
    started = time.perf_counter()
    positions_refresh(maker_ids=maker_ids, month=MONTH)
    repeat = time.perf_counter() - started
    return {
        "makers": len(maker_ids),
        "first_refresh_s": round(first, 3),
        "repeat_refresh_s": round(repeat, 3),
        "mailing_tasks_s": round(mailing, 3),
        "notifications": notifications,
        "mails_sent": mails,
        "mails_after_repeat": len(mail.outbox),
        "goal_s": 2.0,
    }


def one(maker_ids: list[int]) -> dict[str, object]:
    from shop_extensions.benefits.services import positions_refresh
    from shop_extensions.ledger.models import MakerPeriodTotal

    rng = random.Random(7)
    out: dict[str, object] = {}
    for label, month in (("published_month", MONTH), ("unpublished_month", date(2026, 11, 1))):
        samples = []
        for _ in range(300):
            maker_id = rng.choice(maker_ids)
            amount = Decimal(rng.randint(0, 160000)) / 100
            MakerPeriodTotal.objects.update_or_create(
                maker_id=maker_id, period=month, currency="EUR",
                defaults={"amount": amount - amount, "earned": amount, "paid_out": -amount, "pot_spent": 0, "entries": 2},
            )  # fmt: skip
            t = time.perf_counter()
            positions_refresh(maker_ids=[maker_id], month=month)
            samples.append((time.perf_counter() - t) * 1000)
        samples.sort()
        out[f"one_maker_{label}_ms_median"] = round(statistics.median(samples), 2)
        out[f"one_maker_{label}_ms_p95"] = round(samples[int(len(samples) * 0.95)], 2)
    out["one_maker_goal_ms"] = 10
    return out


if __name__ == "__main__":
    sys.exit(main())
