"""What each maker should hold for an order, from the newest snapshot's refund state.

Rules (also in CONTRIBUTING.md):
- A cancelled order that had been paid holds nothing: cancelling returns the whole sale.
- A line no longer in the newest snapshot holds nothing; a line whose quantity was lowered (an edit of an
  unconfirmed order) holds that share of its sale.
- Granted refund lines count by quantity when the money actually went back: when totalRefunded covers their
  gross value. Grants not covered by totalRefunded (Saleor keeps grants whose refund failed) are ignored and
  totalRefunded is treated as an amount-only refund.
- The rest of totalRefunded (amount-only refunds, shipping) is spread pro rata over what remains of the
  lines and the shipping, by gross value; it never takes a line below zero.
- Within a line, the kept amount is split over its allocations in proportion to their amounts at sale time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from shop_extensions.ledger.splitting import split


@dataclass(frozen=True)
class LineFacts:
    line_id: str
    quantity: int
    gross_amount: Decimal


def _standing_and_refunded(
    lines: Sequence[LineFacts], state: Mapping[str, Any]
) -> tuple[dict[str, int], dict[str, int], Fraction]:
    """Pieces still on the order per line, pieces refunded per line (money-backed grants only), and the
    refunded amount not explained by those grants."""
    refunded = max(Fraction(Decimal(state.get("total_refunded") or "0")), Fraction(0))
    granted: Mapping[str, int] = state.get("granted") or {}
    present: Mapping[str, int] | None = state.get("lines")
    standing = {
        line.line_id: line.quantity
        if present is None
        else min(line.quantity, max(int(present.get(line.line_id, 0)), 0))
        for line in lines
    }
    refunded_qty = {
        line.line_id: min(max(int(granted.get(line.line_id, 0)), 0), standing[line.line_id]) for line in lines
    }
    granted_value = sum(
        (
            Fraction(line.gross_amount) * refunded_qty[line.line_id] / line.quantity
            for line in lines
            if line.quantity
        ),
        Fraction(0),
    )
    if granted_value > refunded:
        return standing, dict.fromkeys(refunded_qty, 0), refunded
    return standing, refunded_qty, refunded - granted_value


_ONE, _NONE = Fraction(1), Fraction(0)


def _nothing_refunded(state: Mapping[str, Any]) -> bool:
    """No refund at all (the usual case): what stands is what is still on the order, nothing to spread."""
    return not state.get("granted") and Decimal(state.get("total_refunded") or "0") <= 0


def _standing_share(line: LineFacts, state: Mapping[str, Any]) -> Fraction:
    present: Mapping[str, int] | None = state.get("lines")
    if present is None:
        return _ONE if line.quantity else _NONE
    standing = min(line.quantity, max(int(present.get(line.line_id, 0)), 0))
    if not line.quantity:
        return _NONE
    return _ONE if standing == line.quantity else Fraction(standing, line.quantity)


def kept_fractions(lines: Sequence[LineFacts], state: Mapping[str, Any]) -> dict[str, Fraction]:
    """For each line, the fraction of its sale that still stands (1 = nothing refunded, 0 = all)."""
    if not state or state.get("cancelled"):
        return {line.line_id: Fraction(0 if state.get("cancelled") else 1) for line in lines}
    if _nothing_refunded(state):
        return {line.line_id: _standing_share(line, state) for line in lines}
    shipping = max(Fraction(Decimal(state.get("shipping_gross") or "0")), Fraction(0))
    standing, refunded_qty, residual = _standing_and_refunded(lines, state)
    remaining = {
        line.line_id: (
            Fraction(standing[line.line_id] - refunded_qty[line.line_id], line.quantity)
            if line.quantity
            else Fraction(0)
        )
        for line in lines
    }
    remaining_value = sum(
        (Fraction(line.gross_amount) * remaining[line.line_id] for line in lines), Fraction(0)
    )
    spread_over = remaining_value + shipping
    rho = min(Fraction(1), residual / spread_over) if spread_over > 0 else Fraction(0)
    return {line_id: fraction * (1 - rho) for line_id, fraction in remaining.items()}


def pieces_back(
    lines: Sequence[LineFacts], state: Mapping[str, Any], *, refunds_count: bool
) -> dict[str, int]:
    """Pieces that came back per line: all of a cancelled order's, those an edit removed, and — when the
    initiative's policy says refunded goods return — the pieces of money-backed refund grants."""
    if not state:
        return {line.line_id: 0 for line in lines}
    if state.get("cancelled"):
        return {line.line_id: line.quantity for line in lines}
    if _nothing_refunded(state) and state.get("lines") is not None:
        present: Mapping[str, int] = state["lines"]
        return {
            line.line_id: line.quantity - min(line.quantity, max(int(present.get(line.line_id, 0)), 0))
            for line in lines
        }
    standing, refunded_qty, _ = _standing_and_refunded(lines, state)
    return {
        line.line_id: line.quantity
        - standing[line.line_id]
        + (refunded_qty[line.line_id] if refunds_count else 0)
        for line in lines
    }


def allocation_targets(
    makers_amount: Decimal, kept: Fraction, allocation_amounts: Sequence[Decimal], currency: str
) -> list[Decimal]:
    """The amounts the line's allocations should hold now, summing exactly to the line's kept amount."""
    if not allocation_amounts:
        return []
    total = sum(allocation_amounts)
    if total == 0:
        return [Decimal(0) for _ in allocation_amounts]
    if kept == 1 and total == makers_amount:
        return list(allocation_amounts)  # what split would give: the parts are the whole's exact shares
    return split(Fraction(makers_amount) * kept, list(allocation_amounts), currency)
