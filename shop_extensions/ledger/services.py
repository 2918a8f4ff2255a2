"""Turning Saleor order snapshots into ledger entries.

Every order event is a snapshot of the order's cumulative state. Under a lock on the order's row we
(1) attribute its lines once, at the first snapshot that shows it paid — lots first-in-first-out, then share
rules, the rest to the coordinator's queue — and (2) reconcile: compute what each maker should hold from the
newest snapshot and post only the difference. Repeats, reordering and duplicate ORDER_UPDATEDs change nothing.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from fractions import Fraction
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from shop_extensions.catalog import selectors as catalog_selectors
from shop_extensions.catalog import services as catalog_services
from shop_extensions.catalog.models import LotConsumption
from shop_extensions.core.errors import ValidationFailed
from shop_extensions.core.logging import bind
from shop_extensions.core.memory import model_new
from shop_extensions.core.models import AuditEvent
from shop_extensions.core.money import Money
from shop_extensions.core.services import audit_event_record
from shop_extensions.core.transactions import after_commit, violated_constraint
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
            after_commit(task.delay, sorted(maker_ids), month.isoformat(), robust=True)


def order_webhook_handle(*, delivery: Any, payload: Any) -> None:
    """The Saleor inbox handler for every order event (settings.SALEOR_WEBHOOK_HANDLERS)."""
    order_snapshot_apply(
        installation=delivery.installation,
        snapshot=parse_order(payload),
        event=delivery.event,
        snapshot_key=delivery.event_key,
    )


def order_webhooks_handle(*, deliveries: Sequence[tuple[Any, Any]]) -> None:
    """The same for many inbox rows at once, in the caller's transaction, in the given order
    (settings.SALEOR_WEBHOOK_BATCH_HANDLERS); see docs/adr/0007-batch-attribution.md."""
    order_snapshots_apply(
        events=[
            OrderEvent(
                installation_id=delivery.installation_id,
                snapshot=parse_order(payload),
                event=delivery.event,
                snapshot_key=delivery.event_key,
            )
            for delivery, payload in deliveries
        ]
    )


def variant_deleted_handle(*, delivery: Any, payload: Any) -> None:
    """Nothing to do: attribution was recorded at sale time and does not look variants up again."""
    logger.info("variant deleted in Saleor; past attributions keep their recorded data")


@dataclass(frozen=True)
class OrderEvent:
    """One order webhook to apply: the snapshot it carries and its delivery's key."""

    installation_id: int
    snapshot: OrderSnapshot
    event: str
    snapshot_key: str


@dataclass
class _Order:
    """An order locked in this transaction, with its recorded lines and what each allocation holds."""

    row: SaleOrder
    initiative: Initiative | None
    lines: list[Any] = field(default_factory=list)  # SaleLine, or a _Row this transaction inserts
    allocations: dict[int, list[Any]] = field(default_factory=dict)  # line pk -> Allocation or _Row, pk order
    held: dict[int, Decimal] = field(default_factory=dict)  # allocation pk -> sum of its entries
    line_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Step:
    """What one event does to its order, decided before anything is read for the sale."""

    order: _Order
    event: OrderEvent
    state: dict[str, Any]  # the newest refund state at this event
    new_lines: tuple[LineSnapshot, ...]
    newest: bool


class _Ids:
    """Primary keys taken from a table's sequence in one query, so rows can point at each other before the
    single insert that writes them all (gaps in the sequence are harmless)."""

    def __init__(self, model: type[models.Model]) -> None:
        self._table = model._meta.db_table
        self._free: deque[int] = deque()

    def reserve(self, count: int) -> None:
        if count <= len(self._free):
            return
        with connection.cursor() as cursor:
            # The sequence as a constant: pg_get_serial_sequence inside the query ran once per key (5x slower).
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                [_sequence_of(self._table), count - len(self._free)],
            )
            self._free.extend(sorted(row[0] for row in cursor.fetchall()))

    def take(self) -> int:
        if not self._free:
            self.reserve(256)
        return self._free.popleft()


_sequences: dict[str, str] = {}


def _sequence_of(table: str) -> str:
    """The sequence that numbers ``table``'s ``id`` (looked up once per process)."""
    found = _sequences.get(table)
    if found is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            (found,) = cursor.fetchone()
        if found is None:
            raise LookupError(f"{table}.id has no sequence")
        _sequences[table] = found
    return found


class _Row:
    """A row this transaction inserts: a model's field attributes (``id``, ``maker_id``, ...) without the cost
    of building a model instance; written by ``_copy_insert``, read like the instances loaded beside it."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    @property
    def pk(self) -> Any:
        return self.__dict__.get("id")

    @pk.setter
    def pk(self, value: Any) -> None:
        self.__dict__["id"] = value

    def __getattr__(self, name: str) -> Any:  # fields are set in __init__; this tells the type checker so
        raise AttributeError(name)


class _Writes:
    """Rows of one transaction, written together at the end (``flush``)."""

    def __init__(self) -> None:
        self.now = timezone.now()
        self.line_ids = _Ids(SaleLine)
        self.allocation_ids = _Ids(Allocation)
        self.lines: list[_Row] = []
        self.allocations: list[_Row] = []
        self.entries: list[_Row] = []
        self.audit: list[_Row] = []
        self.book: catalog_services.LotBook | None = None
        self._periods: dict[datetime, date] = {}

    def period(self, moment: datetime) -> date:
        found = self._periods.get(moment)
        if found is None:
            found = self._periods[moment] = _period(moment)
        return found

    def audit_event(
        self, action: str, order: SaleOrder, data: dict[str, Any], actor: str = "system:ledger"
    ) -> _Row:
        row = _Row(
            id=None,
            created_at=self.now,
            actor=actor,
            action=action,
            subject_type="sale_order",
            subject_id=str(order.pk),
            data=data,
        )
        self.audit.append(row)
        return row

    def flush(self) -> None:
        _copy_insert(SaleLine, self.lines)
        _copy_insert(Allocation, self.allocations)
        if self.book is not None:
            _copy_insert(LotConsumption, self.book.take_pending(), keys=False)
        _entries_write(self.entries, keys=False)
        _copy_insert(AuditEvent, self.audit, keys=False)
        self.lines, self.allocations, self.entries, self.audit = [], [], [], []


@dataclass(frozen=True)
class _Columns:
    """The columns one COPY writes and how a row's values are read for them."""

    sql: str
    values: Callable[[Any], tuple[Any, ...]]  # the row's values in column order (one C call per row)
    json_at: tuple[int, ...]  # JSON fields: sent as JSON text, which the server reads as jsonb
    choice_at: tuple[int, ...]  # fields with choices: enum members sent as their value
    # Dates and moments, and decimals, sent as the text the server parses (ISO 8601, Decimal's own digits):
    # psycopg's dumpers take 0.5-2.8 µs per value, and a batch's moments are mostly one and the same.
    moment_at: tuple[int, ...]
    decimal_at: tuple[int, ...]


@dataclass(frozen=True)
class _CopySpec:
    pk: str
    with_id: _Columns
    without_id: _Columns
    auto_now: tuple[str, ...]


_copy_specs: dict[type[models.Model], _CopySpec] = {}


def _copy_spec(model: type[models.Model]) -> _CopySpec:
    spec = _copy_specs.get(model)
    if spec is None:
        fields = list(model._meta.concrete_fields)
        table = connection.ops.quote_name(model._meta.db_table)

        def columns(chosen: list[Any]) -> _Columns:
            names = ", ".join(connection.ops.quote_name(str(f.column)) for f in chosen)
            return _Columns(
                sql=f"COPY {table} ({names}) FROM STDIN",
                values=attrgetter(*(f.attname for f in chosen)),
                json_at=tuple(i for i, f in enumerate(chosen) if isinstance(f, models.JSONField)),
                choice_at=tuple(i for i, f in enumerate(chosen) if f.choices),
                # DateTimeField is a DateField
                moment_at=tuple(i for i, f in enumerate(chosen) if isinstance(f, models.DateField)),
                decimal_at=tuple(i for i, f in enumerate(chosen) if isinstance(f, models.DecimalField)),
            )

        assert fields[0].primary_key, f"{model.__name__}: the primary key comes first"
        assert len(fields) > 2, f"{model.__name__}: attrgetter of one name returns no tuple"
        spec = _copy_specs[model] = _CopySpec(
            pk=fields[0].attname,
            with_id=columns(fields),
            without_id=columns(fields[1:]),
            auto_now=tuple(
                f.attname
                for f in fields
                if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)
            ),
        )
    return spec


def _copy_insert(model: type[models.Model], objs: list[Any], *, keys: bool = True) -> None:
    """Insert model instances (or ``_Row``s) with one COPY — what bulk_create does, without building SQL per
    value: ``auto_now_add`` filled, JSON as jsonb, constraint violations raised as Django's IntegrityError.
    Rows without a key get one from the table's sequence; with ``keys=False`` the database numbers them and
    they stay without (for rows nobody reads back)."""
    if not objs:
        return
    spec = _copy_spec(model)
    pk = spec.pk
    missing = [obj for obj in objs if getattr(obj, pk) is None]
    without_id = not keys and len(missing) == len(objs)
    if missing and not without_id:
        ids = _Ids(model)
        ids.reserve(len(missing))
        for obj in missing:
            setattr(obj, pk, ids.take())
    for attname in spec.auto_now:
        now = timezone.now()
        for obj in objs:
            if getattr(obj, attname) is None:
                setattr(obj, attname, now)
    chosen = spec.without_id if without_id else spec.with_id
    values, json_at, choice_at = chosen.values, chosen.json_at, chosen.choice_at
    moment_at, decimal_at = chosen.moment_at, chosen.decimal_at
    moments: dict[date, str] = {}  # a moment's text, for moments repeated across rows
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.copy(chosen.sql) as copy,
    ):
        write_row = copy.write_row
        for obj in objs:
            row = list(values(obj))
            for i in json_at:
                if type(row[i]) is not _JsonText:
                    row[i] = json.dumps(row[i])  # what psycopg's Jsonb sends, without its wrapper per value
            for i in choice_at:
                if isinstance(row[i], Enum):
                    row[i] = row[i].value
            for i in moment_at:
                value = row[i]
                if value is not None:
                    text = moments.get(value)
                    if text is None:
                        text = moments[value] = value.isoformat()
                    row[i] = text
            for i in decimal_at:
                value = row[i]
                if type(value) is Decimal:  # ints and None go to psycopg as they are
                    row[i] = _decimal_text(value)
            write_row(row)
    for obj in objs:
        if isinstance(obj, models.Model):
            obj._state.adding, obj._state.db = False, connection.alias


class _JsonText(str):
    """A JSON field's value already written as JSON text (``_copy_insert`` sends it as it is)."""


def _json_id(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def _decimal_text(value: Decimal) -> str:
    """A decimal as the server reads it (its own digits; numeric accepts an exponent too)."""
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    return str(value)


@transaction.atomic
def order_snapshot_apply(
    *, installation: Installation, snapshot: OrderSnapshot, event: str, snapshot_key: str
) -> SaleOrder:
    """Apply one order event (a batch of one)."""
    bind(order_id=snapshot.id, order_number=snapshot.number)
    return order_snapshots_apply(
        events=[
            OrderEvent(
                installation_id=installation.pk, snapshot=snapshot, event=event, snapshot_key=snapshot_key
            )
        ]
    )[0]


@transaction.atomic
def order_snapshots_apply(*, events: Sequence[OrderEvent]) -> list[SaleOrder]:
    """Apply order events in the given order, as one transaction; returns each event's order.

    Exactly what applying them one by one does (the same entries under the same keys), with set-based reads
    and writes: the orders are locked in one statement, the rules valid at each sale read in one, the lots
    of every variant sold locked in one, and lines, allocations, consumptions, entries, month totals and
    audit events written with one insert each."""
    if not events:
        return []
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _apply(events)
        except _OrderCreatedMeanwhile:
            # Another transaction created one of our new orders after we looked; now it is there to lock.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


class _OrderCreatedMeanwhile(Exception):
    pass


def _apply(events: Sequence[OrderEvent]) -> list[SaleOrder]:
    writes = _Writes()
    orders, created = _lock_orders(events, writes)
    steps = _decide(events, orders)
    _orders_create(created)
    selling = [step for step in steps if step.new_lines]
    rules = _rules_for(selling)
    if selling:
        writes.book = catalog_services.lots_lock_fifo(
            wanted=[
                (step.order.row.initiative_id or 0, line.variant_id)
                for step in selling
                for line in step.new_lines
                if line.quantity > 0
            ],
            order_line_keys=[
                f"{step.event.installation_id}:{line.id}" for step in selling for line in step.new_lines
            ],
        )
        new_lines = sum(len(step.new_lines) for step in selling)
        writes.line_ids.reserve(new_lines)
        writes.allocation_ids.reserve(2 * new_lines)  # most lines have one or two makers
    for step in steps:
        attributed = _attribute_new_lines(step, rules, writes) if step.new_lines else None
        if step.newest or attributed:
            _reconcile(
                step.order,
                state=step.state,
                snapshot_key=step.event.snapshot_key,
                effective_at=step.event.snapshot.issued_at or writes.now,
                writes=writes,
                audit=attributed,
            )
        else:
            logger.info("older snapshot ignored", extra={"snapshot_key": step.event.snapshot_key})
    writes.flush()
    new = {row.pk for row in created}
    _orders_save([order.row for order in orders.values() if order.row.pk not in new])
    return [orders[(event.installation_id, event.snapshot.id)].row for event in events]


def _lock_orders(
    events: Sequence[OrderEvent], writes: _Writes
) -> tuple[dict[tuple[int, str], _Order], list[SaleOrder]]:
    """Lock the orders that exist, in one statement and one order (installation, Saleor id), so two
    transactions with overlapping orders wait for each other instead of deadlocking; the others are new
    (written once, with their state, by ``_orders_create`` before anything else)."""
    first: dict[tuple[int, str], OrderSnapshot] = {}
    for event in events:
        first.setdefault((event.installation_id, event.snapshot.id), event.snapshot)
    keys = sorted(first)
    rows = list(
        SaleOrder.objects.raw(
            """SELECT o.* FROM ledger_saleorder o
               JOIN unnest(%s::bigint[], %s::text[]) AS t(installation_id, saleor_order_id)
                 ON o.installation_id = t.installation_id AND o.saleor_order_id = t.saleor_order_id
               ORDER BY o.installation_id, o.saleor_order_id
               FOR UPDATE OF o""",
            [[installation_id for installation_id, _ in keys], [order_id for _, order_id in keys]],
        )
    )
    found = {(row.installation_id, row.saleor_order_id) for row in rows}
    missing = [key for key in keys if key not in found]
    ids = _Ids(SaleOrder)
    ids.reserve(len(missing))
    created = [
        model_new(
            SaleOrder,
            id=ids.take(),
            installation_id=installation_id,
            saleor_order_id=order_id,
            number=first[(installation_id, order_id)].number,
            channel_slug=first[(installation_id, order_id)].channel_slug,
            currency=first[(installation_id, order_id)].currency,
            created_at=writes.now,
        )
        for installation_id, order_id in missing
    ]
    return _load_orders(rows + created), created


def _orders_create(rows: list[SaleOrder]) -> None:
    """Insert the new orders with the state the events gave them, in one COPY. One that another transaction
    created after ``_lock_orders`` looked (the insert waits for that transaction, then violates the unique
    key) means starting over: then it exists and is locked like the others."""
    rows.sort(key=lambda row: (row.installation_id, row.saleor_order_id))  # the lock order
    try:
        _copy_insert(SaleOrder, rows)
    except IntegrityError as exc:
        if violated_constraint(exc) != "sale_order_unique":
            raise
        logger.info("an order of this batch was created meanwhile by another transaction; starting over")
        raise _OrderCreatedMeanwhile from exc


def _load_orders(rows: list[SaleOrder]) -> dict[tuple[int, str], _Order]:
    """Locked order rows with their initiatives, recorded lines, allocations and held amounts."""
    initiatives = Initiative.objects.in_bulk({row.initiative_id for row in rows if row.initiative_id})
    orders = {
        (row.installation_id, row.saleor_order_id): _Order(
            row=row, initiative=initiatives.get(row.initiative_id) if row.initiative_id else None
        )
        for row in rows
    }
    attributed = {row.pk: order for order in orders.values() if (row := order.row).attributed_at is not None}
    if attributed:
        for line in SaleLine.objects.filter(order_id__in=attributed).order_by("pk"):
            order = attributed[line.order_id]
            order.lines.append(line)
            order.line_ids.add(line.saleor_line_id)
            order.allocations[line.pk] = []
        by_line = {line.pk: order for order in attributed.values() for line in order.lines}
        for allocation in Allocation.objects.filter(line_id__in=by_line).order_by("pk"):
            by_line[allocation.line_id].allocations[allocation.line_id].append(allocation)
        for order_id, allocation_id, total in (
            EarningEntry.objects.filter(order_id__in=attributed)
            .values("order_id", "allocation_id")
            .annotate(total=Sum("amount"))
            .values_list("order_id", "allocation_id", "total")
        ):
            attributed[order_id].held[allocation_id] = total
    return orders


def _is_newer(order: SaleOrder, snapshot: OrderSnapshot) -> bool:
    if order.snapshot_at is None or snapshot.updated_at is None:
        return True
    if snapshot.updated_at != order.snapshot_at:
        return snapshot.updated_at > order.snapshot_at
    seen = order.snapshot.get("issued_at")
    return seen is None or snapshot.issued_at is None or snapshot.issued_at.isoformat() >= seen


def _initiative_for(installation_id: int, channel_slug: str) -> Initiative | None:
    initiatives = Initiative.objects.filter(
        channels__installation_id=installation_id, channels__channel_slug=channel_slug
    )
    found = list(initiatives[:2])
    if len(found) == 1:
        return found[0]
    if (
        not channel_slug
    ):  # payload without channel: only unambiguous when the installation serves one initiative
        only = list(Initiative.objects.filter(installation_id=installation_id)[:2])
        return only[0] if len(only) == 1 else None
    return None


def _decide(events: Sequence[OrderEvent], orders: dict[tuple[int, str], _Order]) -> list[_Step]:
    """Walk the events in order through each order's state (newest snapshot, initiative, payment): which
    events attribute which lines, and which reconcile. Reads nothing but the initiatives."""
    initiatives: dict[tuple[int, str], Initiative | None] = {}
    steps: list[_Step] = []
    for event in events:
        snapshot = event.snapshot
        order = orders[(event.installation_id, snapshot.id)]
        row = order.row
        newest = _is_newer(row, snapshot)
        if newest:
            row.snapshot = snapshot.refund_state()
            row.snapshot_at = snapshot.updated_at
            row.snapshot_key = event.snapshot_key[:300]
        if order.initiative is None:
            where = (event.installation_id, snapshot.channel_slug)
            if where not in initiatives:
                initiatives[where] = _initiative_for(*where)
            order.initiative = initiatives[where]
            row.initiative = order.initiative
            if order.initiative is None:
                row.note = (
                    f"no initiative sells through channel {snapshot.channel_slug!r}; linked later, re-run"
                )
                logger.error(
                    "order in a channel no initiative is linked to", extra={"channel": snapshot.channel_slug}
                )
                continue
        initiative = order.initiative
        if row.attributed_at is None:
            paid = snapshot.was_fully_paid or (
                event.event == "order_paid" and initiative.attribute_partial_payments and snapshot.partly_paid
            )
            if not paid:
                row.note = "waiting for payment" if newest else row.note
                continue
            row.attributed_at = timezone.now()
            row.paid_at = snapshot.issued_at or timezone.now()
            row.currency = snapshot.currency or initiative.currency
        # Lines are attributed the first time a paid snapshot shows them (edits of unconfirmed orders add lines).
        new_lines = tuple(line for line in snapshot.lines if line.id not in order.line_ids)
        order.line_ids.update(line.id for line in new_lines)
        row.note = ""
        steps.append(_Step(order=order, event=event, state=row.snapshot, new_lines=new_lines, newest=newest))
    return steps


_RuleKey = tuple[int, str, str, datetime]


def _rules_for(selling: list[_Step]) -> dict[_RuleKey, Any]:
    """The rule valid at each sale, per initiative in one read."""
    wanted: dict[int, set[tuple[str, str, datetime]]] = defaultdict(set)
    initiatives: dict[int, Initiative] = {}
    for step in selling:
        initiative, paid_at = step.order.initiative, step.order.row.paid_at
        assert initiative is not None
        assert paid_at is not None
        initiatives[initiative.pk] = initiative
        wanted[initiative.pk].update((line.variant_id, line.product_id, paid_at) for line in step.new_lines)
    rules: dict[_RuleKey, Any] = {}
    for initiative_id, targets in wanted.items():
        found = catalog_selectors.rules_for_sales(initiative=initiatives[initiative_id], wanted=targets)
        rules.update({(initiative_id, *key): rule for key, rule in found.items()})
    return rules


def _line_base(line: LineSnapshot, initiative: Initiative) -> Decimal:
    return line.net_total if initiative.attribution_base == AttributionBase.NET else line.gross_total


def _attribute_new_lines(step: _Step, rules: dict[_RuleKey, Any], writes: _Writes) -> _Row:
    """Record each line not yet recorded as sold, with its makers (the order row is locked); returns the
    audit event, to which the same event's reconciliation adds the entries it posts."""
    order, initiative, paid_at = step.order, step.order.initiative, step.order.row.paid_at
    assert initiative is not None
    assert paid_at is not None
    for line in step.new_lines:
        rule = rules[(initiative.pk, line.variant_id, line.product_id, paid_at)]
        sale_line, allocations = _plan_line(order.row, line, initiative, rule, writes)
        order.lines.append(sale_line)
        order.allocations[sale_line.id] = allocations
        writes.lines.append(sale_line)
        writes.allocations += allocations
    return writes.audit_event(
        "order.attributed",
        order.row,
        {"saleor_order_id": order.row.saleor_order_id, "lines": [line.id for line in step.new_lines]},
    )


_CENT = Decimal("0.01")
_ZERO = Decimal(0)
_PIECE = Decimal("0.0001")
_PER_PIECE = 10_000


def _piece_weight(pieces: int, percent: Decimal = Decimal(100)) -> int | Fraction:
    """``percent`` % of ``pieces`` in ten-thousandths of a piece; whole (split's integer path) for any
    percentage with two decimals."""
    scaled = pieces * percent.scaleb(2)
    return int(scaled) if scaled == scaled.to_integral_value() else Fraction(scaled)


def _pieces(weight: int | Fraction) -> Decimal:
    """A weight in ten-thousandths of a piece as pieces (numeric(12, 4))."""
    if type(weight) is int:  # the usual case: exact in four decimals, no division needed
        return Decimal(weight).scaleb(-4).quantize(_PIECE, ROUND_HALF_UP)
    return (Decimal(weight.numerator) / Decimal(weight.denominator) / _PER_PIECE).quantize(
        _PIECE, ROUND_HALF_UP
    )


def _plan_line(
    order: SaleOrder, line: LineSnapshot, initiative: Initiative, rule: Any, writes: _Writes
) -> tuple[_Row, list[_Row]]:
    """The sale line and its allocations (written at the end of the transaction, keys taken now); takes lot
    pieces first-in-first-out."""
    assert writes.book is not None
    currency = order.currency
    base = max(_line_base(line, initiative), Decimal(0))
    commission_pct = (
        rule.commission_percent
        if rule and rule.commission_percent is not None
        else initiative.default_commission_percent
    )
    commission = percent_of(base, commission_pct, currency)
    line_key = f"{order.installation_id}:{line.id}"
    lots = writes.book.take(
        initiative_id=initiative.pk,
        saleor_variant_id=line.variant_id,
        quantity=line.quantity,
        order_line_key=line_key,
        idempotency_prefix=f"sale:{line_key}",
    )
    from_lots = sum(qty for _, qty in lots)
    rest = line.quantity - from_lots
    shares = rule.shares if rule and rest > 0 else ()

    # Weights in ten-thousandths of a piece (shares are percentages with two decimals): lot pieces, the rest
    # by share, and what nobody could be found for.
    parts: list[tuple[int | None, int | None, int | None, int | Fraction]] = [
        (lot.maker_id, lot.pk, None, _piece_weight(qty)) for lot, qty in lots
    ]
    parts += [(share.maker_id, None, rule.pk, _piece_weight(rest, share.percent)) for share in shares]
    unassigned = rest if rest > 0 and not shares else 0
    if unassigned:
        parts.append((None, None, None, _piece_weight(unassigned)))

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
    base_amount = base.quantize(_CENT, ROUND_HALF_UP)
    sale_line = _Row(
        id=writes.line_ids.take(),
        order_id=order.pk,
        saleor_line_id=line.id,
        saleor_variant_id=line.variant_id,
        saleor_product_id=line.product_id,
        sku=line.sku,
        product_name=line.product_name[:300],
        variant_name=line.variant_name[:300],
        quantity=line.quantity,
        # as the database stores them (numeric(12, 2)), so this transaction reads what later ones will
        gross_amount=line.gross_total.quantize(_CENT, ROUND_HALF_UP),
        base_amount=base_amount,
        commission_percent=commission_pct,
        commission_amount=commission,
        currency=currency,
        is_gift=line.is_gift,
        status=status,
        rule_id=rule.pk if rule else None,
        created_at=writes.now,
        makers_amount=base_amount - commission,
    )
    if status in (LineStatus.GIFT, LineStatus.ZERO) or not parts:
        return sale_line, []
    amounts = split(base - commission, [weight for *_, weight in parts], currency)
    return sale_line, [
        _Row(
            id=writes.allocation_ids.take(),
            line_id=sale_line.id,
            maker_id=maker_id,
            lot_id=lot_id,
            rule_id=rule_id,
            quantity=_pieces(weight),
            amount=amount,
            resolves_id=None,
            resolved_at=None,
            created_at=writes.now,
        )
        for (maker_id, lot_id, rule_id, weight), amount in zip(parts, amounts, strict=True)
    ]


def _period(moment: datetime) -> date:
    return timezone.localtime(moment).date().replace(day=1)


def _orders_save(rows: list[SaleOrder]) -> None:
    params: list[Any] = [
        (
            row.initiative_id,
            row.attributed_at,
            row.paid_at,
            row.currency,
            row.snapshot_at,
            row.snapshot_key,
            Jsonb(row.snapshot),
            row.note,
            row.pk,
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            """UPDATE ledger_saleorder SET initiative_id = %s, attributed_at = %s, paid_at = %s, currency = %s,
                   snapshot_at = %s, snapshot_key = %s, snapshot = %s, note = %s
               WHERE id = %s""",
            params,
        )


def _reconcile(
    order: _Order,
    *,
    state: dict[str, Any],
    snapshot_key: str,
    effective_at: datetime,
    writes: _Writes,
    audit: _Row | None = None,
) -> None:
    """Post, per allocation, the difference between what it should hold in ``state`` and what it holds.
    The entries are recorded in ``audit`` (the same event's ``order.attributed``) when given, else in an
    ``order.reconciled`` event of their own."""
    row = order.row
    initiative_id = row.initiative_id
    assert initiative_id is not None, "only attributed orders are reconciled"
    facts = [LineFacts(line.saleor_line_id, line.quantity, line.gross_amount) for line in order.lines]
    kept = kept_fractions(facts, state)
    posted: list[_Row] = []
    held = order.held
    for line in order.lines:
        line_detail = ""  # the JSON the line's entries share, written once (below)
        allocations = order.allocations[line.id]
        resolved = {a.resolves_id for a in allocations if a.resolves_id}
        live = [a for a in allocations if a.id not in resolved] if resolved else allocations
        targets = allocation_targets(
            line.makers_amount, kept[line.saleor_line_id], [a.amount for a in live], line.currency
        )
        for allocation, target in zip(live, targets, strict=True):
            if allocation.maker_id is None:
                continue  # waits in the coordinator's queue
            allocation_id = allocation.id
            current = held.get(allocation_id) or _ZERO
            diff = target - current
            if diff == 0:
                continue
            if current == 0 and diff > 0 and allocation_id not in held:
                kind = EntryKind.SALE
            else:
                kind = EntryKind.REVERSAL if diff < 0 else EntryKind.CORRECTION
            held[allocation_id] = current + diff
            when = row.paid_at if kind == EntryKind.SALE and row.paid_at else effective_at
            if not line_detail:
                line_detail = json.dumps(
                    {
                        "saleor_order_id": row.saleor_order_id,
                        "saleor_line_id": line.saleor_line_id,
                        "commission_percent": str(line.commission_percent),
                        "snapshot": snapshot_key,
                    }
                )[1:]  # without its opening brace: the entry's own keys come first
            posted.append(
                _Row(
                    id=None,
                    maker_id=allocation.maker_id,
                    initiative_id=initiative_id,
                    kind=kind,
                    amount=diff,
                    currency=line.currency,
                    quantity=_entry_pieces(allocation.quantity, allocation.amount, diff),
                    order_id=row.id,
                    line_id=line.id,
                    allocation_id=allocation_id,
                    lot_id=allocation.lot_id,
                    reverses_id=None,
                    effective_at=when,
                    period=writes.period(when),
                    idempotency_key=f"{row.installation_id}:{allocation_id}:{kind.value}:{snapshot_key}"[
                        :300
                    ],
                    reference="",
                    detail=_JsonText(
                        f'{{"rule_id": {_json_id(allocation.rule_id)}, "lot_id": {_json_id(allocation.lot_id)}, '
                        + line_detail
                    ),
                    created_at=writes.now,
                )
            )
    if posted:
        writes.entries += posted
        booked = {"snapshot": snapshot_key, "entries": [[e.maker_id, e.kind, str(e.amount)] for e in posted]}
        if audit is not None:
            audit.data.update(booked)
        else:
            writes.audit_event("order.reconciled", row, booked)
    _return_pieces(order, state, facts, writes)


def _entry_pieces(quantity: Decimal, amount: Decimal, diff: Decimal) -> Decimal:
    """The pieces an entry of ``diff`` moves of an allocation of ``quantity`` pieces for ``amount``."""
    if diff == amount and amount:  # the whole allocation (a sale): the exact quotient, without dividing
        return quantity.quantize(_PIECE)
    return (quantity * diff / amount if amount else _ZERO).quantize(_PIECE)


def _return_pieces(order: _Order, state: dict[str, Any], facts: list[LineFacts], writes: _Writes) -> None:
    """Give pieces that came back to the lots they were sold from (cancellations, removed lines, and refunds
    when the initiative's policy says so). Cumulative, so each level is returned once."""
    initiative = order.initiative
    assert initiative is not None
    if not any(a.lot_id for allocations in order.allocations.values() for a in allocations):
        return  # nothing of it came from a lot
    back = pieces_back(facts, state, refunds_count=initiative.return_refunded_pieces_to_lots)
    for line in order.lines:
        if not back[line.saleor_line_id] or not any(a.lot_id for a in order.allocations[line.pk]):
            continue
        # Rare (pieces came back): write what this transaction took so far, then return through the database.
        if writes.book is not None:
            _copy_insert(LotConsumption, writes.book.take_pending(), keys=False)
        key = f"{order.row.installation_id}:{line.saleor_line_id}"
        due = back[line.saleor_line_id] - catalog_selectors.line_pieces_returned(order_line_key=key)
        if due > 0:
            returned = catalog_services.lots_return(
                order_line_key=key, quantity=due, idempotency_key=f"return:{key}:{back[line.saleor_line_id]}"
            )
            if writes.book is not None:
                writes.book.give_back(returned)


_PART_OF: dict[str, int] = {
    **dict.fromkeys(EARNING_KINDS, 0),
    **dict.fromkeys(PAYOUT_KINDS, 1),
    **dict.fromkeys(POT_KINDS, 2),
}


def entries_post(*, entries: Iterable[EarningEntry]) -> list[EarningEntry]:
    """Insert entries and move the makers' month totals (split into earned / paid out / pot spent) in the
    same transaction."""
    created = list(entries)
    _entries_write(created)
    return created


def _entries_write(entries: list[Any], *, keys: bool = True) -> None:
    """``entries_post`` for entries or rows shaped like them (``keys=False``: the database numbers them)."""
    if not entries:
        return
    _copy_insert(EarningEntry, entries, keys=keys)
    created = entries
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
        # In one order (maker, period, currency), so two transactions moving the same totals never deadlock.
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
                for (maker, period, currency), (earned, paid, pot, count) in sorted(totals.items())
            ],
        )


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
    a repeat returns the existing entry and ``False`` (and refuses a repeat that differs) — also when two
    transactions post the same key at the same moment without a lock in common: the second one's insert
    waits for the first, and when that commits, it takes the first one's entry instead."""
    if not connection.in_atomic_block:
        raise RuntimeError("movement_post must run inside the transaction that changes the payout")
    if kind not in PAYOUT_KINDS | POT_KINDS:
        raise ValidationFailed(f"{kind!r} is not a payout or pot movement")
    existing = EarningEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _movement_repeated(existing, maker_id=maker_id, kind=kind, money=money), False
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
    try:
        with transaction.atomic():  # a savepoint: a lost race leaves this transaction usable
            entries_post(entries=[entry])
    except IntegrityError as exc:
        if violated_constraint(exc) != "entry_idempotency_key_unique":
            raise
        existing = EarningEntry.objects.get(idempotency_key=idempotency_key)  # committed meanwhile
        return _movement_repeated(existing, maker_id=maker_id, kind=kind, money=money), False
    audit_event_record(
        actor="system:ledger",
        action=f"ledger.{kind}",
        subject_type="maker",
        subject_id=str(maker_id),
        data={"amount": str(money.amount), "currency": money.currency, "reference": reference},
    )
    return entry, True


def _movement_repeated(existing: EarningEntry, *, maker_id: int, kind: str, money: Money) -> EarningEntry:
    if (existing.maker_id, existing.kind, existing.amount, existing.currency) != (
        maker_id,
        kind,
        money.amount,
        money.currency,
    ):
        raise ValidationFailed(f"ledger key {existing.idempotency_key} was already used for another movement")
    return existing


@transaction.atomic
def unattributed_resolve(
    *, allocation_id: int, initiative_id: int, shares: list[tuple[Any, Decimal]], actor: str
) -> list[Allocation]:
    """A coordinator names the maker(s) of pieces nobody could be found for; their entries are posted now,
    for what of the sale still stands."""
    makers_selectors.actor_may_act_for(actor=actor, initiative_id=initiative_id)
    queued = Allocation.objects.select_related("line__order").get(pk=allocation_id)
    order = SaleOrder.objects.select_for_update(of=("self",)).get(pk=queued.line.order_id)
    if order.initiative_id != initiative_id:
        raise ValidationFailed(_("This sale belongs to another initiative."))
    if queued.maker_id is not None or Allocation.objects.filter(resolves=queued).exists():
        raise ValidationFailed(_("Someone already said who made these pieces."))
    if not shares or sum(percent for _, percent in shares) != Decimal(100):
        raise ValidationFailed(_("The shares must add up to exactly 100%."))
    if any(maker.initiative_id != initiative_id for maker, _ in shares):
        raise ValidationFailed(_("Every maker must belong to this initiative."))
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
    (loaded,) = _load_orders([order]).values()
    writes = _Writes()
    _reconcile(
        loaded,
        state=order.snapshot,
        snapshot_key=f"resolve:{queued.pk}",
        effective_at=timezone.now(),
        writes=writes,
    )
    writes.flush()
    return children
