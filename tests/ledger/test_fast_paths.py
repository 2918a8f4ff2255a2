"""The shortcuts of the attribution's arithmetic give exactly (value and exponent) what the general formulas
give."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from shop_extensions.ledger.services import _entry_pieces, _pieces

PIECE = Decimal("0.0001")
# numeric(12, 4) and numeric(12, 2), as the database gives them back
pieces_st = st.integers(min_value=0, max_value=10**12 - 1).map(lambda n: Decimal(n).scaleb(-4))
amounts_st = st.integers(min_value=0, max_value=10**12 - 1).map(lambda n: Decimal(n).scaleb(-2))


def general_pieces(weight: int | Fraction) -> Decimal:
    weight = Fraction(weight)
    return (Decimal(weight.numerator) / Decimal(weight.denominator) / 10_000).quantize(PIECE, ROUND_HALF_UP)


def general_entry_pieces(quantity: Decimal, amount: Decimal, diff: Decimal) -> Decimal:
    return (quantity * diff / amount if amount else Decimal(0)).quantize(PIECE)


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_whole_weights_become_the_same_pieces(weight):
    assert str(_pieces(weight)) == str(general_pieces(weight))


@given(st.fractions(min_value=0, max_value=10**8, max_denominator=10**6))
def test_fractional_weights_become_the_same_pieces(weight):
    assert str(_pieces(weight)) == str(general_pieces(weight))


@given(pieces_st, amounts_st)
def test_a_whole_allocation_moves_the_same_pieces(quantity, amount):
    assert str(_entry_pieces(quantity, amount, amount)) == str(general_entry_pieces(quantity, amount, amount))


@given(pieces_st, amounts_st, amounts_st, st.booleans())
def test_a_part_of_an_allocation_moves_the_same_pieces(quantity, amount, diff, negative):
    diff = -diff if negative else diff
    assert str(_entry_pieces(quantity, amount, diff)) == str(general_entry_pieces(quantity, amount, diff))


def exact_split(total: Decimal, weights: list[int]) -> list[Decimal]:
    """Largest remainders over Fractions, the formula ``split`` states."""
    units = int(total.scaleb(2).to_integral_value(ROUND_HALF_UP))
    exact = [Fraction(abs(units) * w, sum(weights)) for w in weights]
    floors = [e.numerator // e.denominator for e in exact]
    for i in sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))[
        : abs(units) - sum(floors)
    ]:
        floors[i] += 1
    sign = -1 if units < 0 else 1
    return [Decimal(sign * part).scaleb(-2) for part in floors]


@given(
    st.integers(min_value=-(10**9), max_value=10**9).map(lambda n: Decimal(n).scaleb(-2)),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=5).filter(any),
)
def test_split_in_integers_gives_the_exact_split(total, weights):
    from shop_extensions.ledger.splitting import split

    parts = split(total, weights, "EUR")
    assert [str(p) for p in parts] == [str(p) for p in exact_split(total, weights)]
    assert sum(parts) == total
