"""Exact money splits: largest-remainder rounding, so the parts always add up to the whole, to the cent."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from shop_extensions.core.money import minor_units


def to_minor(amount: Decimal | Fraction, currency: str) -> Fraction:
    return Fraction(amount) * 10 ** minor_units(currency)


def from_minor(units: int, currency: str) -> Decimal:
    return Decimal(units).scaleb(-minor_units(currency))


def round_half_up(value: Fraction) -> int:
    """Nearest integer, halves away from zero (as money is rounded in the Netherlands)."""
    sign = -1 if value < 0 else 1
    return sign * int(Decimal(abs(value.numerator)) / Decimal(value.denominator) + Decimal("0.5"))


def percent_of(amount: Decimal, percent: Decimal, currency: str) -> Decimal:
    """``percent`` % of ``amount``, rounded half-up to the currency's minor unit."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return (amount * percent / 100).quantize(exponent, rounding=ROUND_HALF_UP)


def split(
    total: Decimal | Fraction, weights: Sequence[Decimal | Fraction | int], currency: str
) -> list[Decimal]:
    """Split ``total`` (rounded half-up to the minor unit first) over ``weights``; the parts sum to it exactly.
    Leftover minor units go to the largest remainders, ties to the earliest weight."""
    if not weights:
        return []
    fractions = [Fraction(w) for w in weights]
    if any(w < 0 for w in fractions):
        raise ValueError("weights cannot be negative")
    units = round_half_up(to_minor(total, currency))
    weight_sum = sum(fractions)
    if weight_sum == 0:
        if units:
            raise ValueError("cannot split a non-zero amount over zero weights")
        return [from_minor(0, currency) for _ in fractions]
    sign = -1 if units < 0 else 1
    exact = [abs(units) * w / weight_sum for w in fractions]
    floors = [e.numerator // e.denominator for e in exact]
    leftover = abs(units) - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [from_minor(sign * part, currency) for part in floors]
