"""Benefit-income rules and bijstand norms, 2024-01-01 onwards, transcribed from
``../shared/domain/benefit-income-rules.md`` (§1, §8). Data only: to add next half-year's amounts, add (or
fill in) rows here and add a migration that calls ``benefits.data.load.rules_sync`` — no code changes.

Conventions:
- ``cap`` is ``None`` where the facts file has no number; then ``cap_kind`` says why (``unknown``: not yet
  published or not confirmed, always ``verified=False``; ``none``: the law has no cap; ``discretionary``).
- ``verified=False`` wherever the facts file says UNCERTAIN (for the amount or the in-force date).
- ``valid_to`` is the last day a version applies.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

D = Decimal
PW = "https://wetten.overheid.nl/BWBR0015703/{day}#Artikel{art}"
HALF_YEARS = [
    (date(2024, 1, 1), date(2024, 6, 30)),
    (date(2024, 7, 1), date(2024, 12, 31)),
    (date(2025, 1, 1), date(2025, 6, 30)),
    (date(2025, 7, 1), date(2025, 12, 31)),
    (date(2026, 1, 1), date(2026, 6, 30)),
]
# 2026-07-01 amounts are not yet published (facts §9.1); n/r/y/z are assumed to lapse when art 34a comes
# into force on 2027-01-01 (facts §1.7: UNCERTAIN), so the unknown version runs to 2026-12-31.
UNKNOWN_VERSION = (date(2026, 7, 1), date(2026, 12, 31))


def _pw(day: date, art: str = "31") -> str:
    return PW.format(day=day.isoformat(), art=art)


def _art31(
    code: str,
    percentage: str | None,
    caps: list[str],
    *,
    cap_period: str = "month",
    max_duration_months: int | None = None,
    min_age: int | None = None,
    label: str,
    verified_per_version: list[bool] | None = None,
    note: str = "",
) -> list[dict[str, Any]]:
    rows = []
    for index, ((start, end), cap) in enumerate(zip(HALF_YEARS, caps, strict=True)):
        rows.append(
            {
                "regime": "bijstand",
                "code": code,
                "percentage": D(percentage) if percentage else None,
                "cap_kind": "amount",
                "cap_amount": D(cap),
                "cap_period": cap_period,
                "max_duration_months": max_duration_months,
                "min_age": min_age,
                "valid_from": start,
                "valid_to": end,
                "source_url": _pw(start),
                "source": f"wetten.overheid.nl BWBR0015703/{start.isoformat()} art 31 lid 2 {label} [LAW]",
                "verified": verified_per_version[index] if verified_per_version else True,
                "note": note,
            }
        )
    start, end = UNKNOWN_VERSION
    rows.append(
        {
            **rows[-1],
            "cap_kind": "unknown",
            "cap_amount": None,
            "valid_from": start,
            "valid_to": end,
            "source_url": _pw(start),
            "source": f"BWBR0015703/{start.isoformat()} art 31 lid 2 {label}: amount not yet found",
            "verified": False,
            "note": "2026-07-01 indexed amount UNCERTAIN (facts §9.1); in force after 2026 UNCERTAIN",
        }
    )
    return rows


RULES: list[dict[str, Any]] = [
    # §1.1 / §8.1 rows 1-5: 25% of net work income, cap per month, 6 months, not under 27 (lid 5).
    *_art31(
        "pw-31-2-n",
        "25",
        ["264.00", "269.00", "273.00", "278.00", "285.00"],
        max_duration_months=6,
        min_age=27,
        label="n",
    ),
    # §1.2 / row 6: single parent with a child under 12, 12.5%, 30 months after the n period.
    *_art31(
        "pw-31-2-r",
        "12.5",
        ["164.73", "167.79", "170.61", "173.87", "177.66"],
        max_duration_months=30,
        min_age=27,
        label="r",
    ),
    # §1.3 / row 7: medisch urenbeperkt, 15%, no time limit, n first.
    *_art31("pw-31-2-y", "15", ["167.07", "170.18", "173.04", "176.35", "180.19"], label="y"),
    # §1.3 / row 8: loonkostensubsidie target group, 15%, 12 months after n (aa: open-ended, not loaded).
    *_art31(
        "pw-31-2-z",
        "15",
        ["157.96", "170.18", "170.18", "176.35", "180.19"],
        max_duration_months=12,
        label="z",
        note="2024-01 and 2025-01 amounts as published",
    ),
    # §1.4 / row 10: premium, per calendar year (not used by the engine: a municipal premium, not earnings).
    *_art31(
        "pw-31-2-j",
        None,
        ["3151.00", "3209.00", "3263.00", "3326.00", "3398.00"],
        cap_period="year",
        min_age=27,
        label="j",
        note="under 27 only in the loonkostensubsidie target group",
    ),
    # §1.5 / rows 11-13: volunteer allowance, a cliff per month and per year; not under 27 (lid 5).
    *[
        {
            "regime": "bijstand",
            "code": "pw-31-2-k",
            "percentage": None,
            "cap_kind": "amount",
            "cap_amount": D(amount),
            "cap_period": period,
            "max_duration_months": None,
            "min_age": 27,
            "valid_from": date(year, 1, 1),
            "valid_to": date(year, 12, 31),
            "source_url": url,
            "source": source,
            "verified": verified,
            "note": "exceeding the month or year limit makes the whole allowance count as income",
        }
        for year, period, amount, url, source, verified in [
            (
                2024,
                "month",
                "210.00",
                "https://www.belastingdienst.nl/",
                'belastingdienst.nl "Vrijwilligersvergoedingen" [GOV]',
                True,
            ),
            (
                2024,
                "year",
                "2100.00",
                "https://www.belastingdienst.nl/",
                'belastingdienst.nl "Vrijwilligersvergoedingen" [GOV]',
                True,
            ),
            (
                2025,
                "month",
                "210.00",
                "https://www.taxnavigator.nl/",
                "taxnavigator.nl, salarisvanmorgen.nl, dewve.nl [SEC]",
                True,
            ),
            (
                2025,
                "year",
                "2100.00",
                "https://www.taxnavigator.nl/",
                "taxnavigator.nl, salarisvanmorgen.nl, dewve.nl [SEC]",
                True,
            ),
            (
                2026,
                "month",
                "220.00",
                "https://www.iasz.nl/",
                "iasz.nl municipal table; not confirmed on belastingdienst.nl (UNCERTAIN)",
                False,
            ),
            (
                2026,
                "year",
                "2200.00",
                "https://www.iasz.nl/",
                "iasz.nl municipal table; not confirmed on belastingdienst.nl (UNCERTAIN)",
                False,
            ),
        ]
    ],
    # §1.6 / rows 14-15: gifts.
    {
        "regime": "bijstand",
        "code": "pw-31-2-m",
        "percentage": None,
        "cap_kind": "discretionary",
        "cap_amount": None,
        "cap_period": "year",
        "valid_from": date(2024, 1, 1),
        "valid_to": date(2025, 12, 31),
        "source_url": _pw(date(2025, 7, 1)),
        "source": "art 31 lid 2 m (2025 text): college judgement [LAW]",
        "verified": True,
    },
    {
        "regime": "bijstand",
        "code": "pw-31-2-m",
        "percentage": None,
        "cap_kind": "amount",
        "cap_amount": D("1200.00"),
        "cap_period": "year",
        "valid_from": date(2026, 1, 1),
        "valid_to": None,
        "source_url": _pw(date(2026, 1, 1)),
        "source": "art 31 lid 2 m (2026 text), incl. art 18 lid 8 contributions [LAW]",
        "verified": True,
    },
    # §1.7 / row 18: art 34a in the 2026 transition year, only under 27 and only where the municipality
    # switched it on; the in-force date is UNCERTAIN, so unverified.
    {
        "regime": "bijstand",
        "code": "pw-34a",
        "percentage": D("15"),
        "cap_kind": "none",
        "cap_amount": None,
        "max_duration_months": 12,
        "max_age_exclusive": 27,
        "requires_municipality_switch": True,
        "valid_from": date(2026, 1, 1),
        "valid_to": date(2026, 12, 31),
        "source_url": _pw(date(2026, 1, 1), "34a"),
        "source": "art 34a lid 1 a (text) [LAW]; gedoogjaar 2026: binnenlandsbestuur.nl, gemeente.nu 2025-10-15 [SEC]",
        "verified": False,
        "note": "no euro cap in the text; exact in-force date UNCERTAIN",
    },
    {
        "regime": "bijstand",
        "code": "pw-34a",
        "percentage": D("15"),
        "cap_kind": "none",
        "cap_amount": None,
        "max_duration_months": 12,
        "valid_from": date(2027, 1, 1),
        "valid_to": None,
        "source_url": _pw(date(2026, 1, 1), "34a"),
        "source": "art 34a lid 1 a (text) [LAW]; phasing gemeente.nu 2025-10-15 [SEC]",
        "verified": False,
        "note": "no euro cap in the text; in-force date 2027-01-01 UNCERTAIN; extension (lid 2) not modelled",
    },
    # §1.7 / row 19: art 34a lid 1 b, medisch urenbeperkt, 15%, no limit stated.
    {
        "regime": "bijstand",
        "code": "pw-34a-b",
        "percentage": D("15"),
        "cap_kind": "none",
        "cap_amount": None,
        "valid_from": date(2027, 1, 1),
        "valid_to": None,
        "source_url": _pw(date(2026, 1, 1), "34a"),
        "source": "art 34a lid 1 b (text) [LAW]",
        "verified": False,
        "note": "in-force date UNCERTAIN",
    },
    # §3 / row 27: WW offsets 70% of gross income (75% in the first 2 months: not modelled).
    {
        "regime": "ww",
        "code": "ww-offset",
        "percentage": D("70"),
        "percentage_meaning": "offset",
        "cap_kind": "none",
        "cap_amount": None,
        "valid_from": date(2015, 7, 1),
        "valid_to": None,
        "source_url": "https://www.uwv.nl/",
        "source": 'uwv.nl "Opgeven en verrekenen van inkomsten" [GOV]',
        "verified": True,
        "note": "75% in the first 2 months of WW; stops above 87.5% of the WW-maandloon (not kept)",
    },
    # §4 / row 31: WIA (WGA LGU, IVA, WGA 80-100) offsets 70% of earnings.
    {
        "regime": "wia_wga",
        "code": "wia-offset",
        "percentage": D("70"),
        "percentage_meaning": "offset",
        "cap_kind": "none",
        "cap_amount": None,
        "valid_from": date(2024, 1, 1),
        "valid_to": None,
        "source_url": "https://www.mensar.nl/",
        "source": "mensar.nl, leanz.nl, stichtingbwn.nl [SEC]",
        "verified": True,
        "note": "in force before 2024 (no date in the facts file); 75% in the first 2 months of the LGU",
    },
    # §4 / row 34: Wajong keeps 30 cents of each euro; the exact formula is UNCERTAIN.
    {
        "regime": "wajong",
        "code": "wajong",
        "percentage": D("70"),
        "percentage_meaning": "offset",
        "cap_kind": "none",
        "cap_amount": None,
        "valid_from": date(2021, 1, 1),
        "valid_to": None,
        "source_url": "https://www.reumazorgnederland.nl/",
        "source": "reumazorgnederland.nl; uwv.nl (qualitative) [SEC]",
        "verified": False,
        "note": "exact statutory formula after 2021 UNCERTAIN",
    },
]


def _norms(household_type: str, amounts: list[str], art: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "household_type": household_type,
            "amount": D(amount),
            "valid_from": start,
            "valid_to": end,
            "source_url": _pw(start, art),
            "verified": True,
        }
        for (start, end), amount in zip(HALF_YEARS, amounts, strict=True)
    ]
    rows.append(
        {
            "household_type": household_type,
            "amount": None,
            "valid_from": UNKNOWN_VERSION[0],
            "valid_to": None,
            "source_url": _pw(UNKNOWN_VERSION[0], art),
            "verified": False,
        }
    )
    return rows


# §1.8 / rows 22-23: per month incl. holiday allowance.
NORMS: list[dict[str, Any]] = [
    *_norms("single", ["1283.83", "1308.45", "1345.45", "1369.06", "1401.50"], "21"),
    *_norms("couple", ["1834.04", "1869.21", "1922.07", "1955.80", "2002.13"], "21"),
    *_norms("single_18_20", ["316.94", "323.03", "332.17", "337.98", "345.99"], "20"),
]
