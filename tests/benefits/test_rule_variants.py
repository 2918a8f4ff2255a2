"""Rule variants added by migration 0004, computed by hand from ../shared/domain/benefit-income-rules.md
against the loaded rows. Each case id names the rule and its source."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shop_extensions.benefits import engine
from shop_extensions.benefits.models import BenefitRule, ReferenceAmount
from shop_extensions.benefits.selectors import rulebook_for_month

pytestmark = pytest.mark.django_db
D = Decimal


def run(month: date, earned: str, **situation: object) -> engine.Estimate:
    book = rulebook_for_month(month=month)
    gifts = situation.pop("gifts_year", None)
    fields: dict[str, object] = {
        "regime": "bijstand",
        "household_type": "single",
        "date_of_birth": date(1980, 6, 15),
        **situation,
    }
    return engine.estimate(
        situation=engine.SituationData(**fields),  # type: ignore[arg-type]
        rules=book.rules,
        norms=book.norms,
        month=month,
        earned=D(earned),
        gifts_year=gifts,  # type: ignore[arg-type]
    )


# (month, earned, situation, rule applied, free amount, deduction, months left in the period, verified)
CASES = {
    # §1.1: above pension age n has no time limit: month 13 of the period still 25%, up to EUR 285.
    "pw-31-2-n-aow__bwbr0015703_2026-01-01__month_13_600": (
        date(2026, 1, 1),
        "600",
        {"pension_age_reached": True, "free_period_started": date(2025, 1, 1)},
        "pw-31-2-n-aow",
        "150.00",
        None,
        None,
        True,
    ),
    "pw-31-2-n-aow__bwbr0015703_2026-01-01__capped_at_285": (
        date(2026, 1, 1),
        "2000",
        {"pension_age_reached": True, "free_period_started": date(2025, 1, 1)},
        "pw-31-2-n-aow",
        "285.00",
        None,
        None,
        True,
    ),
    "pw-31-2-n__bwbr0015703_2026-01-01__below_pension_age_month_13_nothing": (
        date(2026, 1, 1),
        "600",
        {"free_period_started": date(2025, 1, 1)},
        None,
        "0.00",
        "600.00",
        None,
        True,
    ),
    # §1.3: z runs months 7-18 (12 months after n's 6); month 18 is its last.
    "pw-31-2-z__bwbr0015703_2026-01-01__month_18_last_month": (
        date(2026, 1, 1),
        "1000",
        {"loonkostensubsidie": True, "free_period_started": date(2024, 8, 1)},
        "pw-31-2-z",
        "150.00",
        "850.00",
        0,
        True,
    ),
    # §1.3: aa from month 19 when the college judged the hours cannot expand: 15% up to EUR 180.19.
    "pw-31-2-aa__bwbr0015703_2026-01-01__month_20_1000": (
        date(2026, 1, 1),
        "1000",
        {"loonkostensubsidie": True, "hours_cannot_expand": True, "free_period_started": date(2024, 6, 1)},
        "pw-31-2-aa",
        "150.00",
        "850.00",
        None,
        True,
    ),
    "pw-31-2-aa__bwbr0015703_2026-01-01__capped_at_180_19": (
        date(2026, 1, 1),
        "2000",
        {"loonkostensubsidie": True, "hours_cannot_expand": True, "free_period_started": date(2024, 6, 1)},
        "pw-31-2-aa",
        "180.19",
        None,
        None,
        True,
    ),
    "pw-31-2-aa__without_the_college_decision_nothing_after_z": (
        date(2026, 1, 1),
        "1000",
        {"loonkostensubsidie": True, "free_period_started": date(2024, 6, 1)},
        None,
        "0.00",
        "1000.00",
        None,
        True,
    ),
    # §1.7 row 20: art 34a lid 1 c from 2027 (date UNCERTAIN): 25% up to EUR 226.
    "pw-34a-c__bwbr0015703_art34a__2027_pension_age_capped_at_226": (
        date(2027, 3, 1),
        "1000",
        {"pension_age_reached": True, "free_period_started": date(2027, 1, 1)},
        "pw-34a-c",
        "226.00",
        None,
        None,
        False,
    ),
    # §1.7 row 18: art 34a lid 1 a from 2027 for 27+ too: 15% without a euro cap, 12 months.
    "pw-34a__bwbr0015703_art34a__2027_month_3": (
        date(2027, 3, 1),
        "1000",
        {"free_period_started": date(2027, 1, 1)},
        "pw-34a",
        "150.00",
        None,
        9,
        False,
    ),
    "pw-34a__bwbr0015703_art34a__2028_month_13_ended": (
        date(2028, 1, 1),
        "1000",
        {"free_period_started": date(2027, 1, 1)},
        None,
        "0.00",
        None,
        None,
        False,
    ),
    # §1.7 row 18: art 34a lid 2, the college extends after the 12 months.
    "pw-34a-2__bwbr0015703_art34a_lid2__2028_month_14_extended": (
        date(2028, 2, 1),
        "1000",
        {"hours_cannot_expand": True, "free_period_started": date(2027, 1, 1)},
        "pw-34a-2",
        "150.00",
        None,
        None,
        False,
    ),
    # §1.7 row 19: art 34a lid 1 b, medisch urenbeperkt: 15% with no period (so no end to announce).
    "pw-34a-b__bwbr0015703_art34a__2027_medically_limited": (
        date(2027, 3, 1),
        "1000",
        {"medically_limited": True, "free_period_started": date(2027, 1, 1)},
        "pw-34a-b",
        "150.00",
        None,
        None,
        False,
    ),
    # §3 row 27: WW offsets 75% in months 1-2 of the benefit, then 70%.
    "ww-offset-start__uwv_ww_berekenen__month_2_offsets_75": (
        date(2026, 2, 1),
        "1000",
        {"regime": "ww", "benefit_started": date(2026, 1, 1)},
        "ww-offset-start",
        "250.00",
        "750.00",
        None,
        True,
    ),
    "ww-offset__uwv_ww_berekenen__month_3_offsets_70": (
        date(2026, 3, 1),
        "1000",
        {"regime": "ww", "benefit_started": date(2026, 1, 1)},
        "ww-offset",
        "300.00",
        "700.00",
        None,
        True,
    ),
    # §4: the WGA wage-related benefit is 75% in its first 2 months.
    "wia-offset-start__stichtingbwn__month_1_offsets_75": (
        date(2026, 1, 1),
        "1000",
        {"regime": "wia_wga", "benefit_started": date(2026, 1, 1)},
        "wia-offset-start",
        "250.00",
        "750.00",
        None,
        True,
    ),
}


@pytest.mark.parametrize(
    ("month", "earned", "situation", "rule", "free", "deduction", "months_left", "verified"),
    list(CASES.values()),
    ids=list(CASES),
)
def test_rule_variant(month, earned, situation, rule, free, deduction, months_left, verified):
    result = run(month, earned, **situation)

    assert result.rule_code == rule
    assert result.free_amount == D(free)
    if deduction is not None:
        assert result.deduction == D(deduction)
    period_end = result.threshold("free_period_end")
    assert (period_end.distance if period_end else None) == (None if months_left is None else D(months_left))
    assert result.verified is verified


def test_ww_offset__unknown_start_uses_the_usual_share_and_says_so():
    result = run(date(2026, 2, 1), "1000", regime="ww")

    assert result.rule_code == "ww-offset"
    assert result.deduction == D("700.00")
    assert any("ww-offset-start" in note for note in result.notes)


@pytest.mark.parametrize(
    ("month", "limit", "verified"),
    [(date(2025, 5, 1), "1800.00", True), (date(2026, 5, 1), "1200.00", True)],
    ids=[
        "pw-31-2-m__amsterdam_giftendrempel_at5_2023__2025_1800",
        "pw-31-2-m__bwbr0015703_2026-01-01__2026_law_1200_over_unconfirmed_amsterdam",
    ],
)
def test_gift_limit_amsterdam(month, limit, verified):
    result = run(month, "0", municipality="amsterdam", gifts_year=D("1000.00"))

    assert result.threshold("gift_year").limit == D(limit)
    assert result.threshold("gift_year").verified is verified
    assert any("municipality's own limit" in note for note in result.notes) is (month.year == 2026)


def test_ams_bijverdienpremie__nos_gemeente_nu__loaded_unverified_never_applied():
    row = BenefitRule.objects.get(code="ams-bijverdienpremie")
    result = run(date(2026, 1, 1), "600", municipality="amsterdam", free_period_started=date(2025, 1, 1))

    assert (row.percentage, row.cap_kind, row.verified) == (D("30.00"), "unknown", False)
    assert result.rule_code is None
    assert ("ams-bijverdienpremie", date(2024, 1, 1)) not in result.rules_used


@pytest.mark.parametrize(
    ("code", "percentage", "meaning", "cap", "period", "valid_from", "verified"),
    [
        ("pw-34b", None, "free", "1000.00", "year", date(2027, 1, 1), False),
        ("ww-stop", "87.50", "of_reference", None, "month", date(2015, 7, 1), True),
        ("wajong-end", "75.00", "of_reference", None, "month", date(2021, 1, 1), True),
        ("wajong-max", "70.00", "of_reference", None, "month", date(2018, 1, 1), True),
        ("wajong-allowance", None, "free", "2400.00", "year", date(2024, 1, 1), True),
    ],
    ids=[
        "pw-34b__bwbr0015703_art34b__bufferbudget_1000",
        "ww-stop__uwv_opgeven__87_5_percent_of_maandloon",
        "wajong-end__uwv_inkomsten_uit_werk__75_percent_of_wml",
        "wajong-max__uwv_oude_wajong__70_percent_of_wml",
        "wajong-allowance__uwv_inkomsten_wijziging__2400_a_year",
    ],
)
def test_data_only_rules_loaded(code, percentage, meaning, cap, period, valid_from, verified):
    row = BenefitRule.objects.get(code=code)

    assert row.percentage == (D(percentage) if percentage else None)
    assert row.percentage_meaning == meaning
    assert row.cap_amount == (D(cap) if cap else None)
    assert (row.cap_period, row.valid_from, row.verified) == (period, valid_from, verified)


def test_data_only_rules_never_set_the_estimate():
    wajong = run(date(2026, 1, 1), "1000", regime="wajong")
    ww = run(date(2026, 3, 1), "1000", regime="ww", benefit_started=date(2025, 1, 1))

    assert (wajong.rule_code, wajong.deduction) == ("wajong", D("700.00"))
    assert (ww.rule_code, ww.deduction) == ("ww-offset", D("700.00"))


def test_minimum_wage_half_years__facts_1_9():
    rows = list(
        ReferenceAmount.objects.filter(code="wml-hour-21")
        .order_by("valid_from")
        .values_list("valid_from", "amount")
    )
    month = list(
        ReferenceAmount.objects.filter(code="wml-reference-month")
        .order_by("valid_from")
        .values_list("valid_from", "amount", "verified")
    )

    assert rows == [
        (date(2024, 1, 1), D("13.27")),
        (date(2024, 7, 1), D("13.68")),
        (date(2025, 1, 1), D("14.06")),
        (date(2025, 7, 1), D("14.40")),
        (date(2026, 1, 1), D("14.71")),
        (date(2026, 7, 1), None),
    ]
    assert month[0] == (date(2024, 1, 1), None, False)  # back-calculated in the facts file: not loaded
    assert month[4] == (date(2026, 1, 1), D("2294.40"), True)


def test_asset_limits__pw_art_34_lid_3():
    rows = dict(ReferenceAmount.objects.filter(code="pw-assets-single").values_list("valid_from", "amount"))

    assert rows == {date(2024, 1, 1): D("7575.00"), date(2025, 1, 1): None, date(2026, 1, 1): D("8000.00")}
