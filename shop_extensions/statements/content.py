"""What a statement says, built from the ledger: one JSON-able dict per maker and month. Amounts are strings
(Decimal, never float); the documents and the JSON endpoint are rendered from this dict alone."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import import_module
from typing import Any

from django.apps import apps
from django.db.models import Sum
from django.utils import timezone

from shop_extensions.benefits import selectors as benefits_selectors
from shop_extensions.benefits.models import BenefitSituation, IncomeBasis
from shop_extensions.core.money import quantize
from shop_extensions.ledger import selectors as ledger_selectors
from shop_extensions.ledger.models import EARNING_KINDS, PAYOUT_KINDS, POT_KINDS, EntryKind, MakerPeriodTotal
from shop_extensions.makers.models import Maker
from shop_extensions.statements.models import IncomeNature, StatementSettings

SCHEMA = 1


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def _local_day(moment: datetime) -> str:
    return timezone.localtime(moment).date().isoformat()


def _text(amount: Decimal, currency: str) -> str:
    """Two decimals always, and never ``-0.00``."""
    return str(quantize(amount, currency) + 0)


def _share(total: Decimal, part: Decimal, whole: Decimal, currency: str) -> Decimal:
    return quantize(total * part / whole, currency) if whole else Decimal(0)


def _payout_references(references: list[str]) -> dict[str, str]:
    """Stripe's reference for each ``payout:<id>`` ledger reference, where the payouts app offers it."""
    if not references or not apps.is_installed("shop_extensions.payouts"):
        return {}
    try:
        payouts = import_module("shop_extensions.payouts.selectors")
    except ImportError:
        return {}
    lookup = getattr(payouts, "payout_stripe_references", None)
    return dict(lookup(references=references)) if lookup is not None else {}


def _income_basis(maker: Maker) -> str:
    # Only the basis column: the situation's health flag is not read here.
    basis = BenefitSituation.objects.filter(maker=maker).values_list("income_basis", flat=True).first()
    return str(basis or IncomeBasis.PAYOUT_DATE)


def _year_to_date(maker: Maker, currency: str, month: date) -> dict[str, str]:
    # One aggregate over the ledger's month totals (the ledger's selectors read one month per query).
    sums = MakerPeriodTotal.objects.filter(
        maker=maker, currency=currency, period__gte=month.replace(month=1), period__lte=month
    ).aggregate(earned=Sum("earned"), paid_out=Sum("paid_out"), pot_spent=Sum("pot_spent"))
    return {
        "earned": _text(sums["earned"] or Decimal(0), currency),
        "paid_out": _text(-(sums["paid_out"] or Decimal(0)), currency),
        "pot_spent": _text(-(sums["pot_spent"] or Decimal(0)), currency),
    }


def _benefit(maker: Maker, month: date) -> dict[str, Any] | None:
    if not BenefitSituation.objects.filter(maker=maker).exists():
        return None
    estimate = benefits_selectors.maker_estimate(maker=maker, month=month)
    return {
        "rule": estimate.rule_code or "",
        "source": estimate.source_url or "",
        "counted_income": _text(estimate.counted_income, "EUR"),
        "free_amount": _text(estimate.free_amount, "EUR"),
        "verified": estimate.verified,
        "indication": True,
    }


def statement_content(*, maker: Maker, month: date) -> dict[str, Any]:
    """The statement of one maker's month, from the ledger's entries with that period."""
    month = month_start(month)
    initiative = maker.initiative
    currency = initiative.currency
    settings_row = StatementSettings.objects.filter(initiative=initiative).first()
    entries = list(
        ledger_selectors.maker_entries(maker=maker)
        .filter(period=month, currency=currency)
        .order_by("effective_at", "pk")
    )
    sales: list[dict[str, Any]] = []
    refunds: list[dict[str, Any]] = []
    payouts: list[dict[str, Any]] = []
    pot: list[dict[str, Any]] = []
    totals = dict.fromkeys(
        ["gross", "vat", "commission", "sales", "refunds", "paid_out", "pot_spent"], Decimal(0)
    )
    for entry in entries:
        line = entry.line
        product = " — ".join(p for p in [line.product_name, line.variant_name] if p) if line else ""
        if entry.kind == EntryKind.SALE and line is not None:
            gross = _share(line.gross_amount, entry.amount, line.makers_amount, currency)
            base = _share(line.base_amount, entry.amount, line.makers_amount, currency)
            sales.append(
                {
                    "date": _local_day(entry.effective_at),
                    "product": product or line.sku,
                    "order": entry.order.number if entry.order else "",
                    "quantity": str(entry.quantity),
                    "gross": _text(gross, currency),
                    "vat": _text(gross - base, currency),
                    "commission": _text(base - entry.amount, currency),
                    "earned": _text(entry.amount, currency),
                }
            )
            totals["gross"] += gross
            totals["vat"] += gross - base
            totals["commission"] += base - entry.amount
            totals["sales"] += entry.amount
        elif entry.kind in EARNING_KINDS:
            refunds.append(
                {
                    "date": _local_day(entry.effective_at),
                    "kind": entry.kind,
                    "product": product,
                    "order": entry.order.number if entry.order else "",
                    "quantity": str(entry.quantity),
                    "amount": _text(entry.amount, currency),
                }
            )
            totals["refunds"] += entry.amount
        elif entry.kind in PAYOUT_KINDS:
            payouts.append(
                {
                    "date": _local_day(entry.effective_at),
                    "kind": entry.kind,
                    "amount": _text(-entry.amount, currency),
                    "reference": entry.reference,
                }
            )
            totals["paid_out"] -= entry.amount
        elif entry.kind in POT_KINDS:
            pot.append(
                {
                    "date": _local_day(entry.effective_at),
                    "amount": _text(-entry.amount, currency),
                    "reference": entry.reference,
                    "note": str(entry.detail.get("note", "")) if isinstance(entry.detail, dict) else "",
                }
            )
            totals["pot_spent"] -= entry.amount
    stripe_refs = _payout_references([row["reference"] for row in payouts if row["reference"]])
    for row in payouts:
        row["reference"] = stripe_refs.get(row["reference"], row["reference"])
    earned = totals["sales"] + totals["refunds"]
    basis = _income_basis(maker)
    counted = earned if basis == IncomeBasis.SALE_DATE else totals["paid_out"]
    return {
        "schema": SCHEMA,
        "period": month.isoformat()[:7],
        "period_start": month.isoformat(),
        "period_end": month_end(month).isoformat(),
        "currency": currency,
        "language": maker.preferred_language,
        "payer": {
            "legal_name": initiative.legal_name,
            "address": initiative.address,
            "postal_code": initiative.postal_code,
            "city": initiative.city,
            "kvk": initiative.kvk_number,
            "signatory": settings_row.signatory if settings_row else "",
        },
        "maker": {"name": maker.display_name, "reference": maker.internal_reference},
        "income_nature": str(settings_row.income_nature if settings_row else IncomeNature.NON_EMPLOYEE),
        "sales": sales,
        "refunds": refunds,
        "payouts": payouts,
        "pot": pot,
        "totals": {
            "gross": _text(totals["gross"], currency),
            "vat": _text(totals["vat"], currency),
            "commission": _text(totals["commission"], currency),
            "sales": _text(totals["sales"], currency),
            "refunds": _text(totals["refunds"], currency),
            "earned": _text(earned, currency),
            "deductions": "0.00",
            "net": _text(earned, currency),
            "paid_out": _text(totals["paid_out"], currency),
            "pot_spent": _text(totals["pot_spent"], currency),
        },
        "year_to_date": _year_to_date(maker, currency, month),
        "income_basis": {
            "basis": basis,
            "by_sale_date": _text(earned, currency),
            "by_payment_date": _text(totals["paid_out"], currency),
            "counted": _text(counted, currency),
        },
        "benefit": _benefit(maker, month),
    }


def fingerprint(content: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON: equal content, equal fingerprint, so a rerun issues nothing new."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
