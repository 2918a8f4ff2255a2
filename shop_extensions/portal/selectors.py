"""Portal reads, always for the logged-in maker only: nothing here takes a maker id from the request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from shop_extensions.benefits import engine
from shop_extensions.benefits import selectors as benefits_selectors
from shop_extensions.benefits.models import InitiativeBenefitPolicy
from shop_extensions.core.errors import NotFound
from shop_extensions.ledger import selectors as ledger_selectors
from shop_extensions.ledger.models import EARNING_KINDS, EarningEntry
from shop_extensions.makers.models import Maker

CURRENCY = "EUR"


def maker_for_user(*, user: Any) -> Maker:
    """The user's active maker; the access check has usually loaded it on the user already."""
    if not user.is_authenticated:
        raise NotFound("no maker for this login")
    try:
        maker = user.maker  # cached on the user by the access check; one query otherwise
    except Maker.DoesNotExist:
        maker = None
    if maker is not None and not maker.is_active:
        maker = None
    if maker is None:
        raise NotFound("no maker for this login")
    return maker


@dataclass(frozen=True)
class Bar:
    """The threshold bar: earnings against the next limit (or the last one passed)."""

    kind: str
    value: Decimal  # earnings, clipped to the scale for the meter
    limit: Decimal
    low: Decimal  # where "approaching" starts
    passed: bool


@dataclass(frozen=True)
class ThisMonth:
    month: date
    earned: Decimal  # what sales brought in this month (the ledger)
    counted: Decimal  # what counts for the benefit this month, on the maker's basis (sale or payout date)
    estimate: engine.Estimate
    status: engine.Status
    bar: Bar | None
    room_left: Decimal | None
    known: bool  # False when the benefit situation is unknown: no estimate can be given
    no_benefit: bool  # the maker has no benefit that earnings count against


def _approaching_percent(maker: Maker) -> Decimal:
    percent = (
        InitiativeBenefitPolicy.objects.filter(initiative_id=maker.initiative_id)
        .values_list("approaching_percent", flat=True)
        .first()
    )
    return percent if percent is not None else Decimal(benefits_selectors.DEFAULT_APPROACHING_PERCENT)


def this_month(*, maker: Maker, today: date) -> ThisMonth:
    month = today.replace(day=1)
    estimate = benefits_selectors.maker_estimate(maker=maker, month=month)
    percent = _approaching_percent(maker)
    status = engine.status_of(result=estimate, approaching_percent=percent)
    euro = [t for t in estimate.thresholds if t.earnings_based and t.unit == "EUR" and t.limit > 0]
    ahead = sorted((t for t in euro if t.limit > estimate.earned), key=lambda t: t.limit)
    bar = None
    if ahead:
        target = ahead[0]
        bar = Bar(
            target.kind, max(estimate.earned, Decimal(0)), target.limit, target.limit * percent / 100, False
        )
    elif euro:
        target = max(euro, key=lambda t: t.limit)
        bar = Bar(target.kind, target.limit, target.limit, target.limit * percent / 100, True)
    return ThisMonth(
        month=month,
        earned=ledger_selectors.maker_month_earnings(maker=maker, currency=CURRENCY, month=month),
        counted=estimate.earned,
        estimate=estimate,
        status=status,
        bar=bar,
        room_left=status.room_left,
        known=estimate.keeps_of_next_euro is not None,
        no_benefit=estimate.rule_code is None and estimate.keeps_of_next_euro == 1 and not euro,
    )


def sales_for_maker(*, maker: Maker) -> QuerySet[EarningEntry]:
    """The maker's earnings entries (sales, reversals, corrections), newest first, with what was sold."""
    return ledger_selectors.maker_entries(maker=maker).filter(kind__in=EARNING_KINDS).select_related("lot")


def entries_count(*, maker: Maker) -> int:
    return EarningEntry.objects.filter(maker=maker).count()
