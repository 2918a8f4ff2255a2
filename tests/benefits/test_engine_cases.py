"""Cases computed by hand from ../shared/domain/benefit-income-rules.md, against the rows the data migration
loaded. Each id names its source."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shop_extensions.benefits import engine
from shop_extensions.benefits.selectors import rulebook_for_month

pytestmark = pytest.mark.django_db

D = Decimal
PW_2026 = "https://wetten.overheid.nl/BWBR0015703/2026-01-01#Artikel31"


def run(
    month: date,
    earned: str,
    *,
    born: date = date(1995, 6, 15),
    started: date | None = None,
    **situation: object,
) -> engine.Estimate:
    book = rulebook_for_month(month=month)
    extra = {k: situation.pop(k) for k in ("volunteer_allowance_month", "gifts_year") if k in situation}
    fields: dict[str, object] = {"regime": "bijstand", "household_type": "single", **situation}
    return engine.estimate(
        situation=engine.SituationData(date_of_birth=born, free_period_started=started, **fields),  # type: ignore[arg-type]
        rules=book.rules,
        norms=book.norms,
        month=month,
        earned=D(earned),
        **extra,  # type: ignore[arg-type]
    )


def test_pw_31_2_n__bwbr0015703_2026_01_01__month_2_earning_600_keeps_25_percent():
    result = run(date(2026, 1, 1), "600", started=date(2025, 12, 1))

    assert result.rule_code == "pw-31-2-n"
    assert result.free_amount == D("150.00")
    assert result.deduction == D("450.00")
    assert result.keeps_of_next_euro == D("0.25")
    assert result.source_url == PW_2026
    assert result.verified is True
    assert result.indication is True
    assert result.threshold("free_cap").limit == D("1140.00")  # 285 / 25%
    assert result.threshold("free_cap").distance == D("540.00")
    assert result.threshold("free_period_end").distance == D(4)
    # art 21 norm 2026-01 EUR 1,401.50: 1,401.50 / 0.75 would free 467 > 285, so the benefit stops at 1,401.50 + 285
    assert result.threshold("benefit_stop").limit == D("1686.50")
    assert result.threshold("benefit_stop").distance == D("1086.50")


def test_pw_31_2_n__bwbr0015703_2026_01_01__earning_1500_capped_at_285():
    result = run(date(2026, 1, 1), "1500", started=date(2025, 12, 1))

    assert result.free_amount == D("285.00")
    assert result.deduction == D("1215.00")
    assert result.keeps_of_next_euro == D(0)


def test_pw_31_2_n__bwbr0015703_2026_01_01__month_7_nothing_free():
    result = run(date(2026, 1, 1), "600", started=date(2025, 7, 1))

    assert result.rule_code is None
    assert result.free_amount == D("0.00")
    assert result.deduction == D("600.00")
    assert result.threshold("benefit_stop").limit == D("1401.50")


def test_pw_31_5__under_27_in_2026_gets_no_n():
    result = run(date(2026, 1, 1), "600", born=date(2001, 5, 1), started=date(2026, 1, 1))

    assert result.rule_code is None
    assert result.free_amount == D("0.00")


def test_pw_34a__bwbr0015703_2026_01_01_art34a__under_27_where_municipality_switched_on_unverified():
    result = run(
        date(2026, 1, 1),
        "600",
        born=date(2001, 5, 1),
        started=date(2026, 1, 1),
        municipality="amsterdam",
        switched_on=frozenset({"pw-34a"}),
    )

    assert result.rule_code == "pw-34a"
    assert result.free_amount == D("90.00")  # 15%, no euro cap in the text
    assert result.verified is False
    assert result.threshold("free_cap") is None
    assert result.threshold("free_period_end").distance == D(11)


def test_pw_34a__switch_has_no_effect_for_27_plus_in_2026():
    result = run(date(2026, 1, 1), "600", started=date(2025, 7, 1), switched_on=frozenset({"pw-34a"}))

    assert result.rule_code is None


def test_pw_31_2_r__bwbr0015703_2026_01_01__single_parent_after_n_period():
    low = run(date(2026, 1, 1), "600", started=date(2025, 7, 1), single_parent_child_under_12=True)
    high = run(date(2026, 1, 1), "2000", started=date(2025, 7, 1), single_parent_child_under_12=True)

    assert low.rule_code == "pw-31-2-r"
    assert low.free_amount == D("75.00")  # 12.5% of 600
    assert high.free_amount == D("177.66")
    assert low.threshold("free_period_end").distance == D(29)  # month 7 of 6 + 30


def test_pw_31_2_r__ends_after_30_months():
    result = run(date(2026, 1, 1), "600", started=date(2023, 1, 1), single_parent_child_under_12=True)

    assert result.rule_code is None


def test_pw_31_2_y__bwbr0015703_2025_01_01__medically_limited_no_time_limit():
    low = run(date(2025, 3, 1), "1000", started=date(2023, 8, 1), medically_limited=True)
    high = run(date(2025, 3, 1), "2000", started=date(2023, 8, 1), medically_limited=True)
    unknown_start = run(date(2025, 3, 1), "1000", medically_limited=True)

    assert low.rule_code == "pw-31-2-y"
    assert low.free_amount == D("150.00")
    assert high.free_amount == D("173.04")
    assert low.threshold("free_period_end") is None
    assert unknown_start.rule_code == "pw-31-2-y"
    assert low.source_url == "https://wetten.overheid.nl/BWBR0015703/2025-01-01#Artikel31"


def test_pw_31_2_y__n_comes_first_in_the_n_period():
    result = run(date(2025, 3, 1), "1000", started=date(2025, 2, 1), medically_limited=True)

    assert result.rule_code == "pw-31-2-n"
    assert result.free_amount == D("250.00")


def test_ww_offset__uwv_opgeven_en_verrekenen__70_percent_offset():
    result = run(date(2026, 1, 1), "1000", regime="ww")

    assert result.rule_code == "ww-offset"
    assert result.deduction == D("700.00")
    assert result.free_amount == D("300.00")
    assert result.keeps_of_next_euro == D("0.30")
    assert result.verified is True


def test_wajong__formula_uncertain__unverified():
    result = run(date(2026, 1, 1), "1000", regime="wajong")

    assert result.deduction == D("700.00")
    assert result.verified is False


@pytest.mark.parametrize(
    ("allowance", "counted"),
    [("210.00", "0.00"), ("210.01", "210.01")],
    ids=["at-limit", "one-cent-over"],
)
def test_pw_31_2_k__belastingdienst_vrijwilligersvergoedingen_2024__cliff(allowance, counted):
    result = run(date(2024, 3, 1), "0", started=date(2023, 1, 1), volunteer_allowance_month=D(allowance))

    assert result.deduction == D(counted)
    assert result.threshold("volunteer_month").limit == D("210.00")
    assert result.verified is True


def test_pw_31_2_k__2026_limit_uncertain__unverified_when_used():
    result = run(date(2026, 3, 1), "0", started=date(2023, 1, 1), volunteer_allowance_month=D("215.00"))

    assert result.deduction == D("0.00")
    assert result.threshold("volunteer_month").limit == D("220.00")
    assert result.verified is False


def test_pw_31_5__under_27_volunteer_allowance_counts():
    result = run(date(2025, 3, 1), "0", born=date(2001, 5, 1), volunteer_allowance_month=D("100.00"))

    assert result.deduction == D("100.00")


@pytest.mark.parametrize(
    ("month", "started", "free"),
    [(date(2024, 6, 1), date(2024, 5, 1), "264.00"), (date(2024, 7, 1), date(2024, 6, 1), "269.00")],
    ids=["bwbr0015703-2024-01-01-june", "bwbr0015703-2024-07-01-july"],
)
def test_pw_31_2_n__rule_change_on_1_july_applies_to_the_right_month(month, started, free):
    result = run(month, "2000", started=started)

    assert result.free_amount == D(free)
    assert result.rules_used[-1] == ("pw-31-2-n", month if month.month == 7 else date(2024, 1, 1))


def test_pw_31_2_n__2026_07_amount_unpublished__last_known_cap_unverified():
    result = run(date(2026, 8, 1), "2000", started=date(2026, 7, 1))

    assert result.free_amount == D("285.00")
    assert result.verified is False
    assert result.source_url == "https://wetten.overheid.nl/BWBR0015703/2026-07-01#Artikel31"
    assert any("not yet published" in note for note in result.notes)


def test_pw_31_2_m__bwbr0015703_2026_01_01__gift_limit_1200_per_year():
    result = run(date(2026, 5, 1), "0", gifts_year=D("1000.00"))
    before = run(date(2025, 5, 1), "0", gifts_year=D("1000.00"))

    assert result.threshold("gift_year").distance == D("200.00")
    assert before.threshold("gift_year") is None


def test_personal_limit_distance():
    result = run(date(2026, 1, 1), "450", personal_monthly_limit=D("500.00"))

    assert result.threshold("personal_limit").distance == D("50.00")


def test_art_21_norm__couple_2025_07_01__benefit_stop_without_free_amount():
    result = run(date(2025, 9, 1), "2500", household_type="couple")

    assert result.threshold("benefit_stop").limit == D("1955.80")
    assert result.deduction == D("1955.80")  # the benefit cannot go below zero
    assert result.keeps_of_next_euro == D(1)


def test_no_benefit_keeps_everything():
    result = run(date(2026, 1, 1), "800", regime="none")

    assert result.free_amount == D("800.00")
    assert result.deduction == D("0.00")
    assert result.thresholds == ()
