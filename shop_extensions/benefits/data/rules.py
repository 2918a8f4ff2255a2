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
    # §1.1: above pension age n has no time limit (the AOW age is not in the facts file: a flag says it).
    *_art31(
        "pw-31-2-n-aow",
        "25",
        ["264.00", "269.00", "273.00", "278.00", "285.00"],
        min_age=27,
        label="n (pension age reached: no time limit)",
    ),
    # §1.3 / row 8: loonkostensubsidie target group, 15%, 12 months after n.
    *_art31(
        "pw-31-2-z",
        "15",
        ["157.96", "170.18", "170.18", "176.35", "180.19"],
        max_duration_months=12,
        label="z",
        note="2024-01 and 2025-01 amounts as published",
    ),
    # §1.3 / row 8: aa, the z amounts open-ended after the z period when the college judged that the
    # person cannot expand their hours.
    *_art31(
        "pw-31-2-aa",
        "15",
        ["157.96", "170.18", "170.18", "176.35", "180.19"],
        label="aa",
        note="after the z period, if the college judges the hours cannot be expanded; amounts as z",
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
    # §1.6 / row 16: Amsterdam's giftendrempel (policy, not law); how it relates to the statutory EUR 1,200
    # from 2026 is UNCERTAIN, so that version is unverified (the engine then keeps the statutory limit).
    {
        "regime": "bijstand",
        "code": "pw-31-2-m",
        "municipality": "amsterdam",
        "percentage": None,
        "cap_kind": "amount",
        "cap_amount": D("1800.00"),
        "cap_period": "year",
        "valid_from": date(2023, 3, 1),
        "valid_to": date(2025, 12, 31),
        "source_url": "https://www.amsterdamsdagblad.nl/",
        "source": "amsterdamsdagblad.nl, at5.nl (Feb 2023) quoting the college [SEC]; beleidsregels 2025 art 2.4",
        "verified": True,
        "note": "municipal policy: gifts below it need not be reported",
    },
    {
        "regime": "bijstand",
        "code": "pw-31-2-m",
        "municipality": "amsterdam",
        "percentage": None,
        "cap_kind": "amount",
        "cap_amount": D("1800.00"),
        "cap_period": "year",
        "valid_from": date(2026, 1, 1),
        "valid_to": None,
        "source_url": "https://lokaleregelgeving.overheid.nl/CVDR736729/1",
        "source": "Amsterdam giftendrempel after the statutory EUR 1,200 (art 31 lid 2 m, 2026): UNCERTAIN",
        "verified": False,
        "note": "whether EUR 1,800 survives the statutory EUR 1,200 from 2026 is UNCERTAIN (facts §9.4)",
    },
    # §6 / row 17: Amsterdam bijverdienpremie, a municipal premium (not a free amount: never applied by the
    # engine); 30% up to EUR 219 a month until at least 2023-12-31, parameters 2024 onwards UNCERTAIN.
    {
        "regime": "bijstand",
        "code": "ams-bijverdienpremie",
        "municipality": "amsterdam",
        "percentage": D("30"),
        "cap_kind": "unknown",
        "cap_amount": None,
        "valid_from": date(2024, 1, 1),
        "valid_to": None,
        "source_url": "https://nos.nl/",
        "source": "nos.nl, gemeente.nu (30%, max EUR 219 a month, to end 2023) [SEC]; 2024+ UNCERTAIN",
        "verified": False,
        "note": "paid twice a year (June, November); 2024-2026 parameters UNCERTAIN (facts §9.4)",
    },
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
    # §1.7 / row 18: art 34a lid 2, after the 12 months the college may extend if more hours are not
    # possible (the municipality's decision is the ``hours_cannot_expand`` flag). Lid 3 (a new 12 months
    # after a new job) is a new ``free_period_started``, not a rule of its own.
    {
        "regime": "bijstand",
        "code": "pw-34a-2",
        "percentage": D("15"),
        "cap_kind": "none",
        "cap_amount": None,
        "valid_from": date(2027, 1, 1),
        "valid_to": None,
        "source_url": _pw(date(2026, 1, 1), "34a"),
        "source": "art 34a lid 2 (text) [LAW]; Schulinck on the draft PiB [SEC]",
        "verified": False,
        "note": "extension after the 34a period when the college decides; in-force date UNCERTAIN",
    },
    # §1.7 / row 20: art 34a lid 1 c, pension age reached, 25% up to EUR 226 a month.
    {
        "regime": "bijstand",
        "code": "pw-34a-c",
        "percentage": D("25"),
        "cap_kind": "amount",
        "cap_amount": D("226.00"),
        "valid_from": date(2027, 1, 1),
        "valid_to": None,
        "source_url": _pw(date(2026, 1, 1), "34a"),
        "source": "art 34a lid 1 c (text) [LAW]",
        "verified": False,
        "note": "in-force date UNCERTAIN; the cap may be indexed",
    },
    # §1.7 / row 21: art 34b bufferbudget, up to EUR 1,000 a calendar year, ex officio (not a free amount:
    # never applied by the engine).
    {
        "regime": "bijstand",
        "code": "pw-34b",
        "percentage": None,
        "cap_kind": "amount",
        "cap_amount": D("1000.00"),
        "cap_period": "year",
        "valid_from": date(2027, 1, 1),
        "valid_to": None,
        "source_url": _pw(date(2026, 1, 1), "34b"),
        "source": "art 34b (text) [LAW]",
        "verified": False,
        "note": "discretionary, ex officio; in-force date UNCERTAIN; not for Bbz (art 60ba, UNCERTAIN)",
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
    # §3 / row 27: in the first 2 months of the WW the benefit is 75% of the remainder: 75% is offset.
    {
        "regime": "ww",
        "code": "ww-offset-start",
        "percentage": D("75"),
        "percentage_meaning": "offset",
        "cap_kind": "none",
        "cap_amount": None,
        "max_duration_months": 2,
        "valid_from": date(2015, 7, 1),
        "valid_to": None,
        "source_url": "https://www.uwv.nl/",
        "source": 'uwv.nl "Uw WW-uitkering berekenen als u inkomsten heeft" [GOV]',
        "verified": True,
        "note": "months 1-2 of the WW benefit",
    },
    # §3 / row 28: WW stops above 87.5% of the WW-maandloon (the maandloon is not kept: data only).
    {
        "regime": "ww",
        "code": "ww-stop",
        "percentage": D("87.5"),
        "percentage_meaning": "of_reference",
        "cap_kind": "none",
        "cap_amount": None,
        "valid_from": date(2015, 7, 1),
        "valid_to": None,
        "source_url": "https://www.uwv.nl/",
        "source": 'uwv.nl "Opgeven en verrekenen van inkomsten" [GOV]',
        "verified": True,
        "note": "share of the WW-maandloon, which is not kept (not estimated)",
    },
    # §4: the WGA wage-related benefit (LGU) is 75% in its first 2 months (IVA / WGA 80-100: 70% throughout;
    # the regime does not tell them apart, so this is the lower estimate for those).
    {
        "regime": "wia_wga",
        "code": "wia-offset-start",
        "percentage": D("75"),
        "percentage_meaning": "offset",
        "cap_kind": "none",
        "cap_amount": None,
        "max_duration_months": 2,
        "valid_from": date(2024, 1, 1),
        "valid_to": None,
        "source_url": "https://www.stichtingbwn.nl/",
        "source": "stichtingbwn.nl; financieelvakweb.nl [SEC]",
        "verified": True,
        "note": "WGA LGU months 1-2; in force before 2024 (no date in the facts file)",
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
    # §4 / row 35: the Wajong ends only after 5 years of work AND earning at least 75% of the minimum
    # (youth) wage without support (data only: years of work are not kept).
    {
        "regime": "wajong",
        "code": "wajong-end",
        "percentage": D("75"),
        "percentage_meaning": "of_reference",
        "cap_kind": "none",
        "cap_amount": None,
        "valid_from": date(2021, 1, 1),
        "valid_to": None,
        "source_url": "https://www.uwv.nl/",
        "source": 'uwv.nl "Inkomsten uit werk" [GOV]',
        "verified": True,
        "note": "share of the minimum (youth) wage, after 5 years of work without support",
    },
    # §4: maximum Wajong for people with working capacity, 70% of the minimum wage since 2018 (data only).
    {
        "regime": "wajong",
        "code": "wajong-max",
        "percentage": D("70"),
        "percentage_meaning": "of_reference",
        "cap_kind": "none",
        "cap_amount": None,
        "valid_from": date(2018, 1, 1),
        "valid_to": None,
        "source_url": "https://www.uwv.nl/",
        "source": "uwv.nl oude Wajong page [GOV]",
        "verified": True,
        "note": "share of the minimum wage",
    },
    # §4 / row 36: a one-off allowance outside the werkkostenregeling counts above EUR 2,400 a calendar
    # year (no start date in the facts file: loaded from the start of the range).
    {
        "regime": "wajong",
        "code": "wajong-allowance",
        "percentage": None,
        "cap_kind": "amount",
        "cap_amount": D("2400.00"),
        "cap_period": "year",
        "valid_from": date(2024, 1, 1),
        "valid_to": None,
        "source_url": "https://www.uwv.nl/",
        "source": 'uwv.nl "Inkomsten die invloed hebben op uw WIA-, WAZ-, WAO- of Wajong-uitkering" [GOV]',
        "verified": True,
        "note": "counts as income when above the limit; no start date in the facts file",
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


def _reference(
    code: str, unit: str, amounts: list[str | None], source: str, url: str
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {
            "code": code,
            "amount": D(amount) if amount is not None else None,
            "unit": unit,
            "valid_from": start,
            "valid_to": end,
            "source_url": url,
            "source": source,
            "verified": amount is not None,
            "note": "" if amount is not None else "UNCERTAIN in the facts file: not loaded",
        }
        for (start, end), amount in zip(HALF_YEARS, amounts, strict=True)
    ]
    rows.append(
        {
            "code": code,
            "amount": None,
            "unit": unit,
            "valid_from": UNKNOWN_VERSION[0],
            "valid_to": None,
            "source_url": url,
            "source": source,
            "verified": False,
            "note": "2026-07-01 amount not yet set (facts §9.1)",
        }
    )
    return rows


# §1.9 / rows 24-25 (minimum wage, SEC citing SZW Staatscourant) and §1.8 (art 34 lid 3 asset limits:
# the facts file has 2024-01-01 and 2026-01-01 only, so 2025 is unknown).
REFERENCE_AMOUNTS: list[dict[str, Any]] = [
    *_reference(
        "wml-hour-21",
        "hour",
        ["13.27", "13.68", "14.06", "14.40", "14.71"],
        "persaldi.nl, rd.nl, adw-accountants.nl, accountancyvanmorgen.nl, admintrend.nl, mkbservicedesk.nl [SEC]",
        "https://www.rijksoverheid.nl/onderwerpen/minimumloon",
    ),
    # 2024-01-01: the facts file has only a back-calculated ~EUR 2,069 (UNCERTAIN): not loaded.
    *_reference(
        "wml-reference-month",
        "month",
        [None, "2133.60", "2191.80", "2245.80", "2294.40"],
        "adw-accountants.nl, baartsemennema.nl, admintrend.nl (Stcrt 2025, 12264), grootheddeaccountants.nl [SEC]",
        "https://www.rijksoverheid.nl/onderwerpen/minimumloon",
    ),
    *[
        {
            "code": code,
            "amount": D(amount) if amount else None,
            "unit": "once",
            "valid_from": start,
            "valid_to": end,
            "source_url": _pw(start if amount else date(2024, 1, 1), "34"),
            "source": f"art 34 lid 3 Pw ({label}) [LAW]",
            "verified": amount is not None,
            "note": "" if amount else "2025 amount not in the facts file",
        }
        for code, label, amounts in [
            ("pw-assets-single", "single", ["7575.00", None, "8000.00"]),
            ("pw-assets-couple", "single parent or couple", ["15150.00", None, "16000.00"]),
        ]
        for (start, end), amount in zip(
            [
                (date(2024, 1, 1), date(2024, 12, 31)),
                (date(2025, 1, 1), date(2025, 12, 31)),
                (date(2026, 1, 1), None),
            ],
            amounts,
            strict=True,
        )
    ],
]
