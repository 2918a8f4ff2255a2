"""Reads: rule rows for a month as engine dataclasses, situations, positions for the coordinator."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from shop_extensions.benefits import engine
from shop_extensions.benefits.models import (
    BenefitRule,
    BenefitSituation,
    BijstandNorm,
    IncomeBasis,
    InitiativeBenefitPolicy,
    MunicipalitySwitch,
    Position,
)
from shop_extensions.core.actors import user_actor
from shop_extensions.core.services import audit_event_record
from shop_extensions.ledger import selectors as ledger_selectors
from shop_extensions.makers import selectors as makers_selectors
from shop_extensions.makers.models import Maker

DEFAULT_APPROACHING_PERCENT = InitiativeBenefitPolicy._meta.get_field("approaching_percent").get_default()
CURRENCY = "EUR"  # the rules are in euros


@dataclass(frozen=True)
class RuleBook:
    """The rules and norms valid in one month, ready for the engine."""

    month: date
    rules: list[engine.RuleData]
    norms: list[engine.NormData]
    switches: dict[str, frozenset[str]]  # per municipality, the rule codes it switched on


def _valid_on(day: date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


def rulebook_for_month(*, month: date) -> RuleBook:
    """Two queries for the month's rows, plus one each only when a version's amount is still unknown (then
    the newest known amount of that rule is attached as the engine's lower estimate)."""
    day = engine.month_start(month)
    rows = list(BenefitRule.objects.filter(_valid_on(day)))
    rules = []
    for row in rows:
        fallback = None
        if row.cap_kind == "unknown":
            fallback = (
                BenefitRule.objects.filter(
                    code=row.code,
                    municipality=row.municipality,
                    cap_period=row.cap_period,
                    cap_kind="amount",
                    valid_from__lt=row.valid_from,
                )
                .order_by("-valid_from")
                .values_list("cap_amount", flat=True)
                .first()
            )
        rules.append(
            engine.RuleData(
                code=row.code,
                regime=row.regime,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
                source_url=row.source_url,
                verified=row.verified,
                cap_kind=row.cap_kind,
                cap_amount=row.cap_amount,
                cap_period=row.cap_period,
                percentage=row.percentage,
                percentage_meaning=row.percentage_meaning,
                max_duration_months=row.max_duration_months,
                min_age=row.min_age,
                max_age_exclusive=row.max_age_exclusive,
                requires_municipality_switch=row.requires_municipality_switch,
                municipality=row.municipality,
                fallback_cap=fallback,
            )
        )
    norms = []
    for norm in BijstandNorm.objects.filter(_valid_on(day)):
        fallback = None
        if norm.amount is None:
            fallback = (
                BijstandNorm.objects.filter(
                    household_type=norm.household_type, amount__isnull=False, valid_from__lt=norm.valid_from
                )
                .order_by("-valid_from")
                .values_list("amount", flat=True)
                .first()
            )
        norms.append(
            engine.NormData(
                household_type=norm.household_type,
                amount=norm.amount,
                valid_from=norm.valid_from,
                valid_to=norm.valid_to,
                source_url=norm.source_url,
                verified=norm.verified,
                fallback_amount=fallback,
            )
        )
    return RuleBook(month=day, rules=rules, norms=norms, switches=switches_on(municipalities=None, month=day))


_CACHE_SECONDS = 60
_rulebooks: dict[date, tuple[float, RuleBook]] = {}


def rulebook_cached(*, month: date) -> RuleBook:
    """``rulebook_for_month``, kept per process for a minute: rules change by data migration, and the
    position after every ledger change must not reload them."""
    day = engine.month_start(month)
    hit = _rulebooks.get(day)
    now = time.monotonic()
    if hit is not None and now - hit[0] < _CACHE_SECONDS:
        return hit[1]
    book = rulebook_for_month(month=day)
    _rulebooks[day] = (now, book)
    return book


def rulebook_cache_clear() -> None:
    _rulebooks.clear()


@dataclass(frozen=True)
class RefreshRow:
    maker_id: int
    situation: engine.SituationData
    approaching_percent: Decimal
    income: Decimal
    uncounted_pot_spending: Decimal


@dataclass(frozen=True)
class MonthIncome:
    """The income a month counts for the benefit, on the maker's basis, and the pot spending it leaves
    out (payout basis only; whether pot spending counts is UNCERTAIN, facts §6)."""

    income: Decimal
    uncounted_pot_spending: Decimal


ZERO_INCOME = MonthIncome(Decimal(0), Decimal(0))


def income_of(*, basis: str, totals: ledger_selectors.MonthTotals) -> MonthIncome:
    """Sale basis: what the month's sales earned (minus reversals). Payout basis: what was transferred to
    the maker in the month, net of transfers given back in it (never below zero: a return booked in a
    later month than its payout lowers that later month, see ADR 0005); pot spending is not transferred
    to the maker, so it is not counted but named."""
    if basis == IncomeBasis.SALE_DATE:
        return MonthIncome(totals.earned, Decimal(0))
    return MonthIncome(max(totals.paid_out, Decimal(0)), max(totals.pot_spent, Decimal(0)))


def situations_for_refresh(*, maker_ids: list[int], book: RuleBook) -> list[RefreshRow]:
    """For each maker with a situation: the engine's input, the initiative's warning percent and the month's
    income on the maker's basis, in two statements (situations with their policy, then the ledger's month
    totals through its set-based selector). Plain SQL for the first: for the position after a single
    ledger change, building this join through the ORM cost more than running it. The maker ids travel as
    one array parameter."""
    quote = connection.ops.quote_name
    situation = quote(BenefitSituation._meta.db_table)
    columns = ", ".join(f"s.{quote(name)}" for name in SITUATION_COLUMNS)
    sql = (
        f"SELECT s.maker_id, p.approaching_percent, s.income_basis, {columns} "  # noqa: S608
        f"FROM {situation} s JOIN {quote(Maker._meta.db_table)} m ON m.id = s.maker_id "
        f"LEFT JOIN {quote(InitiativeBenefitPolicy._meta.db_table)} p ON p.initiative_id = m.initiative_id "
        "WHERE s.maker_id = ANY(%s::bigint[]) ORDER BY s.maker_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(maker_ids)])
        rows = cursor.fetchall()
    if not rows:
        return []
    totals = ledger_selectors.month_totals_for_makers(
        maker_ids=[row[0] for row in rows], currency=CURRENCY, month=book.month
    )
    result = []
    for maker_id, percent, basis, *values in rows:
        fields = dict(zip(SITUATION_COLUMNS, values, strict=True))
        income = income_of(basis=basis, totals=totals.get(maker_id, ledger_selectors.ZERO_MONTH))
        result.append(
            RefreshRow(
                maker_id=maker_id,
                situation=engine.SituationData(
                    **fields, switched_on=book.switches.get(fields["municipality"], frozenset())
                ),
                approaching_percent=percent if percent is not None else DEFAULT_APPROACHING_PERCENT,
                income=income.income,
                uncounted_pot_spending=income.uncounted_pot_spending,
            )
        )
    return result


SITUATION_COLUMNS = [
    "regime",
    "municipality",
    "date_of_birth",
    "under_27",
    "household_type",
    "single_parent_child_under_12",
    "medically_limited",
    "loonkostensubsidie",
    "hours_cannot_expand",
    "pension_age_reached",
    "benefit_started",
    "free_period_started",
    "personal_monthly_limit",
]


def switches_on(*, municipalities: set[str] | None, month: date) -> dict[str, frozenset[str]]:
    """Per municipality (all when None), the rule codes it switched on for the month (the newest decision
    counts)."""
    day = engine.month_start(month)
    decided: dict[tuple[str, str], bool] = {}
    switches = MunicipalitySwitch.objects.filter(_valid_on(day))
    if municipalities is not None:
        switches = switches.filter(municipality__in=municipalities)
    for switch in switches.order_by("valid_from", "pk"):
        decided[(switch.municipality, switch.rule_code)] = switch.enabled
    result: dict[str, set[str]] = {}
    for (municipality, code), enabled in decided.items():
        if enabled:
            result.setdefault(municipality, set()).add(code)
    return {m: frozenset(codes) for m, codes in result.items()}


def situation_data(
    *, situation: BenefitSituation | None, switched_on: frozenset[str]
) -> engine.SituationData:
    """For the engine (an internal use of the health flag, not a person's read: not audited)."""
    if situation is None:
        return engine.SituationData(regime="other")
    return engine.SituationData(
        regime=situation.regime,
        municipality=situation.municipality,
        date_of_birth=situation.date_of_birth,
        under_27=situation.under_27,
        household_type=situation.household_type,
        single_parent_child_under_12=situation.single_parent_child_under_12,
        medically_limited=situation.medically_limited,
        loonkostensubsidie=situation.loonkostensubsidie,
        hours_cannot_expand=situation.hours_cannot_expand,
        pension_age_reached=situation.pension_age_reached,
        benefit_started=situation.benefit_started,
        free_period_started=situation.free_period_started,
        personal_monthly_limit=situation.personal_monthly_limit,
        switched_on=switched_on,
    )


def month_income(*, maker: Maker, month: date, basis: str | None = None) -> MonthIncome:
    """The income counted for the month on the maker's basis (``basis`` given: that one; else the
    situation's, payout date when the maker has none)."""
    if basis is None:
        basis = (
            BenefitSituation.objects.filter(maker=maker).values_list("income_basis", flat=True).first()
            or IncomeBasis.PAYOUT_DATE
        )
    totals = ledger_selectors.maker_month_totals(maker=maker, currency=CURRENCY, month=month)
    return income_of(basis=basis, totals=totals)


def maker_estimate(*, maker: Maker, month: date, extra: Decimal = Decimal(0)) -> engine.Estimate:
    """The engine's estimate for a maker's month as counted so far on their income basis, plus ``extra``
    (a "what if": money that would count this month)."""
    day = engine.month_start(month)
    situation = BenefitSituation.objects.filter(maker=maker).first()
    book = rulebook_cached(month=day)
    switched = book.switches.get(situation.municipality if situation else "", frozenset())
    income = month_income(
        maker=maker, month=day, basis=situation.income_basis if situation else IncomeBasis.PAYOUT_DATE
    )
    return engine.estimate(
        situation=situation_data(situation=situation, switched_on=switched),
        rules=book.rules,
        norms=book.norms,
        month=day,
        earned=income.income + extra,
        uncounted_pot_spending=income.uncounted_pot_spending,
    )


def situation_get_for_coordinator(*, user: Any, maker_id: int) -> BenefitSituation | None:
    """The situation including the health flag, for that maker's coordinators only; every read is audited.
    A maker of another initiative is NotFound."""
    maker = makers_selectors.maker_get_for_coordinator(user=user, maker_id=maker_id)
    situation = BenefitSituation.objects.filter(maker=maker).first()
    audit_event_record(
        actor=user_actor(user),
        action="benefit_situation.health_read",
        subject_type="maker",
        subject_id=str(maker.pk),
        data={"fields": ["medically_limited"], "exists": situation is not None},
    )
    return situation


def positions_for_coordinator(*, user: Any, initiative_id: int, month: date) -> QuerySet[Position]:
    """All stored positions of the initiative's makers for the month, in one query (maker joined)."""
    makers_selectors.coordinator_require(user=user, initiative_id=initiative_id)
    return (
        Position.objects.filter(maker__initiative_id=initiative_id, month=engine.month_start(month))
        .select_related("maker")
        .order_by("maker__display_name", "maker_id")
    )


def makers_with_situation() -> list[int]:
    """Ids of active makers that have a benefit situation (for the daily refresh of all positions)."""
    return list(
        BenefitSituation.objects.filter(maker__is_active=True)
        .order_by("maker_id")
        .values_list("maker_id", flat=True)
    )
