"""Statement content → PDF (typst, A4, tagged PDF/UA-1, DejaVu Sans embedded) and CSV (plain UTF-8, and a
Dutch-Excel variant: ``;``, decimal comma, BOM). No database, no storage: typst reads each statement's data
from a file in a private temporary folder of the process (``Typst``), deleted after each compile."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import typst
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shop_extensions.statements import formatting as fmt

TEMPLATE = Path(__file__).parent / "templates" / "statements" / "statement.typ"
PDF_STANDARDS: list[Any] = ["ua-1"]


@dataclass(frozen=True)
class Document:
    """What is printed around the content: which version this is and how to verify it."""

    version: int
    code: str
    verify_url: str
    issued_at: datetime
    previous_code: str = ""
    previous_version: int = 0
    reason: str = ""


class Typst:
    """A typst compiler for one template, fed its data as the file ``data.json`` next to it.

    typst memoizes layout across compilations (comemo), but only while its world stays the same: data passed
    as ``sys_inputs`` rebuilds the standard library on every compile and invalidates all of it, and so does a
    template passed as ``input`` (a new file each time). A fixed main file in a private folder, with only
    ``data.json`` changing, keeps cells, labels and fonts cached between statements: a compile takes about
    10 % less time (``bench_statements --typst-inputs file`` against ``sys``). One per process (a forked child
    makes its own: the folder is not shared), one compile at a time."""

    def __init__(self, template: bytes, font_paths: list[str]) -> None:
        self.pid = os.getpid()
        # The pid in the name: a killed process (SIGKILL runs no clean-up) leaves a folder one can trace.
        self.folder = Path(tempfile.mkdtemp(prefix=f"statements-typst-{self.pid}-"))
        weakref.finalize(self, _remove_folder, self.folder, self.pid)
        main = self.folder / "main.typ"
        main.write_bytes(template)
        self.data = self.folder / "data.json"
        self.lock = threading.Lock()
        self.compiler = typst.Compiler(
            input=str(main), root=str(self.folder), font_paths=font_paths, ignore_system_fonts=True
        )

    def pdf(self, data: str, standards: list[Any], timestamp: int) -> bytes:
        with self.lock:
            self.data.write_text(data, encoding="utf-8")
            try:
                result = self.compiler.compile(format="pdf", pdf_standards=standards, timestamp=timestamp)
            finally:
                self.data.unlink()  # a maker's figures stay on disk no longer than the compile
        assert isinstance(result, bytes)
        return result


def _remove_folder(folder: Path, pid: int) -> None:
    if os.getpid() == pid:  # a forked child exiting leaves its parent's folder alone
        shutil.rmtree(folder, ignore_errors=True)


def font_paths() -> list[str]:
    return sorted({str(fmt.font_file(bold).parent) for bold in (False, True)})


@cache
def _compiler() -> Typst:
    # One per process: fonts are loaded once; only the data changes between statements.
    return Typst(_template(), font_paths())


class ForkedAfterTypst(RuntimeError):
    pass


def _typst() -> Typst:
    """This process's compiler. typst runs on a pool of native threads that a fork does not copy: in a child
    forked after the parent made a compiler, a compile would wait forever for threads that are not there.
    So that child is refused at once. Workers fork before their first statement (Celery's prefork pool: the
    parent never renders) or start with spawn."""
    if _compiler.cache_info().currsize and _compiler().pid != os.getpid():
        raise ForkedAfterTypst(
            "typst already ran in the process this one was forked from, and its threads do not survive a "
            "fork: render statements only in processes forked before the first render, or started with spawn"
        )
    return _compiler()


@cache
def _template() -> bytes:
    return TEMPLATE.read_bytes()


# The fixed texts, translated once per language (the active one) instead of ~35 gettext lookups a statement.
def _nature(code: str) -> str:
    return _natures(translation.get_language()).get(code, code)


@lru_cache(maxsize=16)
def _natures(language: str) -> dict[str, str]:
    return {
        "non_employee": _("payment for work as a non-employee (resultaat uit overige werkzaamheden)"),
        "sales_share": _("share of sales (the maker is treated as independent)"),
        "volunteer": _("volunteer allowance"),
        "wage": _("wage (employment)"),
    }


def _kind(code: str) -> str:
    return _kinds(translation.get_language()).get(code, code)


@lru_cache(maxsize=16)
def _kinds(language: str) -> dict[str, str]:
    return {
        "reversal": _("refund"),
        "correction": _("correction"),
        "payout": _("payout"),
        "payout_return": _("returned payout"),
    }


def _labels() -> dict[str, Any]:
    return _label_set(translation.get_language())


@lru_cache(maxsize=16)
def _label_set(language: str) -> dict[str, Any]:
    return {
        "payer": _("Payer"),
        "participant": _("Participant"),
        "sales": _("Sales"),
        "refunds": _("Refunds and corrections"),
        "payouts": _("Payouts"),
        "pot": _("Spent from your pot"),
        "totals": _("Totals"),
        "counted": _("Income counted for your benefit"),
        "benefit": _("Benefit position: an indication, not a decision"),
        "declaration": _("Declaration"),
        "verify": _("Verify this document"),
        "none": _("Nothing this month."),
        "total": _("Total"),
        "sale_columns": [
            _("Date"),
            _("Product"),
            _("Qty"),
            _("Gross incl. VAT"),
            _("VAT"),
            _("Commission"),
            _("Earned"),
        ],
        "refund_columns": [_("Date"), _("Kind"), _("Product"), _("Qty"), _("Amount")],
        "payout_columns": [_("Payment date"), _("Reference"), _("Amount")],
        "total_columns": ["", _("This month"), _("Year to date")],
        "counted_columns": ["", _("Amount")],
        "benefit_columns": ["", ""],
    }


def _view(content: dict[str, Any], document: Document) -> dict[str, Any]:
    """Translated, formatted strings for the template (called inside ``translation.override``)."""
    lang = content["language"]
    cur = content["currency"]
    month = date.fromisoformat(content["period_start"])
    end = date.fromisoformat(content["period_end"])

    def m(value: str) -> str:
        return fmt.money(Decimal(value), cur, lang)

    def day(value: str) -> str:
        return fmt.day(date.fromisoformat(value), lang)

    payer = content["payer"]
    totals = content["totals"]
    ytd = content["year_to_date"]
    basis = content["income_basis"]
    benefit = content["benefit"]
    correction = ""
    if document.previous_code:
        correction = _("Correction of version %(version)s (code %(code)s): %(reason)s") % {
            "version": document.previous_version,
            "code": document.previous_code,
            "reason": document.reason,
        }
    benefit_rows: list[dict[str, str]] = []
    if benefit is None:
        benefit_note = _("No benefit situation is recorded for you, so no position is estimated.")
    else:
        benefit_rows = [
            {"label": _("Rule applied"), "value": benefit["rule"] or _("none")},
            {"label": _("Income counted"), "value": m(benefit["counted_income"])},
            {"label": _("Estimated free amount"), "value": m(benefit["free_amount"])},
        ]
        benefit_note = _(
            "Source: %(source)s. This is an indication, not a decision: your municipality or UWV decides."
        ) % {"source": benefit["source"] or "—"}
        if not benefit["verified"]:
            benefit_note += " " + _("Some amounts used are not verified yet.")
    basis_label = _("payment date") if basis["basis"] == "payout_date" else _("sale date")
    issued = timezone.localtime(document.issued_at).date()
    return {
        "lang": lang,
        "title": _("Income statement %(month)s") % {"month": fmt.month_name(month, lang)},
        "subtitle": _("Version %(version)s, issued on %(date)s")
        % {
            "version": document.version,
            "date": fmt.day(issued, lang),
        },
        "correction": correction,
        "labels": _labels(),
        "payer": {
            "legal_name": payer["legal_name"],
            "address": payer["address"],
            "city_line": " ".join(p for p in [payer["postal_code"], payer["city"]] if p),
            "kvk_line": _("KvK number %(kvk)s") % {"kvk": payer["kvk"]} if payer["kvk"] else "",
        },
        "maker": {
            "name": content["maker"]["name"],
            "reference_line": _("Reference %(reference)s") % {"reference": content["maker"]["reference"]},
        },
        "period_line": _("Period %(start)s to %(end)s")
        % {
            "start": fmt.day(month, lang),
            "end": fmt.day(end, lang),
        },
        "nature_line": _("Nature of the income: %(nature)s") % {"nature": _nature(content["income_nature"])},
        "sales": [
            {
                "date": day(r["date"]),
                "product": r["product"],
                "quantity": fmt.quantity(r["quantity"], lang),
                "gross": m(r["gross"]),
                "vat": m(r["vat"]),
                "commission": m(r["commission"]),
                "earned": m(r["earned"]),
            }
            for r in content["sales"]
        ],
        "refunds": [
            {
                "date": day(r["date"]),
                "kind": _kind(r["kind"]),
                "product": r["product"],
                "quantity": fmt.quantity(r["quantity"], lang),
                "amount": m(r["amount"]),
            }
            for r in content["refunds"]
        ],
        "payouts": [
            {
                "date": day(r["date"]),
                "reference": r["reference"] + ("" if r["kind"] == "payout" else f" ({_kind(r['kind'])})"),
                "amount": m(r["amount"]),
            }
            for r in content["payouts"]
        ],
        "pot": [
            {"date": day(r["date"]), "reference": r["note"] or r["reference"], "amount": m(r["amount"])}
            for r in content["pot"]
        ],
        "totals": {k: m(v) for k, v in totals.items()},
        "total_rows": [
            {"label": _("Earned (gross income)"), "month": m(totals["earned"]), "ytd": m(ytd["earned"])},
            {"label": _("Deductions withheld"), "month": m(totals["deductions"]), "ytd": m("0")},
            {"label": _("Net income"), "month": m(totals["net"]), "ytd": m(ytd["earned"])},
            {"label": _("Paid out to you"), "month": m(totals["paid_out"]), "ytd": m(ytd["paid_out"])},
            {"label": _("Spent from your pot"), "month": m(totals["pot_spent"]), "ytd": m(ytd["pot_spent"])},
        ],
        "counted_rows": [
            {"label": _("Earned this month, by sale date"), "value": m(basis["by_sale_date"])},
            {"label": _("Paid to you this month, by payment date"), "value": m(basis["by_payment_date"])},
            {
                "label": _("Counted on your basis (%(basis)s)") % {"basis": basis_label},
                "value": m(basis["counted"]),
            },
        ],
        "benefit_rows": benefit_rows,
        "benefit_note": benefit_note,
        "declaration": _(
            "%(payer)s declares that the amounts above were earned by the participant in this period and "
            "reported to them. No wage tax or premiums were withheld."
        )
        % {"payer": payer["legal_name"]}
        + (f" — {payer['signatory']}" if payer["signatory"] else ""),
        "verify_line": _("Verify: %(url)s") % {"url": document.verify_url},
        "verify_text": _(
            "Open %(url)s or enter the code %(code)s at the verification page to check that this document "
            "was issued by %(payer)s and whether it is the newest version."
        )
        % {"url": document.verify_url, "code": document.code, "payer": payer["legal_name"]},
    }


# Must match statement.typ: A4 minus 15 mm margins each side, 9.5 pt DejaVu Sans, the tables' column gutter,
# typst's line box (cap height 1493/2048 em above the baseline) and its default leading (0.65 em).
TEXT_WIDTH_PT = (210 - 2 * 15) * 72 / 25.4
FONT_SIZE_PT = 9.5
GUTTER_PT = 8.0
PAD_Y_PT = 3.5
LINE_PT = FONT_SIZE_PT * 1493 / 2048
LEADING_PT = FONT_SIZE_PT * 0.65
MIN_FLEX_PT = 100.0
WIDTH_SLACK = 1.005  # kerning only narrows DejaVu Sans: the advance sum is an upper bound; keep a hair more


_DIGITS = str.maketrans("123456789", "000000000")


def _width(text: str, bold: bool) -> float:
    # DejaVu Sans has tabular digits: amounts of one shape share a width and a cache entry.
    return _shape_width(text.translate(_DIGITS), bold)


@lru_cache(maxsize=8192)
def _shape_width(text: str, bold: bool) -> float:
    return fmt.text_width(text, FONT_SIZE_PT, bold=bold) * WIDTH_SLACK


_HARD_BREAKS_RE = re.compile(r"\r\n|[\n\r\v\f\x85\u2028\u2029]")
_OPENERS = frozenset("([{¡¿„\u201a«\u2039")


@lru_cache(maxsize=8192)
def _lines(text: str, room: float, bold: bool) -> int | None:
    """Lines ``text`` takes in ``room`` pt when broken greedily (as typst breaks unjustified text) at its hard
    line breaks and at the spaces where Unicode line breaking surely allows it: before a letter, digit or "€",
    not after an opening bracket. typst may break at more places (after a dash), which never needs more
    lines, and its shaped widths are at most the advance sums. None: a word wider than the room."""
    if not text:
        return 0
    room += 0.01  # a column sized to its widest text: rounding must not wrap that text
    space = _width(" ", bold)
    lines = 0
    for part in _HARD_BREAKS_RE.split(text):
        units: list[str] = []
        for word in part.split(" "):
            if units and not ((word[:1].isalnum() or word[:1] == "€") and units[-1][-1:] not in _OPENERS):
                units[-1] += " " + word
            else:
                units.append(word)
        lines, used = lines + 1, -space
        for unit in units:
            w = _width(unit, bold)
            if w > room:
                return None
            if used + space + w > room:
                lines, used = lines + 1, w
            else:
                used += space + w
    return lines


def _height(lines: int) -> float:
    return lines * LINE_PT + max(lines - 1, 0) * LEADING_PT + 2 * PAD_Y_PT


def _table_layout(
    header: list[str], rows: list[list[str]], footer: list[str] | None, flex: int
) -> dict[str, Any]:
    """Fixed column widths and row heights for a table whose ``flex`` column takes the rest of the line.

    typst measures every cell of ``auto`` columns and rows before laying it out again; measured here from the
    font's advance widths instead, a table renders in about half the time. Fixed columns are as wide as their
    widest cell (or header word), so their cells take one line; a header may wrap, like the flex column's
    cells. A row that cannot be measured stays ``auto`` (None), and a table too wide for fixed widths keeps
    ``auto`` columns."""
    body = [(r, False) for r in rows] + ([(footer, True)] if footer else [])
    widest = [max([_width(cells[c], bold) for cells, bold in body], default=0.0) for c in range(len(header))]

    def sized(titles: list[list[str]]) -> tuple[list[Any], float]:
        columns: list[Any] = [
            "1fr" if c == flex else max(widest[c], *(_width(w, True) for w in words))
            for c, words in enumerate(titles)
        ]
        fixed = sum(w for w in columns if w != "1fr")
        return columns, TEXT_WIDTH_PT - fixed - GUTTER_PT * (len(columns) - 1)

    # Headers on one line, unless that squeezes the flex column into wrapping; then they wrap between words.
    columns, rest = sized([[t] for t in header])
    flex_lines = [_lines(cells[flex], rest, bold) for cells, bold in body]
    if any(n not in (0, 1) for n in flex_lines):
        columns, rest = sized([t.split(" ") for t in header])
        flex_lines = [_lines(cells[flex], rest, bold) for cells, bold in body]
    if rest < MIN_FLEX_PT:
        return {
            "columns": ["1fr" if c == flex else "auto" for c in range(len(header))],
            "rows": [None],
            "pad": PAD_Y_PT,
        }
    rooms = [rest if w == "1fr" else w for w in columns]
    counts = [_lines(text, room, True) for text, room in zip(header, rooms, strict=True)]
    heights: list[float | None] = [None if None in counts else _height(max(n or 0 for n in counts))]
    for (cells, bold), lines in zip(body, flex_lines, strict=True):
        if lines is None:
            heights.append(None)
        else:
            # Fixed columns hold their widest text on one line, unless it has a hard break of its own.
            others = [
                _lines(t, r, bold) or 0
                for t, r in zip(cells, rooms, strict=True)
                if _HARD_BREAKS_RE.search(t)
            ]
            heights.append(_height(max(lines, *others, 1 if any(cells) else 0)))
    # A row left to typst (`auto`) gets its padding from the cells' inset, which costs a layout per cell.
    return {"columns": columns, "rows": heights, "pad": PAD_Y_PT if None in heights else 0}


def _layouts(view: dict[str, Any]) -> dict[str, Any]:
    labels = view["labels"]
    totals = view["totals"]
    sales = [
        [r["date"], r["product"], r["quantity"], r["gross"], r["vat"], r["commission"], r["earned"]]
        for r in view["sales"]
    ]
    footer = [labels["total"], "", "", totals["gross"], totals["vat"], totals["commission"], totals["sales"]]
    refunds = [[r["date"], r["kind"], r["product"], r["quantity"], r["amount"]] for r in view["refunds"]]
    return {
        "sales": _table_layout(labels["sale_columns"], sales, footer, 1),
        "refunds": _table_layout(labels["refund_columns"], refunds, None, 2),
        "payouts": _table_layout(
            labels["payout_columns"],
            [[r["date"], r["reference"], r["amount"]] for r in view["payouts"]],
            None,
            1,
        ),
        "pot": _table_layout(
            labels["payout_columns"], [[r["date"], r["reference"], r["amount"]] for r in view["pot"]], None, 1
        ),
        "totals": _table_layout(
            labels["total_columns"], [[r["label"], r["month"], r["ytd"]] for r in view["total_rows"]], None, 0
        ),
        "counted": _table_layout(
            labels["counted_columns"], [[r["label"], r["value"]] for r in view["counted_rows"]], None, 0
        ),
        "benefit": _table_layout(
            labels["benefit_columns"], [[r["label"], r["value"]] for r in view["benefit_rows"]], None, 0
        ),
    }


def pdf_render(content: dict[str, Any], document: Document) -> bytes:
    with translation.override(content["language"]):
        view = _view(content, document)
    view["layout"] = _layouts(view)
    data = json.dumps(view, ensure_ascii=False)
    return _typst().pdf(data, PDF_STANDARDS, int(document.issued_at.timestamp()))


CSV_COLUMNS = [
    "section",
    "date",
    "description",
    "order",
    "quantity",
    "gross",
    "vat",
    "commission",
    "amount",
    "reference",
]


def _csv_row(
    section: str,
    date: str = "",
    description: str = "",
    order: str = "",
    quantity: str = "",
    gross: str = "",
    vat: str = "",
    commission: str = "",
    amount: str = "",
    reference: str = "",
) -> list[str]:
    """One row in ``CSV_COLUMNS`` order (the parameters are those columns)."""
    return [section, date, description, order, quantity, gross, vat, commission, amount, reference]


def _csv_rows(content: dict[str, Any], document: Document) -> list[list[str]]:
    """The rows in ``CSV_COLUMNS`` order (lists: ``csv.writer`` writes them without DictWriter's key checks)."""
    rows: list[list[str]] = []
    meta = {
        "period": content["period"],
        "version": str(document.version),
        "code": document.code,
        "issued_at": timezone.localtime(document.issued_at).isoformat(),
        "payer": content["payer"]["legal_name"],
        "payer_kvk": content["payer"]["kvk"],
        "maker_reference": content["maker"]["reference"],
        "currency": content["currency"],
        "income_nature": content["income_nature"],
        "income_basis": content["income_basis"]["basis"],
    }
    rows += [_csv_row("statement", description=k, reference=v) for k, v in meta.items()]
    rows += [
        _csv_row("sale", r["date"], r["product"], r["order"], r["quantity"], r["gross"], r["vat"],
                 r["commission"], r["earned"])
        for r in content["sales"]
    ]  # fmt: skip
    rows += [
        _csv_row(r["kind"], r["date"], r["product"], r["order"], r["quantity"], amount=r["amount"])
        for r in content["refunds"]
    ]
    rows += [
        _csv_row(r["kind"], r["date"], amount=r["amount"], reference=r["reference"])
        for r in content["payouts"]
    ]
    rows += [
        _csv_row("pot_spend", r["date"], r["note"], amount=r["amount"], reference=r["reference"])
        for r in content["pot"]
    ]
    totals = {**content["totals"], **{f"ytd_{k}": v for k, v in content["year_to_date"].items()}}
    totals["counted_income"] = content["income_basis"]["counted"]
    rows += [_csv_row("total", description=k, amount=v) for k, v in totals.items()]
    return rows


def csv_render(content: dict[str, Any], document: Document) -> bytes:
    """UTF-8, comma-separated, decimal point, English column names: for programs."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_rows(content, document))
    return out.getvalue().encode()


_NUMERIC = {"quantity", "gross", "vat", "commission", "amount"}
_NUMERIC_INDEXES = frozenset(i for i, c in enumerate(CSV_COLUMNS) if c in _NUMERIC)


def excel_csv_render(content: dict[str, Any], document: Document) -> bytes:
    """For Excel in a Dutch locale: BOM, ``;``, decimal comma, CRLF, column names in the maker's language."""
    lang = content["language"]
    with translation.override(lang):
        header = [
            _("Section"),
            _("Date"),
            _("Description"),
            _("Order"),
            _("Qty"),
            _("Gross incl. VAT"),
            _("VAT"),
            _("Commission"),
            _("Amount"),
            _("Reference"),
        ]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    numeric = _NUMERIC_INDEXES
    writer.writerows(
        [cell.replace(".", ",") if i in numeric else cell for i, cell in enumerate(row)]
        for row in _csv_rows(content, document)
    )
    return ("\ufeff" + out.getvalue()).encode()
