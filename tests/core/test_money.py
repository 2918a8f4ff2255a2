from decimal import Decimal

import pytest

from shop_extensions.core.money import Money, amount_text


def test_amounts_are_rounded_to_the_currency_precision_half_up():
    assert Money(Decimal("19.995"), "EUR").amount == Decimal("20.00")
    assert Money(Decimal("100.5"), "JPY").amount == Decimal("101")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        Money(19.99, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.parse(19.99, "EUR")


def test_currencies_do_not_mix():
    with pytest.raises(ValueError, match="cannot combine"):
        Money(Decimal(1), "EUR") + Money(Decimal(1), "USD")


def test_minor_units_only_at_the_boundary():
    assert Money.parse("19.99", "eur").to_minor() == 1999
    assert Money.parse(Decimal("-0.01"), "EUR").to_minor() == -1


@pytest.mark.parametrize(
    ("amount", "language", "text"),
    [
        ("1234.5", "nl", "1.234,50"),
        ("1234.5", "en", "1,234.50"),
        ("-0.05", "nl", "-0,05"),
        ("1000000", "nl", "1.000.000,00"),
        ("26.32", "en", "26.32"),
    ],
)
def test_amounts_in_a_sentence_follow_the_languages_notation(amount, language, text):
    assert amount_text(Decimal(amount), language) == text
