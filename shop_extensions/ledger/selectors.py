"""Reading the ledger: balances and earnings from the monthly totals, so no read scans years of entries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.utils import timezone

from shop_extensions.ledger.models import EARNING_KINDS, Allocation, EarningEntry, MakerPeriodTotal
from shop_extensions.makers import selectors as makers_selectors
from shop_extensions.makers.models import Maker


def _month(moment: datetime) -> date:
    return timezone.localtime(moment).date().replace(day=1)


def maker_balance(*, maker: Maker, currency: str, as_of: datetime | None = None) -> Decimal:
    """What the ledger owes the maker (earned minus paid out and pot spent), now or as of a moment."""
    totals = MakerPeriodTotal.objects.filter(maker=maker, currency=currency)
    if as_of is None:
        return totals.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    month = _month(as_of)
    before = totals.filter(period__lt=month).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    within = EarningEntry.objects.filter(
        maker=maker, currency=currency, period=month, effective_at__lte=as_of
    ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    return before + within


def maker_month_earnings(*, maker: Maker, currency: str, month: date) -> Decimal:
    """What the maker's work brought in during a month (sales minus reversals), payouts not counted."""
    total = (
        MakerPeriodTotal.objects.filter(maker=maker, currency=currency, period=month.replace(day=1))
        .values_list("earned", flat=True)
        .first()
    )
    return total if total is not None else Decimal(0)


@dataclass(frozen=True)
class MonthTotals:
    """One maker's month, all amounts positive where money went to the maker: ``paid_out`` is what was
    transferred (net of returned payouts), ``pot_spent`` what was spent from the maker's pot."""

    earned: Decimal
    paid_out: Decimal
    pot_spent: Decimal

    @property
    def balance_change(self) -> Decimal:
        return self.earned - self.paid_out - self.pot_spent


ZERO_MONTH = MonthTotals(Decimal(0), Decimal(0), Decimal(0))


def month_totals_for_makers(
    *, maker_ids: Iterable[int], currency: str, month: date
) -> dict[int, MonthTotals]:
    """Set-based: one query for any number of makers (makers without activity are absent: use ZERO_MONTH)."""
    rows = MakerPeriodTotal.objects.filter(
        maker_id__in=list(maker_ids), currency=currency, period=month.replace(day=1)
    ).values_list("maker_id", "earned", "paid_out", "pot_spent")
    return {maker_id: MonthTotals(earned, -paid, -pot) for maker_id, earned, paid, pot in rows}


def maker_month_totals(*, maker: Maker, currency: str, month: date) -> MonthTotals:
    return month_totals_for_makers(maker_ids=[maker.pk], currency=currency, month=month).get(
        maker.pk, ZERO_MONTH
    )


def maker_earnings_between(*, maker: Maker, currency: str, start: datetime, end: datetime) -> Decimal:
    """Earnings (not payouts) effective in [start, end); the (maker, effective_at) index bounds the scan."""
    entries = EarningEntry.objects.filter(
        maker=maker, currency=currency, effective_at__gte=start, effective_at__lt=end, kind__in=EARNING_KINDS
    )
    return entries.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def maker_entries(*, maker: Maker) -> QuerySet[EarningEntry]:
    return (
        EarningEntry.objects.filter(maker=maker)
        .select_related("line", "order")
        .order_by("-effective_at", "-pk")
    )


def unattributed_queue(*, initiative_id: int) -> QuerySet[Allocation]:
    """Pieces sold that nobody could be found for, oldest first. Callers check the coordinator's access
    (makers.selectors.coordinator_require) before calling."""
    resolved = Allocation.objects.filter(resolves=OuterRef("pk"))
    return (
        Allocation.objects.filter(maker__isnull=True, line__order__initiative_id=initiative_id)
        .exclude(Exists(resolved))
        .select_related("line", "line__order")
        .order_by("line__order__paid_at", "pk")
    )


def order_summary(*, saleor_order_id: str) -> dict[int, Decimal]:
    """Per maker, what the ledger holds for one order (for the admin and tests)."""
    rows = (
        EarningEntry.objects.filter(order__saleor_order_id=saleor_order_id)
        .values("maker_id")
        .annotate(total=Sum("amount"))
        .order_by("maker_id")
    )
    return {row["maker_id"]: row["total"] for row in rows}


# --- coordinator-facing reads: scoped to the initiatives the user coordinates ----------------------------


def maker_ledger_for_coordinator(*, user: Any, maker_id: int, currency: str = "EUR") -> dict[str, Any]:
    """A maker's balance, this month's earnings and latest entries — NotFound for a maker of an initiative
    the user does not coordinate, so not even existence leaks."""
    maker = makers_selectors.maker_get_for_coordinator(user=user, maker_id=maker_id)
    return {
        "maker": maker,
        "balance": maker_balance(maker=maker, currency=currency),
        "this_month": maker_month_earnings(maker=maker, currency=currency, month=timezone.localdate()),
        "entries": list(maker_entries(maker=maker)[:50]),
    }


def unattributed_queue_for_coordinator(*, user: Any, initiative_id: int) -> QuerySet[Allocation]:
    makers_selectors.coordinator_require(user=user, initiative_id=initiative_id)
    return unattributed_queue(initiative_id=initiative_id)


# --- payouts: what may be paid out -------------------------------------------------------------------


def payables_for_makers(
    *, maker_ids: Iterable[int], currency: str, hold_cutoff: datetime
) -> dict[int, Decimal]:
    """Set-based, two queries for any number of makers: the balance (all entries: earnings, refunds, payouts,
    returned payouts, pot spending) minus positive earnings still inside the refund hold (effective after
    ``hold_cutoff``). Refunds count at once, so a refund after a payout makes the payable negative; makers
    without entries are absent."""
    ids = list(maker_ids)
    balances = dict(
        MakerPeriodTotal.objects.filter(maker_id__in=ids, currency=currency)
        .values("maker_id")
        .annotate(total=Sum("amount"))
        .values_list("maker_id", "total")
    )
    held = dict(
        EarningEntry.objects.filter(
            maker_id__in=ids,
            currency=currency,
            effective_at__gt=hold_cutoff,
            kind__in=EARNING_KINDS,
            amount__gt=0,
        )
        .values("maker_id")
        .annotate(total=Sum("amount"))
        .values_list("maker_id", "total")
    )
    return {maker_id: total - held.get(maker_id, Decimal(0)) for maker_id, total in balances.items()}
