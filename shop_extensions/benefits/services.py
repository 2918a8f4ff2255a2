"""Writes: benefit situations (audited, health flag included), policies, municipality switches, and the
threshold positions with their once-only notifications."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.utils import timezone

from shop_extensions.benefits import engine, messages, selectors
from shop_extensions.benefits.models import (
    BenefitSituation,
    HouseholdType,
    IncomeBasis,
    InitiativeBenefitPolicy,
    Level,
    MunicipalitySwitch,
    Notification,
    Position,
    Regime,
)
from shop_extensions.core.errors import PermissionDenied, ValidationFailed
from shop_extensions.core.services import audit_event_record
from shop_extensions.makers import selectors as makers_selectors
from shop_extensions.makers.models import Initiative, Maker

HEALTH_FIELDS = ("medically_limited",)
SITUATION_FIELDS = (
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
    "income_basis",
)


def _plain(value: object) -> object:
    return (
        value.isoformat() if isinstance(value, date) else str(value) if isinstance(value, Decimal) else value
    )


def situation_set(
    *,
    actor: str,
    maker: Maker,
    regime: str,
    municipality: str = "",
    date_of_birth: date | None = None,
    under_27: bool = False,
    household_type: str = HouseholdType.UNKNOWN,
    single_parent_child_under_12: bool = False,
    medically_limited: bool = False,
    loonkostensubsidie: bool = False,
    hours_cannot_expand: bool = False,
    pension_age_reached: bool = False,
    benefit_started: date | None = None,
    free_period_started: date | None = None,
    personal_monthly_limit: Decimal | None = None,
    income_basis: str = IncomeBasis.PAYOUT_DATE,
) -> BenefitSituation:
    """Replace the maker's situation with what the municipality decided. Audited: changed fields with old
    and new values, except the health flag, which is audited as changed without its value."""
    makers_selectors.actor_may_act_for(actor=actor, initiative_id=maker.initiative_id)
    if regime not in Regime.values:
        raise ValidationFailed(f"unknown regime {regime!r}")
    if household_type not in HouseholdType.values:
        raise ValidationFailed(f"unknown household type {household_type!r}")
    if income_basis not in IncomeBasis.values:
        raise ValidationFailed(f"unknown income basis {income_basis!r}")
    if personal_monthly_limit is not None and personal_monthly_limit < 0:
        raise ValidationFailed("a personal limit cannot be negative")
    new: dict[str, object] = {
        "regime": regime,
        "municipality": municipality.strip().lower(),
        "date_of_birth": date_of_birth,
        "under_27": under_27,
        "household_type": household_type,
        "single_parent_child_under_12": single_parent_child_under_12,
        "medically_limited": medically_limited,
        "loonkostensubsidie": loonkostensubsidie,
        "hours_cannot_expand": hours_cannot_expand,
        "pension_age_reached": pension_age_reached,
        "benefit_started": engine.month_start(benefit_started) if benefit_started else None,
        "free_period_started": engine.month_start(free_period_started) if free_period_started else None,
        "personal_monthly_limit": personal_monthly_limit,
        "income_basis": income_basis,
    }
    with transaction.atomic():
        situation = BenefitSituation.objects.select_for_update().filter(maker=maker).first()
        created = situation is None
        if situation is None:
            situation = BenefitSituation(maker=maker)
        changed = [name for name in SITUATION_FIELDS if created or getattr(situation, name) != new[name]]
        old = {name: _plain(getattr(situation, name)) for name in changed if name not in HEALTH_FIELDS}
        for name, value in new.items():
            setattr(situation, name, value)
        situation.save()
        audit_event_record(
            actor=actor,
            action="benefit_situation.created" if created else "benefit_situation.changed",
            subject_type="maker",
            subject_id=str(maker.pk),
            data={
                "changed": changed,
                "old": {} if created else old,
                "new": {n: _plain(new[n]) for n in changed if n not in HEALTH_FIELDS},
            },
        )
        if any(name in changed for name in HEALTH_FIELDS):
            audit_event_record(
                actor=actor,
                action="benefit_situation.health_changed",
                subject_type="maker",
                subject_id=str(maker.pk),
                data={"fields": [n for n in HEALTH_FIELDS if n in changed]},
            )
    return situation


def benefit_policy_set(
    *, actor: str, initiative: Initiative, approaching_percent: Decimal
) -> InitiativeBenefitPolicy:
    makers_selectors.actor_may_act_for(actor=actor, initiative_id=initiative.pk, admin_only=True)
    if not Decimal(1) <= approaching_percent <= Decimal(100):
        raise ValidationFailed("the warning percentage is between 1 and 100")
    with transaction.atomic():
        policy, _ = InitiativeBenefitPolicy.objects.update_or_create(
            initiative=initiative, defaults={"approaching_percent": approaching_percent}
        )
        audit_event_record(
            actor=actor,
            action="benefit_policy.set",
            subject_type="initiative",
            subject_id=str(initiative.pk),
            data={"approaching_percent": str(approaching_percent)},
        )
    return policy


def municipality_switch_set(
    *,
    actor: str,
    municipality: str,
    rule_code: str,
    enabled: bool,
    valid_from: date,
    valid_to: date | None = None,
    decision_reference: str = "",
) -> MunicipalitySwitch:
    """A municipality's decision (for example to apply ``pw-34a`` to under-27s in 2026). Operator only: it
    changes estimates for makers of every initiative in that municipality."""
    if not makers_selectors.actor_is_operator(actor=actor):
        raise PermissionDenied("only the operator records municipality decisions")
    if valid_to is not None and valid_to < valid_from:
        raise ValidationFailed("valid_to is before valid_from")
    with transaction.atomic():
        switch, _ = MunicipalitySwitch.objects.update_or_create(
            municipality=municipality.strip().lower(),
            rule_code=rule_code,
            valid_from=valid_from,
            defaults={"enabled": enabled, "valid_to": valid_to, "decision_reference": decision_reference},
        )
        audit_event_record(
            actor=actor,
            action="municipality_switch.set",
            subject_type="municipality_switch",
            subject_id=str(switch.pk),
            data={"municipality": switch.municipality, "rule_code": rule_code, "enabled": enabled},
        )
    transaction.on_commit(selectors.rulebook_cache_clear)  # other processes see it within a minute
    return switch


# --- positions and warnings ------------------------------------------------------------------------------


NOTIFICATION_BATCH = 500  # notification ids per mailing task


def positions_refresh(*, maker_ids: list[int], month: date) -> int:
    """Recompute the month's position of each maker that has a benefit situation in three statements
    however many makers (situations, the ledger's month totals, one write; rules are cached per process);
    returns how many positions were computed. Makers without a situation are skipped. Each threshold
    level is announced once per maker and month: the unique notification row decides, so repeats and
    concurrent runs never notify twice. Nothing is mailed here: after commit, ``notifications_send`` is
    enqueued per batch of notification ids (new ones, and earlier ones whose mail has not gone out)."""
    day = engine.month_start(month)
    book = selectors.rulebook_cached(month=day)
    rows = selectors.situations_for_refresh(maker_ids=maker_ids, book=book)
    if not rows:
        return 0
    now = timezone.now()
    columns: dict[str, list[Any]] = {name: [] for name in POSITION_COLUMNS}
    reached: list[tuple[int, engine.ThresholdLevel, Decimal]] = []
    for row in rows:
        result = engine.estimate(
            situation=row.situation,
            rules=book.rules,
            norms=book.norms,
            month=day,
            earned=row.income,
            uncounted_pot_spending=row.uncounted_pot_spending,
        )
        status = engine.status_of(result=result, approaching_percent=row.approaching_percent)
        for name, value in (
            ("maker_id", row.maker_id),
            ("earned", result.earned),
            ("status", status.status),
            ("threshold", status.threshold),
            ("threshold_limit", status.limit),
            ("room_left", status.room_left),
            ("free_amount", result.free_amount),
            ("deduction", result.deduction),
            ("rule_code", result.rule_code or ""),
            ("source_url", result.source_url or ""),
            ("verified", result.verified),
        ):
            columns[name].append(value)
        reached += [(row.maker_id, lv, result.earned) for lv in status.levels if lv.level != Level.OK]
    to_send = _positions_write(columns=columns, reached=reached, month=day, now=now)
    for start in range(0, len(to_send), NOTIFICATION_BATCH):
        # robust: a broker outage must not fail what was committed; the next refresh enqueues unsent ones.
        transaction.on_commit(
            _notifications_enqueue(to_send[start : start + NOTIFICATION_BATCH]), robust=True
        )
    return len(rows)


def _notifications_enqueue(notification_ids: list[int]) -> Callable[[], None]:
    """A named function, not a ``partial``: Django logs a failing robust callback by its ``__qualname__``."""

    def notifications_enqueue() -> None:
        from shop_extensions.benefits.tasks import notifications_send_task

        notifications_send_task.delay(notification_ids)

    return notifications_enqueue


POSITION_COLUMNS = {
    "maker_id": "bigint",
    "earned": "numeric",
    "status": "text",
    "threshold": "text",
    "threshold_limit": "numeric",
    "room_left": "numeric",
    "free_amount": "numeric",
    "deduction": "numeric",
    "rule_code": "text",
    "source_url": "text",
    "verified": "boolean",
}


def _positions_write(
    *,
    columns: dict[str, list[Any]],
    reached: list[tuple[int, engine.ThresholdLevel, Decimal]],
    month: date,
    now: datetime,
) -> list[int]:
    """One statement, so atomic on its own and one round trip (Django's bulk_create spends more time
    building 10,000 rows of parameters than PostgreSQL spends writing them):
    - upsert the positions from arrays; an unchanged position is not rewritten (``computed_at`` is when
      these figures were first computed);
    - insert each reached level with ``ON CONFLICT DO NOTHING RETURNING``: only rows this statement
      inserted come back, so a repeat or a concurrent refresh never announces a level twice;
    - add levels announced earlier whose mail has not gone out (a failed send), to be retried. The
      statement's snapshot does not see its own inserts, so nothing is returned twice.
    Returns the ids of the notifications to mail."""
    position = connection.ops.quote_name(Position._meta.db_table)
    notification = connection.ops.quote_name(Notification._meta.db_table)
    names = list(POSITION_COLUMNS)
    arrays = ", ".join(f"%s::{kind}[]" for kind in POSITION_COLUMNS.values())
    changing = [*names[1:], "currency"]
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in [*changing, "computed_at"])
    mine = ", ".join(f"{position}.{name}" for name in changing)
    theirs = ", ".join(f"EXCLUDED.{name}" for name in changing)
    reached_makers = sorted({maker_id for maker_id, _, _ in reached})
    sql = (
        f"WITH positions AS (INSERT INTO {position} ({', '.join(names)}, month, currency, computed_at) "  # noqa: S608
        f"SELECT *, %s::date, %s, %s::timestamptz FROM unnest({arrays}) "
        f"ON CONFLICT (maker_id, month) DO UPDATE SET {updates} WHERE ({mine}) IS DISTINCT FROM ({theirs})), "
        f"fresh AS (INSERT INTO {notification} "
        "(maker_id, month, threshold, level, earned, threshold_limit, created_at) "
        "SELECT m, %s::date, t, l, e, x, %s::timestamptz "
        "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::numeric[], %s::numeric[]) AS r(m, t, l, e, x) "
        "ON CONFLICT (maker_id, month, threshold, level) DO NOTHING RETURNING id) "
        "SELECT id FROM fresh UNION ALL "
        f"SELECT id FROM {notification} WHERE maker_id = ANY(%s::bigint[]) AND month = %s::date "
        "AND emailed_at IS NULL"
    )
    params: list[Any] = [month, selectors.CURRENCY, now, *(columns[name] for name in names)]
    params += [
        month,
        now,
        [maker_id for maker_id, _, _ in reached],
        [level.kind for _, level, _ in reached],
        [level.level for _, level, _ in reached],
        [earned for _, _, earned in reached],
        [level.limit for _, level, _ in reached],
        reached_makers,
        month,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def notifications_send(*, notification_ids: list[int]) -> int:
    """Mail each maker (in their language) and their initiative's coordinators; returns how many mails
    went out. Idempotent: a notification is claimed (``emailed_at`` set where still empty, skipping rows
    another sender holds) before sending, so two senders never mail the same warning. Mails go one
    notification at a time; when sending fails, the claims of the notifications not yet mailed are released
    and the error is raised, so the task retries them (and only them) without announcing anything anew.
    A crash between claim and send loses that mail rather than doubling it."""
    now = timezone.now()
    with transaction.atomic():
        claimed = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=notification_ids, emailed_at__isnull=True)
            .select_related("maker")
            .order_by("pk")
        )
        Notification.objects.filter(pk__in=[n.pk for n in claimed]).update(emailed_at=now)
    if not claimed:
        return 0
    coordinators: dict[int, list[str]] = {}
    for initiative_id, email in (
        get_user_model()
        .objects.filter(coordinator_roles__initiative_id__in={n.maker.initiative_id for n in claimed})
        .exclude(email="")
        .values_list("coordinator_roles__initiative_id", "email")
    ):
        coordinators.setdefault(initiative_id, []).append(email)
    sent = 0
    done: set[int] = set()
    try:
        with get_connection() as mailer:
            for notification in claimed:
                mails = _mails_for(notification, coordinators.get(notification.maker.initiative_id, []))
                if mails:
                    sent += mailer.send_messages(mails) or 0
                done.add(notification.pk)
    except Exception:
        Notification.objects.filter(
            pk__in=[n.pk for n in claimed if n.pk not in done], emailed_at=now
        ).update(emailed_at=None)
        raise
    return sent


def _mails_for(notification: Notification, coordinator_emails: list[str]) -> list[EmailMessage]:
    maker = notification.maker
    n = notification
    mails = []
    if maker.email:
        subject, body = messages.maker_message(
            language=maker.preferred_language,
            threshold=n.threshold,
            level=n.level,
            earned=n.earned,
            limit=n.threshold_limit,
            month=n.month,
        )
        mails.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [maker.email]))
    if coordinator_emails:
        subject, body = messages.coordinator_message(
            language=settings.LANGUAGE_CODE,
            maker_name=maker.display_name,
            threshold=n.threshold,
            level=n.level,
            earned=n.earned,
            limit=n.threshold_limit,
            month=n.month,
        )
        mails.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, coordinator_emails))
    return mails


@dataclass(frozen=True)
class WhatIf:
    """``kept`` and ``deducted`` are None when the maker's benefit is unknown: then nothing can be said."""

    extra: Decimal
    kept: Decimal | None
    deducted: Decimal | None
    before: engine.Estimate
    after: engine.Estimate
    verified: bool
    indication: bool = True


def what_if(*, maker: Maker, extra: Decimal, month: date) -> WhatIf:
    """How much of ``extra``, earned on top of the month's earnings so far, the maker would keep beside the
    benefit. A read despite living here: it is the portal's use case over the engine, not stored data."""
    if extra < 0:
        raise ValidationFailed("the extra amount cannot be negative")
    before = selectors.maker_estimate(maker=maker, month=month)
    after = selectors.maker_estimate(maker=maker, month=month, extra=extra)
    extra = engine.cents(extra)
    if after.keeps_of_next_euro is None:
        kept, deducted = None, None
    else:
        deducted = engine.cents(after.deduction - before.deduction)
        kept = extra - deducted
    return WhatIf(
        extra=extra,
        kept=kept,
        deducted=deducted,
        before=before,
        after=after,
        verified=before.verified and after.verified,
    )
