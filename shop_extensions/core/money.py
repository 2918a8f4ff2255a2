"""Money: Decimal + ISO currency, rounded to the currency's precision. Never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 minor units for the currencies an initiative can sell in; two is the default.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3}


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


_units: dict[str, Decimal] = {}


def minor_unit(currency: str) -> Decimal:
    """The currency's smallest amount (0.01 for EUR), made once per currency."""
    found = _units.get(currency)
    if found is None:
        found = _units[currency] = Decimal(1).scaleb(-minor_units(currency))
    return found


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, float) or not isinstance(self.amount, Decimal | int):
            raise TypeError(f"Money needs a Decimal amount, got {type(self.amount).__name__}")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")
        object.__setattr__(self, "currency", self.currency.upper())
        object.__setattr__(self, "amount", quantize(Decimal(self.amount), self.currency))

    @classmethod
    def parse(cls, amount: object, currency: str) -> Money:
        """From a payload value (Decimal, int or numeric string). Floats are refused on purpose."""
        if isinstance(amount, float):
            raise TypeError("amounts must be parsed as Decimal, never float")
        try:
            return cls(Decimal(str(amount)), currency)
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {amount!r}") from exc

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {getattr(other, 'currency', other)!r}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def to_minor(self) -> int:
        """Integer minor units; only payment adapters call this."""
        return int(self.amount.scaleb(minor_units(self.currency)))

    def __str__(self) -> str:
        return f"{self.currency} {self.amount}"


def grouped(amount: Decimal, language: str, places: int = 2) -> str:
    """The absolute amount as a reader of ``language`` writes it: nl ``1.234,56``, en ``1,234.56``."""
    text = f"{abs(Decimal(amount)):,.{places}f}"
    if language == "nl":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def amount_text(amount: Decimal, language: str) -> str:
    """A signed amount for a sentence, in the language's notation (``-1.234,56`` in Dutch)."""
    return ("-" if Decimal(amount) < 0 else "") + grouped(amount, language)
