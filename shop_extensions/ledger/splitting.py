"""Exact money splits: largest-remainder rounding, so the parts always add up to the whole, to the cent."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from shop_extensions.core.money import minor_units, quantize


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
    return quantize(amount * percent / 100, currency)


def _whole_units(total: Decimal | Fraction, currency: str) -> int:
    if isinstance(total, Decimal) and total.is_finite():
        return int(total.scaleb(minor_units(currency)).to_integral_value(ROUND_HALF_UP))
    return round_half_up(to_minor(total, currency))


def _as_integers(weights: Sequence[Decimal | Fraction | int]) -> list[int] | None:
    """The weights as integers in the same proportions (whole numbers, or Decimals scaled by a power of
    ten), or None when they are not all of those kinds."""
    if all(type(w) is int for w in weights):
        return list(weights)  # type: ignore[arg-type]
    if not all(isinstance(w, Decimal) and w.is_finite() for w in weights):
        return None
    shift = max(0, max(-int(w.as_tuple().exponent) for w in weights))  # type: ignore[union-attr]
    scaled = [w.scaleb(shift) for w in weights]  # type: ignore[union-attr]
    if any(s != s.to_integral_value() for s in scaled):
        return None  # beyond the context's precision: take the exact path
    return [int(s) for s in scaled]


def split(
    total: Decimal | Fraction, weights: Sequence[Decimal | Fraction | int], currency: str
) -> list[Decimal]:
    """Split ``total`` (rounded half-up to the minor unit first) over ``weights``; the parts sum to it exactly.
    Leftover minor units go to the largest remainders, ties to the earliest weight. Only the proportions of
    the weights matter: integer (or Decimal) weights take a faster path with the same result."""
    if not weights:
        return []
    units = _whole_units(total, currency)
    integers = _as_integers(weights)
    if integers is not None:
        return _split_integers(units, integers, currency)
    fractions = [Fraction(w) for w in weights]
    if any(w < 0 for w in fractions):
        raise ValueError("weights cannot be negative")
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


def _split_integers(units: int, weights: list[int], currency: str) -> list[Decimal]:
    """``split`` in integers: part i is units * w_i / sum exactly, its remainder (units * w_i) mod sum."""
    if any(w < 0 for w in weights):
        raise ValueError("weights cannot be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if units:
            raise ValueError("cannot split a non-zero amount over zero weights")
        return [from_minor(0, currency) for _ in weights]
    digits = -minor_units(currency)
    if len(weights) == 1:  # one part: the whole
        return [Decimal(units).scaleb(digits)]
    sign = -1 if units < 0 else 1
    whole = abs(units)
    floors = [whole * w // weight_sum for w in weights]
    remainders = [whole * w % weight_sum for w in weights]
    leftover = whole - sum(floors)
    if leftover:
        for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:leftover]:
            floors[i] += 1
    return [Decimal(sign * part).scaleb(digits) for part in floors]
