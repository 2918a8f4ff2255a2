"""Properties of the engine over generated rules (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shop_extensions.benefits import engine

money = st.decimals(min_value=Decimal(0), max_value=Decimal(20000), places=2)
months = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 1)).map(engine.month_start)
codes = st.sampled_from(list(engine.FREE_RULE_ORDER))


@st.composite
def rules(draw: st.DrawFn) -> engine.RuleData:
    start = draw(months)
    end = draw(st.one_of(st.none(), st.dates(min_value=start, max_value=date(2029, 12, 31))))
    cap_kind = draw(st.sampled_from(["amount", "none", "unknown"]))
    return engine.RuleData(
        code=draw(codes),
        regime="bijstand",
        valid_from=start,
        valid_to=end,
        source_url="https://example.test/rule",
        verified=draw(st.booleans()),
        cap_kind=cap_kind,
        cap_amount=draw(money) if cap_kind == "amount" else None,
        fallback_cap=draw(st.one_of(st.none(), money)) if cap_kind == "unknown" else None,
        percentage=draw(st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2)),
        max_duration_months=draw(st.one_of(st.none(), st.integers(min_value=1, max_value=36))),
        min_age=draw(st.sampled_from([None, 27])),
    )


@st.composite
def situations(draw: st.DrawFn) -> engine.SituationData:
    return engine.SituationData(
        regime="bijstand",
        date_of_birth=draw(st.dates(min_value=date(1960, 1, 1), max_value=date(2008, 1, 1))),
        household_type=draw(st.sampled_from(["", "single", "couple"])),
        single_parent_child_under_12=draw(st.booleans()),
        medically_limited=draw(st.booleans()),
        loonkostensubsidie=draw(st.booleans()),
        hours_cannot_expand=draw(st.booleans()),
        pension_age_reached=draw(st.booleans()),
        free_period_started=draw(st.one_of(st.none(), months)),
        switched_on=frozenset({"pw-34a"}),
    )


def _estimate(situation, rule_list, month, earned):
    norms = [
        engine.NormData("single", Decimal("1401.50"), date(2024, 1, 1), None, "https://example.test/n", True)
    ]
    return engine.estimate(situation=situation, rules=rule_list, norms=norms, month=month, earned=earned)


@settings(max_examples=300, deadline=None)
@given(situations(), st.lists(rules(), max_size=6), months, money)
def test_free_amount_within_cap_and_earned(situation, rule_list, month, earned):
    result = _estimate(situation, rule_list, month, earned)

    assert Decimal(0) <= result.free_amount <= result.earned
    if result.rule_code is not None:
        candidates = [
            r for r in rule_list if (r.code, r.valid_from) == result.rules_used[-1] and r.valid_on(month)
        ]
        assert any(r.cap is None or result.free_amount <= r.cap for r in candidates)


@settings(max_examples=300, deadline=None)
@given(situations(), st.lists(rules(), max_size=6), months, money, money)
def test_free_amount_never_decreases_when_earnings_grow(situation, rule_list, month, a, b):
    low, high = sorted([a, b])

    assert (
        _estimate(situation, rule_list, month, low).free_amount
        <= _estimate(situation, rule_list, month, high).free_amount
    )


@settings(max_examples=300, deadline=None)
@given(situations(), st.lists(rules(), min_size=1, max_size=6), months, money)
def test_rule_outside_its_dates_never_applied(situation, rule_list, month, earned):
    result = _estimate(situation, rule_list, month, earned)

    for code, valid_from in result.rules_used:
        assert any(r.code == code and r.valid_from == valid_from and r.valid_on(month) for r in rule_list)
    if not any(r.valid_on(month) for r in rule_list):
        assert result.rule_code is None
        assert result.free_amount == Decimal("0.00")


@settings(max_examples=200, deadline=None)
@given(situations(), st.lists(rules(), max_size=6), months, money)
def test_deduction_plus_free_never_exceeds_income(situation, rule_list, month, earned):
    result = _estimate(situation, rule_list, month, earned)

    assert result.deduction >= 0
    assert result.free_amount + result.deduction <= result.counted_income


def test_unknown_amount_without_a_known_predecessor_is_not_applied():
    rule = engine.RuleData(
        code="pw-31-2-n",
        regime="bijstand",
        valid_from=date(2026, 7, 1),
        valid_to=None,
        source_url="https://example.test/n",
        verified=False,
        cap_kind="unknown",
        percentage=Decimal(25),
        max_duration_months=6,
        min_age=27,
    )
    situation = engine.SituationData(
        regime="bijstand", date_of_birth=date(1990, 1, 1), free_period_started=date(2026, 7, 1)
    )

    result = engine.estimate(
        situation=situation, rules=[rule], norms=[], month=date(2026, 8, 1), earned=Decimal(5000)
    )

    assert result.free_amount == Decimal("0.00")
    assert result.rule_code is None
