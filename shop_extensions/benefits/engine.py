"""The threshold engine: pure functions over plain dataclasses, no database, no amounts of its own.

Given a maker's situation, a month, what they earned (or would earn) and the rule rows, it estimates what is
free beside the benefit, what is deducted, what they keep of the next euro and how far each threshold is.
Always an indication. Rules are applied only on dates inside their validity, checked here too.

Assumptions (each also reported in ``notes`` where it applies):
- bijstand counts net income; the engine is given one amount and treats it as that income.
- the free-amount period is counted in calendar months from ``free_period_started`` (month 1); an unknown
  start means no time-limited rule is assumed (never promise more than the law gives).
- a rule version whose amount is not yet published falls back to the newest known amount of that rule
  (indexation only raises amounts, so this is the lower estimate) and makes the result unverified.
- when several bijstand rules could apply, the order is n, r, y, z, aa (n first, as the law says for y);
  from 2027 art 34a lid 1 c, b, a, then the lid 2 extension.
- WW / WIA offset more in the first 2 months of the benefit; with an unknown start month the usual share is
  used and a note says so.
- pot spending not counted as income (payout basis) is named in the notes and makes the result unverified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ONE = Decimal(1)
HUNDRED = Decimal(100)

BIJSTAND = "bijstand"
NONE_REGIME = "none"
OFFSET_REGIMES = {"ww": "ww-offset", "wia_wga": "wia-offset", "wajong": "wajong"}
START_OFFSET = {"ww": "ww-offset-start", "wia_wga": "wia-offset-start"}  # months 1-2 of the benefit
FREE_RULE_ORDER = (
    "pw-31-2-n-aow",
    "pw-31-2-n",
    "pw-31-2-r",
    "pw-31-2-y",
    "pw-31-2-z",
    "pw-31-2-aa",
    "pw-34a-c",
    "pw-34a-b",
    "pw-34a",
    "pw-34a-2",
)
# The situation flags (the municipality's decisions) a rule needs, and those that rule it out.
REQUIRES = {
    "pw-31-2-n-aow": ("pension_age_reached",),
    "pw-31-2-r": ("single_parent_child_under_12",),
    "pw-31-2-y": ("medically_limited",),
    "pw-31-2-z": ("loonkostensubsidie",),
    "pw-31-2-aa": ("loonkostensubsidie", "hours_cannot_expand"),
    "pw-34a-c": ("pension_age_reached",),
    "pw-34a-b": ("medically_limited",),
    "pw-34a-2": ("hours_cannot_expand",),
}
EXCLUDES = {"pw-31-2-n": ("pension_age_reached",), "pw-34a": ("pension_age_reached",)}
# Periods that run one after the other: a rule's months start after its predecessors' periods.
AFTER = {
    "pw-31-2-r": ("pw-31-2-n",),
    "pw-31-2-z": ("pw-31-2-n",),
    "pw-31-2-aa": ("pw-31-2-n", "pw-31-2-z"),
    "pw-34a-2": ("pw-34a",),
}
PERIOD_APPROACHING_MONTHS = 1  # "approaching" when this many months of the free period are left
VOLUNTEER = "pw-31-2-k"
GIFTS = "pw-31-2-m"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


@dataclass(frozen=True)
class RuleData:
    code: str
    regime: str
    valid_from: date
    valid_to: date | None
    source_url: str
    verified: bool
    cap_kind: str = "none"
    cap_amount: Decimal | None = None
    cap_period: str = "month"
    percentage: Decimal | None = None
    percentage_meaning: str = "free"
    max_duration_months: int | None = None
    min_age: int | None = None
    max_age_exclusive: int | None = None
    requires_municipality_switch: bool = False
    municipality: str = ""
    fallback_cap: Decimal | None = None  # newest known cap of this rule, for a version still unknown

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def share(self) -> Decimal:
        return (self.percentage or ZERO) / HUNDRED

    @property
    def cap(self) -> Decimal | None:
        """The cap used: the amount, else the fallback for an unknown amount, else None (no cap)."""
        if self.cap_kind == "amount":
            return self.cap_amount
        if self.cap_kind == "unknown":
            return self.fallback_cap
        return None

    @property
    def trusted(self) -> bool:
        return self.verified and self.cap_kind != "unknown"


@dataclass(frozen=True)
class NormData:
    household_type: str
    amount: Decimal | None
    valid_from: date
    valid_to: date | None
    source_url: str
    verified: bool
    fallback_amount: Decimal | None = None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def used_amount(self) -> Decimal | None:
        return self.amount if self.amount is not None else self.fallback_amount


@dataclass(frozen=True)
class SituationData:
    regime: str
    municipality: str = ""
    date_of_birth: date | None = None
    under_27: bool = False
    household_type: str = ""
    single_parent_child_under_12: bool = False
    medically_limited: bool = False
    loonkostensubsidie: bool = False
    hours_cannot_expand: bool = False
    pension_age_reached: bool = False
    benefit_started: date | None = None
    free_period_started: date | None = None
    personal_monthly_limit: Decimal | None = None
    switched_on: frozenset[str] = frozenset()  # rule codes the municipality switched on for the month


@dataclass(frozen=True)
class Threshold:
    """``limit`` and ``distance`` in euros of earnings (``unit='EUR'``) or in months (``unit='months'``);
    for the volunteer and gift limits the euros are of allowance and gifts, not earnings."""

    kind: str
    limit: Decimal
    distance: Decimal
    unit: str
    rule_code: str
    source_url: str
    verified: bool
    earnings_based: bool = True


@dataclass(frozen=True)
class Estimate:
    month: date
    earned: Decimal
    counted_income: Decimal
    free_amount: Decimal
    deduction: Decimal
    keeps_of_next_euro: Decimal | None
    rule_code: str | None
    source_url: str | None
    thresholds: tuple[Threshold, ...]
    rules_used: tuple[tuple[str, date], ...]
    verified: bool
    notes: tuple[str, ...] = ()
    indication: bool = field(default=True, init=False)

    def threshold(self, kind: str) -> Threshold | None:
        return next((t for t in self.thresholds if t.kind == kind), None)


def _age_band(situation: SituationData, day: date) -> tuple[int, int | None]:
    """(lowest, highest) age the maker can have on ``day``; highest None = unbounded."""
    if situation.date_of_birth is not None:
        born = situation.date_of_birth
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        return age, age
    return (0, 26) if situation.under_27 else (27, None)


def _age_fits(rule: RuleData, situation: SituationData, day: date) -> bool:
    low, high = _age_band(situation, day)
    if rule.min_age is not None and low < rule.min_age:
        return False
    return not (rule.max_age_exclusive is not None and (high is None or high >= rule.max_age_exclusive))


def _applies(rule: RuleData, situation: SituationData, day: date) -> bool:
    return (
        rule.regime == situation.regime
        and rule.valid_on(day)
        and (not rule.municipality or rule.municipality == situation.municipality)
        and _age_fits(rule, situation, day)
        and (not rule.requires_municipality_switch or rule.code in situation.switched_on)
    )


def _pick(rules: list[RuleData], code: str, period: str = "month") -> RuleData | None:
    matches = [r for r in rules if r.code == code and r.cap_period == period]
    # A verified municipal version beats the national one, an unverified one only stands in for a missing
    # national one (Amsterdam's giftendrempel from 2026); then the newest.
    matches.sort(
        key=lambda r: (2 if r.municipality and r.verified else 0 if r.municipality else 1, r.valid_from)
    )
    return matches[-1] if matches else None


def _free_rule(
    applicable: list[RuleData], situation: SituationData, day: date, notes: list[str]
) -> tuple[RuleData | None, Decimal | None]:
    """The bijstand free-amount rule for the month, and the months left in its period after this one."""
    index = (
        months_between(situation.free_period_started, day) + 1
        if situation.free_period_started is not None
        else None
    )
    for code in FREE_RULE_ORDER:
        rule = _pick(applicable, code)
        if rule is None or rule.percentage is None:
            continue
        if not all(getattr(situation, flag) for flag in REQUIRES.get(code, ())):
            continue
        if any(getattr(situation, flag) for flag in EXCLUDES.get(code, ())):
            continue
        if rule.cap is None and rule.cap_kind != "none":
            notes.append(f"{code}: amount unknown for this period, not applied")
            continue
        predecessors = [_pick(applicable, before) for before in AFTER.get(code, ())]
        if rule.max_duration_months is None and not predecessors:
            return rule, None
        if index is None:
            notes.append("start month of the free-amount period unknown: time-limited rules not assumed")
            continue
        if any(p is None or p.max_duration_months is None for p in predecessors):
            continue
        first = 1 + sum(p.max_duration_months or 0 for p in predecessors if p is not None)
        if rule.max_duration_months is None:
            if index >= first:
                return rule, None
            continue
        last = first + rule.max_duration_months - 1
        if first <= index <= last:
            return rule, Decimal(last - index)
    return None, None


def _offset_rule(
    applicable: list[RuleData], situation: SituationData, day: date, notes: list[str]
) -> RuleData | None:
    """WW / WIA offset more in the first months of the benefit; Wajong has one share."""
    main = _pick(applicable, OFFSET_REGIMES[situation.regime])
    start_code = START_OFFSET.get(situation.regime)
    start = _pick(applicable, start_code) if start_code else None
    if start is None or start.max_duration_months is None:
        return main
    if situation.benefit_started is None:
        notes.append(
            f"{start_code}: the first {start.max_duration_months} months of the benefit offset more; "
            "start month unknown, the usual share is used"
        )
        return main
    index = months_between(situation.benefit_started, day) + 1
    return start if 1 <= index <= start.max_duration_months else main


def _free_amount(rule: RuleData | None, earned: Decimal) -> Decimal:
    if rule is None or earned <= 0:
        return ZERO
    raw = earned * rule.share
    cap = rule.cap
    return cents(min(raw, cap) if cap is not None else raw)


def _stop_income(rule: RuleData | None, target: Decimal) -> Decimal:
    """Earnings at which (earnings - free amount) reaches ``target``: there the benefit ends."""
    if target <= 0:
        return ZERO
    if rule is None or rule.share <= 0:
        return cents(target)
    share = rule.share
    if share >= ONE:
        return cents(target)  # never reached in theory; report the norm itself
    uncapped = target / (ONE - share)
    cap = rule.cap
    if cap is None or uncapped * share <= cap:
        return cents(uncapped)
    return cents(target + cap)


def _euro_threshold(
    kind: str, limit: Decimal, amount: Decimal, rule: RuleData | NormData | None, *, earnings: bool = True
) -> Threshold:
    code = rule.code if isinstance(rule, RuleData) else ("bijstand-norm" if rule else "personal")
    verified = (rule.trusted if isinstance(rule, RuleData) else rule.verified) if rule else True
    if isinstance(rule, NormData) and rule.amount is None:
        verified = False
    return Threshold(
        kind=kind,
        limit=cents(limit),
        distance=cents(limit - amount),
        unit="EUR",
        rule_code=code,
        source_url=rule.source_url if rule else "",
        verified=verified,
        earnings_based=earnings,
    )


def estimate(
    *,
    situation: SituationData,
    rules: list[RuleData],
    norms: list[NormData],
    month: date,
    earned: Decimal,
    volunteer_allowance_month: Decimal | None = None,
    volunteer_allowance_year: Decimal | None = None,
    gifts_year: Decimal | None = None,
    uncounted_pot_spending: Decimal | None = None,
) -> Estimate:
    """Volunteer and gift thresholds are reported only when those amounts are given (they are not in the
    ledger), so an unverified limit the maker does not use does not mark the whole estimate unverified.
    ``uncounted_pot_spending``: spent from the maker's pot this month and not counted in ``earned``; whether
    it counts is UNCERTAIN (facts §6), so the result says so and is unverified."""
    day = month_start(month)
    earned = cents(earned)
    notes: list[str] = []
    applicable = [r for r in rules if _applies(r, situation, day)]
    used: list[RuleData] = []
    thresholds: list[Threshold] = []
    trusted = True

    if situation.regime == NONE_REGIME:
        free, deduction, keeps, main = max(earned, ZERO), ZERO, ONE, None
        counted = earned
    elif situation.regime in OFFSET_REGIMES:
        main = _offset_rule(applicable, situation, day, notes)
        counted = earned
        if main is None or main.percentage is None:
            notes.append("no rule known for this benefit on this date")
            free, deduction, keeps, trusted = ZERO, ZERO, None, False
        else:
            deduction = cents(max(earned, ZERO) * main.share)
            free = max(earned, ZERO) - deduction
            keeps = ONE - main.share
            used.append(main)
    elif situation.regime == BIJSTAND:
        main, months_left = _free_rule(applicable, situation, day, notes)
        free = _free_amount(main, earned)
        counted = earned
        extra_counted = ZERO
        volunteer_month = _pick(applicable, VOLUNTEER, "month")
        volunteer_year = _pick(applicable, VOLUNTEER, "year")
        if volunteer_allowance_month is not None or volunteer_allowance_year is not None:
            allowance = cents(volunteer_allowance_month or ZERO)
            allowance_year = cents(volunteer_allowance_year or allowance)
            if volunteer_month is None or volunteer_year is None:
                extra_counted = allowance
                notes.append("no volunteer-allowance exemption applies: the allowance counts as income")
            else:
                used += [volunteer_month, volunteer_year]
                month_cap, year_cap = volunteer_month.cap, volunteer_year.cap
                if (
                    month_cap is None
                    or year_cap is None
                    or allowance > month_cap
                    or allowance_year > year_cap
                ):
                    extra_counted = allowance  # the cliff: the whole allowance counts
                if month_cap is not None:
                    thresholds.append(
                        _euro_threshold(
                            "volunteer_month", month_cap, allowance, volunteer_month, earnings=False
                        )
                    )
                if year_cap is not None:
                    thresholds.append(
                        _euro_threshold(
                            "volunteer_year", year_cap, allowance_year, volunteer_year, earnings=False
                        )
                    )
        counted = earned + extra_counted
        if gifts_year is not None:
            gift_rule = _pick(applicable, GIFTS, "year")
            if any(r.code == GIFTS and r.municipality and r is not gift_rule for r in applicable):
                notes.append("gifts: the municipality's own limit is not confirmed; the law's limit is used")
            if gift_rule is not None and gift_rule.cap is not None:
                used.append(gift_rule)
                thresholds.append(
                    _euro_threshold("gift_year", gift_rule.cap, cents(gifts_year), gift_rule, earnings=False)
                )
            else:
                notes.append("gifts: no fixed yearly limit on this date (the municipality decides)")
        deduction = max(counted - free, ZERO)
        keeps = (
            main.share if main is not None and (main.cap is None or earned * main.share < main.cap) else ZERO
        )
        if main is not None:
            used.append(main)
            if main.cap is not None and main.share > 0:
                thresholds.append(_euro_threshold("free_cap", main.cap / main.share, earned, main))
            if months_left is not None:
                thresholds.append(
                    Threshold(
                        kind="free_period_end",
                        limit=Decimal(main.max_duration_months or 0),
                        distance=months_left,
                        unit="months",
                        rule_code=main.code,
                        source_url=main.source_url,
                        verified=main.trusted,
                        earnings_based=False,
                    )
                )
        else:
            notes.append("no free amount applies this month")
        norm = next(
            (n for n in norms if n.household_type == situation.household_type and n.valid_on(day)), None
        )
        if norm is not None and norm.used_amount is not None:
            norm_amount = norm.used_amount
            deduction = min(deduction, norm_amount)
            stop = _stop_income(main, norm_amount - extra_counted)
            thresholds.append(_euro_threshold("benefit_stop", stop, earned, norm))
            trusted = trusted and norm.verified and norm.amount is not None
            if earned >= stop:
                keeps = ONE
        else:
            notes.append("household type or norm unknown: where the benefit stops is not estimated")
    else:
        main, counted, free, deduction, keeps, trusted = None, earned, ZERO, ZERO, None, False
        notes.append("benefit unknown: no estimate possible")

    if situation.personal_monthly_limit is not None:
        thresholds.append(_euro_threshold("personal_limit", situation.personal_monthly_limit, earned, None))
    if any(r.cap_kind == "unknown" for r in used):
        notes.append("an amount for this period is not yet published: the last known amount is used")
    if uncounted_pot_spending is not None and uncounted_pot_spending > 0 and situation.regime != NONE_REGIME:
        notes.append(
            f"pot spending of {cents(uncounted_pot_spending)} this month is not counted as income; "
            "whether it counts is UNCERTAIN"
        )
        trusted = False
    verified = trusted and all(r.trusted for r in used)
    return Estimate(
        month=day,
        earned=earned,
        counted_income=cents(counted),
        free_amount=cents(free),
        deduction=cents(deduction),
        keeps_of_next_euro=keeps,
        rule_code=main.code if main is not None else None,
        source_url=main.source_url if main is not None else None,
        thresholds=tuple(thresholds),
        rules_used=tuple((r.code, r.valid_from) for r in used),
        verified=verified,
        notes=tuple(dict.fromkeys(notes)),
    )


LEVEL_ORDER = {"ok": 0, "approaching": 1, "reached": 2, "over": 3}


@dataclass(frozen=True)
class ThresholdLevel:
    kind: str
    level: str
    limit: Decimal


@dataclass(frozen=True)
class Status:
    status: str
    threshold: str
    limit: Decimal | None
    room_left: Decimal | None
    levels: tuple[ThresholdLevel, ...]


def _period_levels(result: Estimate) -> list[ThresholdLevel]:
    """The end of the free-amount period: approaching with one month left after this one, reached in its
    last month. No "over": the month after, the period (and this threshold) is gone."""
    levels = []
    for t in result.thresholds:
        if t.unit != "months":
            continue
        if t.distance == 0:
            levels.append(ThresholdLevel(kind=t.kind, level="reached", limit=t.limit))
        elif t.distance <= PERIOD_APPROACHING_MONTHS:
            levels.append(ThresholdLevel(kind=t.kind, level="approaching", limit=t.limit))
    return levels


def status_of(*, result: Estimate, approaching_percent: Decimal) -> Status:
    """ok / approaching / reached / over against each earnings threshold; the worst one is the status.
    ``levels`` also holds the end of the free-amount period (to be announced), which never sets the status:
    the status is about what the maker earns."""
    levels: list[ThresholdLevel] = []
    earned = result.earned
    for t in result.thresholds:
        if not t.earnings_based or t.unit != "EUR":
            continue
        if earned > t.limit:
            level = "over"
        elif earned == t.limit and t.limit > 0:
            level = "reached"
        elif t.limit > 0 and earned >= t.limit * approaching_percent / HUNDRED:
            level = "approaching"
        else:
            level = "ok"
        levels.append(ThresholdLevel(kind=t.kind, level=level, limit=t.limit))
    period = _period_levels(result)
    ahead = [t.limit - earned for t in levels if t.limit > earned]
    room_left = cents(min(ahead)) if ahead else (ZERO if levels else None)
    if not levels:
        return Status(status="ok", threshold="", limit=None, room_left=None, levels=tuple(period))
    worst = max(levels, key=lambda t: (LEVEL_ORDER[t.level], -t.limit))
    return Status(
        status=worst.level,
        threshold=worst.kind if worst.level != "ok" else min(levels, key=lambda t: t.limit).kind,
        limit=worst.limit if worst.level != "ok" else min(t.limit for t in levels),
        room_left=room_left,
        levels=(*levels, *period),
    )
