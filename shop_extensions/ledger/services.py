"""Turning Saleor order snapshots into ledger entries.

Every order event is a snapshot of the order's cumulative state. Under a lock on the order's row we
(1) attribute its lines once, at the first snapshot that shows it paid — lots first-in-first-out, then share
rules, the rest to the coordinator's queue — and (2) reconcile: compute what each maker should hold from the
newest snapshot and post only the difference. Repeats, reordering and duplicate ORDER_UPDATEDs change nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.module_loading import import_string

from shop_extensions.catalog import selectors as catalog_selectors
from shop_extensions.catalog import services as catalog_services
from shop_extensions.core.errors import ValidationFailed
from shop_extensions.core.logging import bind
from shop_extensions.core.money import Money
from shop_extensions.core.services import audit_event_record
from shop_extensions.ledger.models import (
    EARNING_KINDS,
    PAYOUT_KINDS,
    POT_KINDS,
    Allocation,
    EarningEntry,
    EntryKind,
    LineStatus,
    SaleLine,
    SaleOrder,
)
from shop_extensions.ledger.snapshot import LineSnapshot, OrderSnapshot, parse_order
from shop_extensions.ledger.splitting import percent_of, split
from shop_extensions.ledger.targets import LineFacts, allocation_targets, kept_fractions, pieces_back
from shop_extensions.makers import selectors as makers_selectors
from shop_extensions.makers.models import AttributionBase, Initiative
from shop_extensions.saleor_app.models import Installation

logger = logging.getLogger(__name__)
PAID_EVENTS = {"order_fully_paid", "order_paid"}


def _after_post(posted: Iterable[tuple[int, date, str]]) -> None:
    """Tell whoever follows the ledger (settings.LEDGER_AFTER_POST_TASKS: Celery tasks taking maker ids and
    an ISO month) which makers' months moved, once the entries are committed."""
    by_month: dict[date, set[int]] = defaultdict(set)
    for maker_id, period, _currency in posted:
        by_month[period].add(maker_id)
    for path in settings.LEDGER_AFTER_POST_TASKS:
        task = import_string(path)
        for month, maker_ids in by_month.items():
            # robust: a broker outage must not undo or fail what was committed; positions are recomputed later.
            transaction.on_commit(partial(task.delay, sorted(maker_ids), month.isoformat()), robust=True)


def order_webhook_handle(*, delivery: Any, payload: Any) -> None:
    """The Saleor inbox handler for every order event (settings.SALEOR_WEBHOOK_HANDLERS)."""
    order_snapshot_apply(
        installation=delivery.installation,
        snapshot=parse_order(payload),
        event=delivery.event,
        snapshot_key=delivery.event_key,
    )


def variant_deleted_handle(*, delivery: Any, payload: Any) -> None:
    """Nothing to do: attribution was recorded at sale time and does not look variants up again."""
    logger.info("variant deleted in Saleor; past attributions keep their recorded data")


def _lock_order(installation: Installation, snapshot: OrderSnapshot) -> SaleOrder:
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO ledger_saleorder (installation_id, saleor_order_id, number, channel_slug, currency,
                   snapshot, snapshot_key, note, created_at)
               VALUES (%s, %s, %s, %s, %s, '{}', '', '', now())
               ON CONFLICT (installation_id, saleor_order_id) DO NOTHING""",
            [installation.pk, snapshot.id, snapshot.number, snapshot.channel_slug, snapshot.currency],
        )
    return SaleOrder.objects.select_for_update().get(installation=installation, saleor_order_id=snapshot.id)


def _is_newer(order: SaleOrder, snapshot: OrderSnapshot) -> bool:
    if order.snapshot_at is None or snapshot.updated_at is None:
        return True
    if snapshot.updated_at != order.snapshot_at:
        return snapshot.updated_at > order.snapshot_at
    seen = order.snapshot.get("issued_at")
    return seen is None or snapshot.issued_at is None or snapshot.issued_at.isoformat() >= seen


def _initiative_for(installation: Installation, channel_slug: str) -> Initiative | None:
    initiatives = Initiative.objects.filter(
        channels__installation=installation, channels__channel_slug=channel_slug
    )
    found = list(initiatives[:2])
    if len(found) == 1:
        return found[0]
    if (
        not channel_slug
    ):  # payload without channel: only unambiguous when the installation serves one initiative
        only = list(Initiative.objects.filter(installation=installation)[:2])
        return only[0] if len(only) == 1 else None
    return None


@transaction.atomic
def order_snapshot_apply(
    *, installation: Installation, snapshot: OrderSnapshot, event: str, snapshot_key: str
) -> SaleOrder:
    bind(order_id=snapshot.id, order_number=snapshot.number)
    order = _lock_order(installation, snapshot)
    newest = _is_newer(order, snapshot)
    if newest:
        order.snapshot = snapshot.refund_state()
        order.snapshot_at = snapshot.updated_at
        order.snapshot_key = snapshot_key[:300]
    if order.initiative_id is None:
        order.initiative = _initiative_for(installation, snapshot.channel_slug)
        if order.initiative is None:
            order.note = (
                f"no initiative sells through channel {snapshot.channel_slug!r}; linked later, re-run"
            )
            order.save()
            logger.error(
                "order in a channel no initiative is linked to", extra={"channel": snapshot.channel_slug}
            )
            return order
    initiative = order.initiative
    assert initiative is not None
    if order.attributed_at is None:
        paid = snapshot.was_fully_paid or (
            event == "order_paid" and initiative.attribute_partial_payments and snapshot.partly_paid
        )
        if not paid:
            order.note = "waiting for payment" if newest else order.note
            order.save()
            return order
        order.attributed_at = timezone.now()
        order.paid_at = snapshot.issued_at or timezone.now()
        order.currency = snapshot.currency or initiative.currency
    # Lines are attributed the first time a paid snapshot shows them (edits of unconfirmed orders add lines).
    added = _attribute_new_lines(order, snapshot, initiative)
    order.note = ""
    order.save()
    if newest or added:
        _reconcile(order, snapshot_key=snapshot_key, effective_at=snapshot.issued_at or timezone.now())
    else:
        logger.info("older snapshot ignored", extra={"snapshot_key": snapshot_key})
    return order


def _line_base(line: LineSnapshot, initiative: Initiative) -> Decimal:
    return line.net_total if initiative.attribution_base == AttributionBase.NET else line.gross_total


def _attribute_new_lines(order: SaleOrder, snapshot: OrderSnapshot, initiative: Initiative) -> int:
    """Record each line not yet recorded as sold, with its makers (the order row is locked). Rules and lot
    presence are read once for the whole order; lines and allocations are inserted in bulk."""
    known = set(order.lines.values_list("saleor_line_id", flat=True))
    new_lines = [line for line in snapshot.lines if line.id not in known]
    if not new_lines:
        return 0
    assert order.paid_at is not None
    rules = catalog_selectors.rules_for_many(
        initiative=initiative,
        targets=[(line.variant_id, line.product_id) for line in new_lines],
        at=order.paid_at,
    )
    with_lots = catalog_selectors.variants_with_lots(
        initiative=initiative, saleor_variant_ids={line.variant_id for line in new_lines if line.variant_id}
    )
    planned = [
        _plan_line(
            order, line, initiative, rules[(line.variant_id, line.product_id)], line.variant_id in with_lots
        )
        for line in new_lines
    ]
    sale_lines = SaleLine.objects.bulk_create([sale_line for sale_line, _ in planned])
    Allocation.objects.bulk_create(
        allocation
        for sale_line, (_, allocations) in zip(sale_lines, planned, strict=True)
        for allocation in _with_line(allocations, sale_line)
    )
    audit_event_record(
        actor="system:ledger",
        action="order.attributed",
        subject_type="sale_order",
        subject_id=str(order.pk),
        data={"saleor_order_id": order.saleor_order_id, "lines": [line.id for line in new_lines]},
    )
    return len(new_lines)


def _with_line(allocations: list[Allocation], sale_line: SaleLine) -> list[Allocation]:
    for allocation in allocations:
        allocation.line = sale_line
    return allocations


def _plan_line(
    order: SaleOrder, line: LineSnapshot, initiative: Initiative, rule: Any, has_lots: bool
) -> tuple[SaleLine, list[Allocation]]:
    """The sale line and its allocations (not saved yet); consumes lot pieces first-in-first-out."""
    currency = order.currency
    base = max(_line_base(line, initiative), Decimal(0))
    commission_pct = (
        rule.commission_percent
        if rule and rule.commission_percent is not None
        else initiative.default_commission_percent
    )
    commission = percent_of(base, commission_pct, currency)
    line_key = f"{order.installation_id}:{line.id}"
    lots: list[tuple[Any, int]] = []
    if has_lots and line.quantity > 0:
        lots = catalog_services.lots_consume_fifo(
            initiative=initiative,
            saleor_variant_id=line.variant_id,
            quantity=line.quantity,
            order_line_key=line_key,
            idempotency_prefix=f"sale:{line_key}",
        )
    from_lots = sum(qty for _, qty in lots)
    rest = line.quantity - from_lots
    shares = list(rule.shares.all()) if rule and rest > 0 else []

    # Weights in pieces: lot pieces, the rest by share, and what nobody could be found for.
    parts: list[tuple[Any, Any, Any, Fraction]] = [(lot.maker, lot, None, Fraction(qty)) for lot, qty in lots]
    parts += [(share.maker, None, rule, Fraction(rest) * Fraction(share.percent) / 100) for share in shares]
    unassigned = Fraction(rest) if rest > 0 and not shares else Fraction(0)
    if unassigned:
        parts.append((None, None, None, unassigned))

    if line.is_gift:
        status = LineStatus.GIFT
    elif base == 0:
        status = LineStatus.ZERO
    elif unassigned == line.quantity:
        status = LineStatus.UNATTRIBUTED
    elif unassigned:
        status = LineStatus.PARTLY_UNATTRIBUTED
    else:
        status = LineStatus.ATTRIBUTED
    sale_line = SaleLine(
        order=order,
        saleor_line_id=line.id,
        saleor_variant_id=line.variant_id,
        saleor_product_id=line.product_id,
        sku=line.sku,
        product_name=line.product_name[:300],
        variant_name=line.variant_name[:300],
        quantity=line.quantity,
        gross_amount=line.gross_total,
        base_amount=base,
        commission_percent=commission_pct,
        commission_amount=commission,
        currency=currency,
        is_gift=line.is_gift,
        status=status,
        rule=rule,
    )
    if status in (LineStatus.GIFT, LineStatus.ZERO) or not parts:
        return sale_line, []
    amounts = split(base - commission, [weight for *_, weight in parts], currency)
    return sale_line, [
        Allocation(
            maker=maker,
            lot=lot,
            rule=part_rule,
            quantity=Decimal(weight.numerator) / Decimal(weight.denominator),
            amount=amount,
        )
        for (maker, lot, part_rule, weight), amount in zip(parts, amounts, strict=True)
    ]


def _period(moment: datetime) -> date:
    return timezone.localtime(moment).date().replace(day=1)


def _reconcile(order: SaleOrder, *, snapshot_key: str, effective_at: datetime) -> None:
    initiative_id = order.initiative_id
    assert initiative_id is not None, "only attributed orders are reconciled"
    lines = list(order.lines.prefetch_related("allocations"))
    facts = [LineFacts(line.saleor_line_id, line.quantity, line.gross_amount) for line in lines]
    kept = kept_fractions(facts, order.snapshot)
    held = dict(
        EarningEntry.objects.filter(order=order)
        .values("allocation_id")
        .annotate(total=Sum("amount"))
        .values_list("allocation_id", "total")
    )
    entries: list[EarningEntry] = []
    for line in lines:
        allocations = list(line.allocations.all())
        resolved = {a.resolves_id for a in allocations if a.resolves_id}
        live = [a for a in allocations if a.pk not in resolved]  # a resolved queue part lives in its children
        targets = allocation_targets(
            line.makers_amount, kept[line.saleor_line_id], [a.amount for a in live], line.currency
        )
        for allocation, target in zip(live, targets, strict=True):
            if allocation.maker_id is None:
                continue  # waits in the coordinator's queue
            current = held.get(allocation.pk) or Decimal(0)
            diff = target - current
            if diff == 0:
                continue
            if current == 0 and diff > 0 and allocation.pk not in held:
                kind = EntryKind.SALE
            else:
                kind = EntryKind.REVERSAL if diff < 0 else EntryKind.CORRECTION
            pieces = allocation.quantity * diff / allocation.amount if allocation.amount else Decimal(0)
            when = order.paid_at if kind == EntryKind.SALE and order.paid_at else effective_at
            entries.append(
                EarningEntry(
                    maker_id=allocation.maker_id,
                    initiative_id=initiative_id,
                    kind=kind,
                    amount=diff,
                    currency=line.currency,
                    quantity=pieces.quantize(Decimal("0.0001")),
                    order=order,
                    line=line,
                    allocation=allocation,
                    lot_id=allocation.lot_id,
                    effective_at=when,
                    period=_period(when),
                    idempotency_key=f"{order.installation_id}:{allocation.pk}:{kind}:{snapshot_key}"[:300],
                    detail={
                        "saleor_order_id": order.saleor_order_id,
                        "saleor_line_id": line.saleor_line_id,
                        "rule_id": allocation.rule_id,
                        "lot_id": allocation.lot_id,
                        "commission_percent": str(line.commission_percent),
                        "snapshot": snapshot_key,
                    },
                )
            )
    posted = entries_post(entries=entries)
    if posted:
        audit_event_record(
            actor="system:ledger",
            action="order.reconciled",
            subject_type="sale_order",
            subject_id=str(order.pk),
            data={"snapshot": snapshot_key, "entries": [[e.maker_id, e.kind, str(e.amount)] for e in posted]},
        )
    _return_pieces(order, lines, facts)


def _return_pieces(order: SaleOrder, lines: list[SaleLine], facts: list[LineFacts]) -> None:
    """Give pieces that came back to the lots they were sold from (cancellations, removed lines, and refunds
    when the initiative's policy says so). Cumulative, so each level is returned once."""
    initiative = order.initiative
    assert initiative is not None
    back = pieces_back(facts, order.snapshot, refunds_count=initiative.return_refunded_pieces_to_lots)
    for line in lines:
        if not back[line.saleor_line_id] or not any(a.lot_id for a in line.allocations.all()):
            continue
        key = f"{order.installation_id}:{line.saleor_line_id}"
        due = back[line.saleor_line_id] - catalog_selectors.line_pieces_returned(order_line_key=key)
        if due > 0:
            catalog_services.lots_return(
                order_line_key=key, quantity=due, idempotency_key=f"return:{key}:{back[line.saleor_line_id]}"
            )


_PART_OF: dict[str, int] = {
    **dict.fromkeys(EARNING_KINDS, 0),
    **dict.fromkeys(PAYOUT_KINDS, 1),
    **dict.fromkeys(POT_KINDS, 2),
}


def entries_post(*, entries: Iterable[EarningEntry]) -> list[EarningEntry]:
    """Insert entries and move the makers' month totals (split into earned / paid out / pot spent) in the
    same transaction."""
    entries = list(entries)
    if not entries:
        return []
    created = EarningEntry.objects.bulk_create(entries)
    # per (maker, period, currency): [earned, paid_out, pot_spent, count]
    totals: dict[tuple[int, date, str], list[Any]] = defaultdict(
        lambda: [Decimal(0), Decimal(0), Decimal(0), 0]
    )
    for entry in created:
        row = totals[(entry.maker_id, entry.period, entry.currency)]
        row[_PART_OF[entry.kind]] += entry.amount
        row[3] += 1
    _after_post(totals.keys())
    with connection.cursor() as cursor:
        cursor.executemany(
            """INSERT INTO ledger_makerperiodtotal
                   (maker_id, period, currency, amount, earned, paid_out, pot_spent, entries)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (maker_id, period, currency) DO UPDATE
               SET amount = ledger_makerperiodtotal.amount + EXCLUDED.amount,
                   earned = ledger_makerperiodtotal.earned + EXCLUDED.earned,
                   paid_out = ledger_makerperiodtotal.paid_out + EXCLUDED.paid_out,
                   pot_spent = ledger_makerperiodtotal.pot_spent + EXCLUDED.pot_spent,
                   entries = ledger_makerperiodtotal.entries + EXCLUDED.entries""",
            [
                (maker, period, currency, earned + paid + pot, earned, paid, pot, count)
                for (maker, period, currency), (earned, paid, pot, count) in totals.items()
            ],
        )
    return created


def movement_post(
    *,
    maker_id: int,
    initiative_id: int,
    kind: str,
    money: Money,
    effective_at: datetime,
    idempotency_key: str,
    reference: str,
    detail: dict[str, Any] | None = None,
) -> tuple[EarningEntry, bool]:
    """Book money leaving or returning to a maker's balance: a payout (negative), a returned payout
    (positive: failed or reversed transfer) or pot spending (negative). Must run inside the caller's
    transaction, so the entry commits together with the payout's state change. Idempotent on the key:
    a repeat returns the existing entry and ``False`` (and refuses a repeat that differs)."""
    if not connection.in_atomic_block:
        raise RuntimeError("movement_post must run inside the transaction that changes the payout")
    if kind not in PAYOUT_KINDS | POT_KINDS:
        raise ValidationFailed(f"{kind!r} is not a payout or pot movement")
    existing = EarningEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if (existing.maker_id, existing.kind, existing.amount, existing.currency) != (
            maker_id,
            kind,
            money.amount,
            money.currency,
        ):
            raise ValidationFailed(f"ledger key {idempotency_key} was already used for another movement")
        return existing, False
    entry = EarningEntry(
        maker_id=maker_id,
        initiative_id=initiative_id,
        kind=kind,
        amount=money.amount,
        currency=money.currency,
        effective_at=effective_at,
        period=_period(effective_at),
        idempotency_key=idempotency_key,
        reference=reference,
        detail=detail or {},
    )
    entries_post(entries=[entry])
    audit_event_record(
        actor="system:ledger",
        action=f"ledger.{kind}",
        subject_type="maker",
        subject_id=str(maker_id),
        data={"amount": str(money.amount), "currency": money.currency, "reference": reference},
    )
    return entry, True


@transaction.atomic
def unattributed_resolve(
    *, allocation_id: int, initiative_id: int, shares: list[tuple[Any, Decimal]], actor: str
) -> list[Allocation]:
    """A coordinator names the maker(s) of pieces nobody could be found for; their entries are posted now,
    for what of the sale still stands."""
    makers_selectors.actor_may_act_for(actor=actor, initiative_id=initiative_id)
    queued = Allocation.objects.select_related("line__order").get(pk=allocation_id)
    order = SaleOrder.objects.select_for_update().get(pk=queued.line.order_id)
    if order.initiative_id != initiative_id:
        raise ValidationFailed("this sale belongs to another initiative")
    if queued.maker_id is not None or Allocation.objects.filter(resolves=queued).exists():
        raise ValidationFailed("these pieces have already been attributed")
    if not shares or sum(percent for _, percent in shares) != Decimal(100):
        raise ValidationFailed("the shares must add up to 100%")
    if any(maker.initiative_id != initiative_id for maker, _ in shares):
        raise ValidationFailed("every maker must belong to the initiative")
    amounts = split(queued.amount, [percent for _, percent in shares], queued.line.currency)
    children = Allocation.objects.bulk_create(
        Allocation(
            line=queued.line,
            maker=maker,
            quantity=(queued.quantity * percent / 100).quantize(Decimal("0.0001")),
            amount=amount,
            resolves=queued,
            resolved_at=timezone.now(),
        )
        for (maker, percent), amount in zip(shares, amounts, strict=True)
    )
    audit_event_record(
        actor=actor,
        action="unattributed.resolved",
        subject_type="allocation",
        subject_id=str(queued.pk),
        data={
            "shares": [[maker.pk, str(percent)] for maker, percent in shares],
            "order": order.saleor_order_id,
        },
    )
    _reconcile(order, snapshot_key=f"resolve:{queued.pk}", effective_at=timezone.now())
    return children
