"""Builders for benefits tests: a maker with a situation and month earnings (ledger month totals)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from shop_extensions.benefits.models import BenefitSituation
from shop_extensions.ledger.models import MakerPeriodTotal
from shop_extensions.makers.models import Maker


def make_situation(maker: Maker, **fields: Any) -> BenefitSituation:
    defaults: dict[str, Any] = {
        "regime": "bijstand",
        "household_type": "single",
        "date_of_birth": date(1990, 3, 3),
        "free_period_started": date(2025, 12, 1),
        "income_basis": "sale_date",  # these tests set month earnings; payout-basis tests post payouts
    }
    defaults.update(fields)
    return BenefitSituation.objects.create(maker=maker, **defaults)


def set_month_earnings(maker: Maker, month: date, amount: str) -> None:
    """Stands in for the ledger posting entries: the month total is what the engine reads."""
    MakerPeriodTotal.objects.update_or_create(
        maker=maker,
        period=month,
        currency="EUR",
        defaults={"amount": Decimal(amount), "earned": Decimal(amount), "entries": 1},
    )
