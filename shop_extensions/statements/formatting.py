"""Amounts, quantities and dates as a reader of the statement's language expects them (pure functions)."""

from __future__ import annotations

import struct
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import dates, translation

from shop_extensions.core.money import grouped

CURRENCY_SIGNS = {"EUR": "€"}


def money(amount: Decimal | str, currency: str, language: str) -> str:
    """nl: ``€ 1.234,56`` / ``€ -1.234,56``; en: ``€1,234.56`` / ``-€1,234.56``."""
    value = Decimal(amount)
    sign = CURRENCY_SIGNS.get(currency, currency + " ")
    body = grouped(value, language)
    if language == "nl":
        return f"{sign} -{body}" if value < 0 else f"{sign} {body}"
    return f"-{sign}{body}" if value < 0 else f"{sign}{body}"


def number(amount: Decimal | str, language: str) -> str:
    """A plain decimal for CSV cells: no grouping, the language's decimal mark."""
    text = f"{Decimal(amount):.2f}"
    return text.replace(".", ",") if language == "nl" else text


def quantity(value: Decimal | str, language: str) -> str:
    """Whole pieces without decimals; a maker's share of a piece with up to four."""
    q = Decimal(value).normalize()
    text = f"{q:f}" if q != q.to_integral() else f"{q.to_integral():f}"
    return text.replace(".", ",") if language == "nl" else text


@lru_cache(maxsize=4096)  # a month has at most 31 days; English dates need a translation switch each
def day(value: date, language: str) -> str:
    if language == "nl":
        return value.strftime("%d-%m-%Y")
    with translation.override(language):
        return f"{value.day} {str(dates.MONTHS_3[value.month]).title()} {value.year}"


def month_name(value: date, language: str) -> str:
    with translation.override(language):
        return f"{dates.MONTHS[value.month]} {value.year}"


FONT_FILE_NAMES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}


class FontsMissing(ImproperlyConfigured):
    pass


def font_file(bold: bool) -> Path:
    """The statement's font, from STATEMENTS_FONT_DIR; a clear error when it is not installed."""
    path = Path(settings.STATEMENTS_FONT_DIR) / FONT_FILE_NAMES[bold]
    if not path.is_file():
        raise FontsMissing(
            f"statements need the DejaVu Sans font, not found at {path}: install it (Debian/Ubuntu: "
            "apt-get install fonts-dejavu-core) or point STATEMENTS_FONT_DIR at a folder holding it"
        )
    return path


UNKNOWN_EM = 1.5  # a character the font lacks: assume it is wide, so the text never looks narrower than it is


@cache
def _advances(bold: bool) -> dict[str, float]:
    """Advance widths in em by character, read from the TrueType font's ``cmap`` (format 12) and ``hmtx``."""
    font = font_file(bold).read_bytes()
    tables = {
        font[12 + 16 * i : 16 + 16 * i]: struct.unpack_from(">I", font, 20 + 16 * i)[0]
        for i in range(struct.unpack_from(">H", font, 4)[0])
    }
    units = struct.unpack_from(">H", font, tables[b"head"] + 18)[0]
    metrics = struct.unpack_from(">H", font, tables[b"hhea"] + 34)[0]
    hmtx = tables[b"hmtx"]
    widths = [struct.unpack_from(">H", font, hmtx + 4 * g)[0] / units for g in range(metrics)]
    cmap = tables[b"cmap"]
    chars: dict[str, float] = {}
    for i in range(struct.unpack_from(">H", font, cmap + 2)[0]):
        platform, encoding, offset = struct.unpack_from(">HHI", font, cmap + 4 + 8 * i)
        sub = cmap + offset
        if (platform, encoding) != (3, 10) or struct.unpack_from(">H", font, sub)[0] != 12:
            continue
        for group in range(struct.unpack_from(">I", font, sub + 12)[0]):
            start, end, glyph = struct.unpack_from(">III", font, sub + 16 + 12 * group)
            for code in range(start, end + 1):
                chars[chr(code)] = widths[min(glyph + code - start, metrics - 1)]
    return chars


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Width in pt of one line of ``text`` in DejaVu Sans, without kerning (which only narrows this font's
    pairs by a little): lets the PDF's tables get fixed column widths and row heights, which typst lays out
    far faster than ``auto`` ones."""
    chars = _advances(bold)
    return size * sum([chars.get(c, UNKNOWN_EM) for c in text])
