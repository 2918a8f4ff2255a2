"""Writes for attribution rules and production lots, and the stock sync with Saleor (docs/adr/0003)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext

from shop_extensions.catalog.models import (
    AttributionRule,
    AttributionShare,
    LotConsumption,
    LotKind,
    ProductionLot,
    StockSync,
)
from shop_extensions.catalog.selectors import available_of, lot_available, with_availability
from shop_extensions.core.actors import actor_user_id
from shop_extensions.core.errors import ValidationFailed
from shop_extensions.core.memory import model_new
from shop_extensions.core.services import audit_event_record
from shop_extensions.core.transactions import violated_constraint
from shop_extensions.makers.models import Initiative, Maker
from shop_extensions.makers.selectors import actor_may_act_for
from shop_extensions.saleor_app import saleor
from shop_extensions.saleor_app.client import SaleorClient
from shop_extensions.saleor_app.client.input_types import StockInput

logger = logging.getLogger(__name__)

HUNDRED = Decimal("100.00")
CENT = Decimal("0.01")
SYNC_ACTOR = "system:stock-sync"
# Read-add-write rounds per sync before giving up for now (the retry job comes back later).
SYNC_ROUNDS = 3
# Namespace of our session advisory locks (pg_advisory_lock(int, int)): one stock writer per variant.
STOCK_LOCK_CLASS = 0x5244  # "RD"


# -- attribution rules ---------------------------------------------------------------------------------


def _validate_shares(initiative: Initiative, shares: Sequence[tuple[Maker, Decimal]]) -> None:
    if not shares:
        raise ValidationFailed(gettext("Choose at least one maker."))
    seen: set[int] = set()
    for maker, percent in shares:
        if not isinstance(percent, Decimal) or percent != percent.quantize(CENT):
            raise ValidationFailed(gettext("A share is a percentage with at most two decimals."))
        if not Decimal(0) < percent <= HUNDRED:
            raise ValidationFailed(gettext("A share is more than 0 and at most 100 percent."))
        if maker.initiative_id != initiative.pk:
            raise ValidationFailed(
                gettext("%(maker)s does not belong to this initiative.") % {"maker": maker.display_name}
            )
        if maker.pk in seen:
            raise ValidationFailed(gettext("%(maker)s is in the list twice.") % {"maker": maker.display_name})
        seen.add(maker.pk)
    total = sum((percent for _, percent in shares), Decimal(0))
    if total != HUNDRED:
        raise ValidationFailed(
            gettext("The shares add up to %(total)s%%; they must add up to exactly 100%%.")
            % {"total": formats.localize(total)}
        )


def attribution_rule_set(
    *,
    initiative: Initiative,
    actor: str,
    saleor_product_id: str = "",
    saleor_variant_id: str = "",
    shares: list[tuple[Maker, Decimal]],
    commission_percent: Decimal | None,
    valid_from: datetime | None = None,
) -> AttributionRule:
    """Makers' shares of a product's or variant's sales from ``valid_from`` (default now). The open rule for
    the same product/variant is closed at ``valid_from`` — the only update a rule ever gets — so sales before
    that moment keep their rule."""
    actor_may_act_for(actor=actor, initiative_id=initiative.pk)
    saleor_product_id, saleor_variant_id = saleor_product_id.strip(), saleor_variant_id.strip()
    if bool(saleor_product_id) == bool(saleor_variant_id):
        raise ValidationFailed("give exactly one of a Saleor product id or variant id")
    _validate_shares(initiative, shares)
    if commission_percent is not None and (
        commission_percent != commission_percent.quantize(CENT) or not 0 <= commission_percent <= 100
    ):
        raise ValidationFailed(
            gettext("The commission is a percentage from 0 to 100, with at most two decimals.")
        )
    starts = valid_from or timezone.now()
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _rule_replace(
                    initiative=initiative,
                    actor=actor,
                    saleor_product_id=saleor_product_id,
                    saleor_variant_id=saleor_variant_id,
                    shares=shares,
                    commission_percent=commission_percent,
                    valid_from=starts,
                )
        except IntegrityError as exc:
            # Another coordinator created the first open rule at the same moment: read it and go again.
            if violated_constraint(exc) != "rule_one_open" or attempt == 2:
                raise ValidationFailed(
                    gettext("Someone changed this rule at the same moment. Try again.")
                ) from exc
    raise AssertionError("unreachable")


def _rule_replace(
    *,
    initiative: Initiative,
    actor: str,
    saleor_product_id: str,
    saleor_variant_id: str,
    shares: Sequence[tuple[Maker, Decimal]],
    commission_percent: Decimal | None,
    valid_from: datetime,
) -> AttributionRule:
    current = (
        AttributionRule.objects.select_for_update()
        .filter(
            initiative=initiative,
            saleor_product_id=saleor_product_id,
            saleor_variant_id=saleor_variant_id,
            valid_to__isnull=True,
        )
        .first()
    )
    if current is not None:
        if valid_from <= current.valid_from:
            raise ValidationFailed(
                gettext("A change must start after the current rule, which starts on %(start)s.")
                % {"start": formats.date_format(timezone.localtime(current.valid_from), "DATETIME_FORMAT")}
            )
        current.valid_to = valid_from
        current.save(update_fields=["valid_to"])
    rule = AttributionRule.objects.create(
        initiative=initiative,
        saleor_product_id=saleor_product_id,
        saleor_variant_id=saleor_variant_id,
        commission_percent=commission_percent,
        valid_from=valid_from,
        created_by_id=actor_user_id(actor),
    )
    AttributionShare.objects.bulk_create(
        AttributionShare(rule=rule, maker=maker, percent=percent) for maker, percent in shares
    )
    audit_event_record(
        actor=actor,
        action="attribution_rule.set",
        subject_type="attribution_rule",
        subject_id=str(rule.pk),
        data={
            "initiative_id": initiative.pk,
            "saleor_product_id": saleor_product_id,
            "saleor_variant_id": saleor_variant_id,
            "shares": [[maker.pk, str(percent)] for maker, percent in shares],
            "commission_percent": None if commission_percent is None else str(commission_percent),
            "valid_from": valid_from.isoformat(),
            "closed_rule_id": current.pk if current else None,
        },
    )
    return rule


# -- production lots -----------------------------------------------------------------------------------


def lot_book(
    *,
    initiative: Initiative,
    maker: Maker,
    saleor_variant_id: str,
    quantity: int,
    actor: str,
    idempotency_key: str,
) -> ProductionLot:
    """Book "maker delivered ``quantity`` pieces of the variant", then raise Saleor's stock by as much.

    The lot is committed first (stock_sync=pending), then synced outside that transaction; the same key
    returns the existing lot and never raises stock twice. Must not run inside an outer transaction
    (``durable``): Saleor's stock must never be raised for a lot that could still roll back."""
    actor_may_act_for(actor=actor, initiative_id=initiative.pk)
    saleor_variant_id = saleor_variant_id.strip()
    if maker.initiative_id != initiative.pk:
        raise ValidationFailed(gettext("This maker does not belong to this initiative."))
    if not maker.is_active:
        raise ValidationFailed(gettext("This maker is not active."))
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationFailed(gettext("A delivery is a whole number of pieces, more than zero."))
    if not saleor_variant_id or not idempotency_key:
        raise ValidationFailed("a variant id and an idempotency key are required")
    if initiative.installation_id is None or not initiative.warehouse_id:
        raise ValidationFailed(
            gettext("This initiative has no Saleor shop or warehouse yet, so no stock can be booked.")
        )
    with transaction.atomic(durable=True):
        lot, created = ProductionLot.objects.get_or_create(
            idempotency_key=idempotency_key,
            defaults={
                "initiative": initiative,
                "maker": maker,
                "saleor_variant_id": saleor_variant_id,
                "kind": LotKind.DELIVERY,
                "quantity": quantity,
                "booked_at": timezone.now(),
                "booked_by_id": actor_user_id(actor),
            },
        )
        if not created:
            same = (lot.kind, lot.initiative_id, lot.maker_id, lot.saleor_variant_id, lot.quantity) == (
                LotKind.DELIVERY,
                initiative.pk,
                maker.pk,
                saleor_variant_id,
                quantity,
            )
            if not same:
                raise ValidationFailed(
                    gettext("This form was already sent for another booking. Open the page again.")
                )
        else:
            audit_event_record(
                actor=actor,
                action="lot.booked",
                subject_type="production_lot",
                subject_id=str(lot.pk),
                data={
                    "initiative_id": initiative.pk,
                    "maker_id": maker.pk,
                    "saleor_variant_id": saleor_variant_id,
                    "quantity": quantity,
                },
            )
    return lot_stock_sync(lot_id=lot.pk)


def lot_correct(
    *, lot: ProductionLot, quantity: int, reason: str, actor: str, idempotency_key: str
) -> ProductionLot:
    """A correction (miscounted, damaged) is a new ``correction`` row pointing at the delivery lot, never an
    edit. A negative correction may not take the lot below what has been sold. Saleor's stock moves by the
    same amount through the same sync as a booking."""
    target = ProductionLot.objects.get(pk=lot.corrects_id) if lot.corrects_id else lot
    actor_may_act_for(actor=actor, initiative_id=target.initiative_id)
    reason = reason.strip()
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity == 0:
        raise ValidationFailed(gettext("A correction is a whole number of pieces, not zero."))
    if not reason or not idempotency_key:
        raise ValidationFailed("a correction needs a reason and an idempotency key")
    with transaction.atomic(durable=True):
        # Locks the lot as lots_consume_fifo does, so no sale takes pieces while we check.
        ProductionLot.objects.select_for_update().filter(pk=target.pk).values_list("pk").first()
        correction = ProductionLot.objects.filter(idempotency_key=idempotency_key).first()
        if correction is None:
            available = lot_available(lot=target)
            if available + quantity < 0:
                raise ValidationFailed(
                    gettext(
                        "%(count)s pieces cannot be taken off this delivery: only %(available)s are unsold."
                    )
                    % {"count": -quantity, "available": available},
                    extra={"available": available},
                )
            try:
                with transaction.atomic():
                    correction = ProductionLot.objects.create(
                        initiative_id=target.initiative_id,
                        maker_id=target.maker_id,
                        saleor_variant_id=target.saleor_variant_id,
                        kind=LotKind.CORRECTION,
                        quantity=quantity,
                        corrects=target,
                        reason=reason[:300],
                        idempotency_key=idempotency_key,
                        booked_at=timezone.now(),
                        booked_by_id=actor_user_id(actor),
                    )
            except IntegrityError as exc:
                raise ValidationFailed(
                    gettext("This form was already sent for another booking. Open the page again.")
                ) from exc
            audit_event_record(
                actor=actor,
                action="lot.corrected",
                subject_type="production_lot",
                subject_id=str(target.pk),
                data={
                    "correction_id": correction.pk,
                    "quantity": quantity,
                    "reason": reason,
                    "available_before": available,
                },
            )
        elif correction.corrects_id != target.pk or correction.quantity != quantity:
            raise ValidationFailed(
                gettext("This form was already sent for another booking. Open the page again.")
            )
    return lot_stock_sync(lot_id=correction.pk)


class LotBook:
    """Delivery lots of some variants, locked in the caller's transaction (``lots_lock_fifo``), with the pieces
    each still has. Sales take pieces first-in-first-out in memory, in the order ``take`` is called; ``flush``
    writes the consumptions in one insert. Several order lines, of several variants, cost three queries."""

    def __init__(
        self,
        lots: dict[tuple[int, str], list[ProductionLot]],
        recorded: dict[str, list[LotConsumption]],
    ) -> None:
        self._lots = lots
        self._available = {lot.pk: available_of(lot) for found in lots.values() for lot in found}
        self._recorded = recorded
        self._pending: list[LotConsumption] = []

    def has_lots(self, initiative_id: int, saleor_variant_id: str) -> bool:
        return bool(self._lots.get((initiative_id, saleor_variant_id)))

    def take(
        self,
        *,
        initiative_id: int,
        saleor_variant_id: str,
        quantity: int,
        order_line_key: str,
        idempotency_prefix: str,
    ) -> list[tuple[ProductionLot, int]]:
        """``lots_consume_fifo`` for one order line, against the locked lots (nothing written until flush)."""
        lots = self._lots.get((initiative_id, saleor_variant_id))
        if quantity <= 0 or not lots:
            return []
        done = _with_prefix(self._recorded.get(order_line_key, []), idempotency_prefix)
        if done:
            return done
        taken: list[tuple[ProductionLot, int]] = []
        remaining = quantity
        for lot in lots:
            available = self._available[lot.pk]
            if available <= 0:
                continue
            pieces = min(available, remaining)
            taken.append((lot, pieces))
            self._available[lot.pk] = available - pieces
            remaining -= pieces
            if remaining == 0:
                break
        made = []
        for lot, pieces in taken:
            consumption = model_new(
                LotConsumption,
                lot_id=lot.pk,
                order_line_key=order_line_key,
                quantity=pieces,
                idempotency_key=f"{idempotency_prefix}:{lot.pk}",
            )
            consumption.lot = lot  # the lot it holds (``_with_prefix`` reads it), not one loaded again
            made.append(consumption)
        self._pending += made
        self._recorded.setdefault(order_line_key, []).extend(made)
        return taken

    def give_back(self, returned: Iterable[tuple[ProductionLot, int]]) -> None:
        """Pieces ``lots_return`` gave back to lots this book holds are available again."""
        for lot, pieces in returned:
            if lot.pk in self._available:
                self._available[lot.pk] += pieces

    def take_pending(self) -> list[LotConsumption]:
        """The consumptions taken since the last flush, for a caller that writes them itself."""
        pending, self._pending = self._pending, []
        return pending

    def flush(self) -> None:
        if self._pending:
            LotConsumption.objects.bulk_create(self.take_pending())


def lots_lock_fifo(*, wanted: Iterable[tuple[int, str]], order_line_keys: Iterable[str]) -> LotBook:
    """Lock the delivery lots of these (initiative id, Saleor variant id) pairs for a sale, in one statement
    and one global order (``booked_at``, ``pk``: the order every writer of lots locks in, so two sales never
    deadlock), then read what each has available in a new statement (under READ COMMITTED a statement that
    waited for a lock would otherwise compute availability from its snapshot before the wait). Runs inside
    the caller's transaction; ``order_line_keys`` are the lines that may take pieces (earlier consumptions of
    theirs are found again, so a repeat consumes nothing)."""
    by_initiative: dict[int, set[str]] = defaultdict(set)
    for initiative_id, variant_id in wanted:
        if variant_id:
            by_initiative[initiative_id].add(variant_id)
    if not by_initiative:
        return LotBook({}, {})
    which = Q()
    for initiative_id, variant_ids in sorted(by_initiative.items()):
        which |= Q(initiative_id=initiative_id, saleor_variant_id__in=sorted(variant_ids))
    lot_ids = list(
        ProductionLot.objects.filter(which, kind=LotKind.DELIVERY)
        .order_by("booked_at", "pk")
        .select_for_update()
        .values_list("pk", flat=True)
    )
    if not lot_ids:
        return LotBook({}, {})
    lots: dict[tuple[int, str], list[ProductionLot]] = defaultdict(list)
    for lot in with_availability(
        ProductionLot.objects.filter(pk__in=lot_ids).select_related("maker")
    ).order_by("booked_at", "pk"):
        lots[(lot.initiative_id, lot.saleor_variant_id)].append(lot)
    recorded: dict[str, list[LotConsumption]] = defaultdict(list)
    keys = sorted(set(order_line_keys))
    if keys:
        by_pk = {lot.pk: lot for found in lots.values() for lot in found}
        # One array parameter, not one placeholder per key (hundreds of lines per batch).
        for row in LotConsumption.objects.raw(
            """SELECT * FROM catalog_lotconsumption WHERE order_line_key = ANY(%s) AND lot_id = ANY(%s)
               ORDER BY id""",  # the order they were taken in
            [keys, lot_ids],
        ):
            row.lot = by_pk[row.lot_id]
            recorded[row.order_line_key].append(row)
    return LotBook(dict(lots), dict(recorded))


def lots_consume_fifo(
    *,
    initiative: Initiative,
    saleor_variant_id: str,
    quantity: int,
    order_line_key: str,
    idempotency_prefix: str,
) -> list[tuple[ProductionLot, int]]:
    """Take ``quantity`` sold pieces from the variant's lots, oldest first; returns ``(lot, pieces)``.

    Runs inside the caller's transaction. The sum may be less than ``quantity`` when the lots run out (the
    caller attributes the rest by share rules). Called again for the same line and prefix, it returns what
    was consumed then and consumes nothing. (Many lines at once: ``lots_lock_fifo``.)"""
    if quantity <= 0:
        return []
    with transaction.atomic():
        book = lots_lock_fifo(wanted=[(initiative.pk, saleor_variant_id)], order_line_keys=[order_line_key])
        taken = book.take(
            initiative_id=initiative.pk,
            saleor_variant_id=saleor_variant_id,
            quantity=quantity,
            order_line_key=order_line_key,
            idempotency_prefix=idempotency_prefix,
        )
        book.flush()
    return taken


def _with_prefix(rows: Iterable[LotConsumption], prefix: str) -> list[tuple[ProductionLot, int]]:
    return [
        (row.lot, abs(row.quantity))
        for row in rows
        if row.idempotency_key.startswith(f"{prefix}:")
        and row.idempotency_key[len(prefix) + 1 :].isdigit()  # not a longer prefix that starts the same
    ]


def _consumptions(order_line_key: str, prefix: str) -> list[tuple[ProductionLot, int]]:
    rows = (
        LotConsumption.objects.filter(order_line_key=order_line_key, idempotency_key__startswith=f"{prefix}:")
        .select_related("lot__maker")
        .order_by("pk")  # the order they were taken in
    )
    return _with_prefix(rows, prefix)


def lots_return(
    *, order_line_key: str, quantity: int, idempotency_key: str
) -> list[tuple[ProductionLot, int]]:
    """Give up to ``quantity`` pieces of the line's consumptions back to their lots, newest consumption
    first, as negative consumptions; returns ``(lot, pieces returned)``. Idempotent by key."""
    if quantity <= 0:
        return []
    with transaction.atomic():
        lot_ids = set(
            LotConsumption.objects.filter(order_line_key=order_line_key).values_list("lot_id", flat=True)
        )
        if not lot_ids:
            return []
        list(  # the same lock order as lots_consume_fifo
            ProductionLot.objects.filter(pk__in=lot_ids)
            .order_by("booked_at", "pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        done = _consumptions(order_line_key, idempotency_key)
        if done:
            return done
        rows = list(
            LotConsumption.objects.filter(order_line_key=order_line_key)
            .select_related("lot__maker")
            .order_by("-pk")
        )
        net: dict[int, int] = {}
        newest_first: list[ProductionLot] = []
        for row in rows:
            net[row.lot_id] = net.get(row.lot_id, 0) + row.quantity
            if row.quantity > 0 and all(lot.pk != row.lot_id for lot in newest_first):
                newest_first.append(row.lot)
        given: list[tuple[ProductionLot, int]] = []
        remaining = quantity
        for lot in newest_first:
            pieces = min(net[lot.pk], remaining)
            if pieces <= 0:
                continue
            given.append((lot, pieces))
            remaining -= pieces
            if remaining == 0:
                break
        LotConsumption.objects.bulk_create(
            LotConsumption(
                lot=lot,
                order_line_key=order_line_key,
                quantity=-pieces,
                idempotency_key=f"{idempotency_key}:{lot.pk}",
            )
            for lot, pieces in given
        )
    return given


# -- stock sync with Saleor ----------------------------------------------------------------------------


class StockSyncProblem(Exception):
    """The sync could not finish now; the message is stored on the lot and the retry job tries again."""


class _WriteRefused(Exception):
    """Saleor answered the write and did not apply it."""


class _Stock:
    """One variant's quantity in one warehouse, through the typed client, errors translated to ours."""

    def __init__(self, client: SaleorClient, variant_id: str, warehouse_id: str) -> None:
        self.client, self.variant_id, self.warehouse_id = client, variant_id, warehouse_id

    def read(self) -> int:
        try:
            result = self.client.variant_stocks(id=self.variant_id)
        except Exception as exc:
            raise saleor.translate_errors(exc) from exc
        variant = result.product_variant
        if variant is None:
            raise StockSyncProblem(f"Saleor does not know variant {self.variant_id}")
        # No stock row for the warehouse yet: productVariantStocksUpdate creates it.
        return next((s.quantity for s in variant.stocks or [] if s.warehouse.id == self.warehouse_id), 0)

    def write(self, quantity: int) -> int | None:
        """Set the absolute quantity; returns what Saleor holds right after the write (same transaction)."""
        try:
            result = self.client.variant_stocks_update(
                variant_id=self.variant_id,
                stocks=[StockInput(warehouse=self.warehouse_id, quantity=quantity)],
            )
        except Exception as exc:
            translated = saleor.translate_errors(exc)
            if isinstance(translated, saleor.SaleorUnreachable):
                raise translated from exc  # it may have landed
            raise _WriteRefused(str(translated)) from exc
        payload = result.product_variant_stocks_update
        if payload is None or payload.errors or payload.product_variant is None:
            errors = "; ".join(f"{e.code.value}: {e.message}" for e in payload.errors) if payload else ""
            raise _WriteRefused(f"Saleor refused the stock update: {errors or 'no answer'}")
        stocks = payload.product_variant.stocks or []
        return next((s.quantity for s in stocks if s.warehouse.id == self.warehouse_id), None)


@contextmanager
def _stock_writer(installation_id: int, variant_id: str, warehouse_id: str) -> Iterator[None]:
    """One stock writer per variant and warehouse across processes: a session advisory lock (not a row
    lock, so sales locking lots never wait for Saleor's answer)."""
    key = f"{installation_id}:{variant_id}:{warehouse_id}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", [STOCK_LOCK_CLASS, key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [STOCK_LOCK_CLASS, key])


def lot_stock_sync(*, lot_id: int) -> ProductionLot:
    """Move Saleor's stock of the lot's variant by the lot's quantity, exactly once; never raises for
    Saleor trouble (the lot is marked ``failed`` with the error and the retry job comes back).

    Per round: read → record (read, read + quantity) on the lot → read again, and start over if the stock
    moved → write read + quantity. A retry of a lot with a recorded write re-reads first: at the written
    value the write landed (synced), at the read value it did not (go on), anything else cannot be told
    (``unknown``, for a coordinator). See docs/adr/0003-stock-sync.md for the window that remains."""
    lot = ProductionLot.objects.select_related("initiative__installation").get(pk=lot_id)
    if lot.stock_sync in (StockSync.SYNCED, StockSync.UNKNOWN):
        return lot
    initiative = lot.initiative
    installation = initiative.installation
    if installation is None or not installation.is_active or not initiative.warehouse_id:
        return _sync_failed(lot, "the initiative has no active Saleor installation or no warehouse")
    with _stock_writer(installation.pk, lot.saleor_variant_id, initiative.warehouse_id):
        lot.refresh_from_db()
        if lot.stock_sync in (StockSync.SYNCED, StockSync.UNKNOWN):
            return lot
        ProductionLot.objects.filter(pk=lot.pk).update(
            stock_sync_attempts=F("stock_sync_attempts") + 1, stock_sync_attempted_at=timezone.now()
        )
        try:
            with saleor.client(installation.api_url, installation.token) as client:
                return _sync(lot, _Stock(client, lot.saleor_variant_id, initiative.warehouse_id))
        except (
            StockSyncProblem,
            _WriteRefused,
            saleor.SaleorUnreachable,
            saleor.SaleorError,
            saleor.TokenRefused,
        ) as exc:
            return _sync_failed(lot, str(exc))
        except Exception as exc:
            _sync_failed(lot, f"{type(exc).__name__}: {exc}")
            raise


def _sync(lot: ProductionLot, stock: _Stock) -> ProductionLot:
    if lot.stock_written is not None:
        current = stock.read()
        if current == lot.stock_written:
            return _sync_done(lot, before=lot.stock_before, written=lot.stock_written, found=True)
        if current != lot.stock_before:
            return _sync_unknown(lot, current)
    for _ in range(SYNC_ROUNDS):
        before = stock.read()
        target = before + lot.quantity
        if target < 0:
            raise StockSyncProblem(
                f"Saleor holds {before} pieces; taking {-lot.quantity} would go below zero"
            )
        _intent(lot, before, target)
        try:
            moved = stock.read() != before
            if moved:
                continue  # sold or fulfilled between our read and our write: read again
            stored = stock.write(target)
        except saleor.SaleorUnreachable:
            raise  # the write may have landed: keep the recorded intent for the next attempt
        except Exception:
            _intent(lot, None, None)  # we know our write did not land
            raise
        if stored != target:
            return _sync_unknown(lot, stored)
        return _sync_done(lot, before=before, written=target, found=False)
    _intent(lot, None, None)
    raise StockSyncProblem(f"Saleor's stock kept changing during {SYNC_ROUNDS} attempts; will try again")


def _intent(lot: ProductionLot, before: int | None, written: int | None) -> None:
    ProductionLot.objects.filter(pk=lot.pk).update(stock_before=before, stock_written=written)
    lot.stock_before, lot.stock_written = before, written


def _sync_done(lot: ProductionLot, *, before: int | None, written: int | None, found: bool) -> ProductionLot:
    with transaction.atomic():
        ProductionLot.objects.filter(pk=lot.pk).update(
            stock_sync=StockSync.SYNCED, stock_synced_at=timezone.now(), stock_sync_error=""
        )
        audit_event_record(
            actor=SYNC_ACTOR,
            action="lot.stock_synced",
            subject_type="production_lot",
            subject_id=str(lot.pk),
            data={
                "saleor_variant_id": lot.saleor_variant_id,
                "delta": lot.quantity,
                "stock_before": before,
                "stock_written": written,
                "earlier_write_found": found,
            },
        )
    lot.refresh_from_db()
    return lot


def _sync_unknown(lot: ProductionLot, current: int | None) -> ProductionLot:
    message = (
        f"Saleor holds {current} pieces, neither the {lot.stock_before} we read nor the {lot.stock_written} "
        "we wrote: check the stock in the Dashboard, then mark the lot as synced or to be synced again"
    )
    with transaction.atomic():
        ProductionLot.objects.filter(pk=lot.pk).update(stock_sync=StockSync.UNKNOWN, stock_sync_error=message)
        audit_event_record(
            actor=SYNC_ACTOR,
            action="lot.stock_sync_unknown",
            subject_type="production_lot",
            subject_id=str(lot.pk),
            data={"stock_before": lot.stock_before, "stock_written": lot.stock_written, "stock_now": current},
        )
    logger.warning("stock sync outcome unknown", extra={"lot_id": lot.pk})
    lot.refresh_from_db()
    return lot


def _sync_failed(lot: ProductionLot, error: str) -> ProductionLot:
    ProductionLot.objects.filter(pk=lot.pk).update(stock_sync=StockSync.FAILED, stock_sync_error=error[:2000])
    logger.warning("stock sync failed", extra={"lot_id": lot.pk, "error": error})
    lot.refresh_from_db()
    return lot


def lot_stock_sync_resolve(*, lot: ProductionLot, landed: bool, actor: str) -> ProductionLot:
    """A coordinator checked Saleor's stock of a lot whose sync outcome was unknown: ``landed`` marks it
    synced; otherwise the recorded write is forgotten and the lot is synced again."""
    actor_may_act_for(actor=actor, initiative_id=lot.initiative_id)
    with transaction.atomic():
        current = ProductionLot.objects.select_for_update().get(pk=lot.pk)
        if current.stock_sync != StockSync.UNKNOWN:
            raise ValidationFailed(
                gettext("Only a delivery whose stock in Saleor is uncertain can be checked this way.")
            )
        if landed:
            current.stock_sync, current.stock_synced_at = StockSync.SYNCED, timezone.now()
        else:
            current.stock_sync, current.stock_before, current.stock_written = StockSync.PENDING, None, None
        current.stock_sync_error = ""
        current.save(
            update_fields=[
                "stock_sync",
                "stock_synced_at",
                "stock_before",
                "stock_written",
                "stock_sync_error",
            ]
        )
        audit_event_record(
            actor=actor,
            action="lot.stock_sync_resolved",
            subject_type="production_lot",
            subject_id=str(lot.pk),
            data={"landed": landed},
        )
    return current if landed else lot_stock_sync(lot_id=lot.pk)


def _retry_backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** min(attempts, 7)))


def lots_stock_sync_retry(
    *, now: datetime | None = None, min_age: timedelta = timedelta(seconds=60), limit: int = 200
) -> int:
    """Beat: sync lots still pending or failed (backing off per lot up to an hour). Returns how many synced.
    ``min_age`` leaves a fresh booking to its own inline sync (it would be harmless anyway: one writer per
    variant, and a synced lot is never moved again)."""
    now = now or timezone.now()
    candidates = ProductionLot.objects.filter(
        stock_sync__in=[StockSync.PENDING, StockSync.FAILED], booked_at__lte=now - min_age
    ).order_by(F("stock_sync_attempted_at").asc(nulls_first=True), "pk")[:limit]
    synced = 0
    for lot in candidates:
        last = lot.stock_sync_attempted_at
        if last is not None and last > now - _retry_backoff(lot.stock_sync_attempts):
            continue
        if lot_stock_sync(lot_id=lot.pk).stock_sync == StockSync.SYNCED:
            synced += 1
    return synced
