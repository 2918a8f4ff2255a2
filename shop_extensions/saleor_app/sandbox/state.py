"""In-memory Saleor data for the sandbox: a small catalogue, orders with money, apps.

Amounts are ``Decimal`` (2 places). Order payloads are cumulative snapshots, like real Saleor's:
``totalCharged`` drops as ``totalRefunded`` rises, a line's ``quantity`` never changes after a refund,
refunded quantities live only in granted refunds.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from .ids import from_global_id, to_global_id

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
VAT_HIGH = Decimal("0.21")
VAT_LOW = Decimal("0.09")


def q(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def now() -> datetime:
    return datetime.now(UTC)


def net_of(gross: Decimal, rate: Decimal) -> Decimal:
    return q(gross / (1 + rate))


class SandboxError(Exception):
    """A sandbox operation was refused (unknown id, invalid quantity, ...)."""


@dataclass
class Channel:
    pk: int
    slug: str
    name: str
    currency: str

    @property
    def id(self) -> str:
        return to_global_id("Channel", self.pk)


@dataclass
class Warehouse:
    pk: str
    name: str

    @property
    def id(self) -> str:
        return to_global_id("Warehouse", self.pk)


@dataclass
class Product:
    pk: int
    name: str

    @property
    def id(self) -> str:
        return to_global_id("Product", self.pk)


@dataclass
class Variant:
    pk: int
    product_pk: int
    name: str
    sku: str
    price_gross: Decimal
    tax_rate: Decimal

    @property
    def id(self) -> str:
        return to_global_id("ProductVariant", self.pk)


@dataclass
class Stock:
    pk: int
    variant_pk: int
    warehouse_pk: str
    quantity: int
    allocated: int = 0


@dataclass
class OrderLine:
    pk: str
    variant_pk: int | None
    variant_global_id: str
    product_name: str
    variant_name: str
    sku: str
    quantity: int
    unit_gross: Decimal
    tax_rate: Decimal
    unit_discount: Decimal = ZERO
    discount_reason: str | None = None
    is_gift: bool = False

    @property
    def id(self) -> str:
        return to_global_id("OrderLine", self.pk)

    @property
    def unit_net(self) -> Decimal:
        return net_of(self.unit_gross, self.tax_rate)

    @property
    def undiscounted_unit_gross(self) -> Decimal:
        return self.unit_gross + self.unit_discount

    @property
    def total_gross(self) -> Decimal:
        return self.unit_gross * self.quantity

    @property
    def total_net(self) -> Decimal:
        return net_of(self.total_gross, self.tax_rate)

    @property
    def undiscounted_total_gross(self) -> Decimal:
        return self.undiscounted_unit_gross * self.quantity


@dataclass
class GrantedRefundLine:
    pk: int
    order_line_pk: str
    quantity: int
    reason: str | None = None


@dataclass
class GrantedRefund:
    pk: int
    created_at: datetime
    amount: Decimal
    reason: str | None
    shipping_costs_included: bool
    transaction_pk: str | None
    lines: list[GrantedRefundLine]
    status: str = "NONE"  # real Saleor left NONE/FAILURE even after a manual refund report


@dataclass
class TransactionEvent:
    pk: int
    type: str
    amount: Decimal
    psp_reference: str
    message: str
    created_at: datetime


@dataclass
class Transaction:
    pk: str
    name: str
    psp_reference: str
    created_by_email: str
    events: list[TransactionEvent] = field(default_factory=list)

    def _sum(self, event_type: str) -> Decimal:
        return sum((e.amount for e in self.events if e.type == event_type), ZERO)

    @property
    def refunded(self) -> Decimal:
        return self._sum("REFUND_SUCCESS")

    @property
    def charged(self) -> Decimal:
        # Saleor moves refunded money out of the charged amount (it can go negative on over-refunds).
        return self._sum("CHARGE_SUCCESS") - self.refunded


@dataclass
class Order:
    pk: str
    number: int
    channel_pk: int
    created: datetime
    updated_at: datetime
    lines: list[OrderLine]
    shipping_gross: Decimal = ZERO
    shipping_tax_rate: Decimal = VAT_HIGH
    status: str = "UNFULFILLED"
    user_email: str = "klant@example.com"
    granted_refunds: list[GrantedRefund] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)

    @property
    def id(self) -> str:
        return to_global_id("Order", self.pk)

    @property
    def subtotal_gross(self) -> Decimal:
        return sum((line.total_gross for line in self.lines), ZERO)

    @property
    def subtotal_net(self) -> Decimal:
        return sum((line.total_net for line in self.lines), ZERO)

    @property
    def shipping_net(self) -> Decimal:
        return net_of(self.shipping_gross, self.shipping_tax_rate)

    @property
    def total_gross(self) -> Decimal:
        return self.subtotal_gross + self.shipping_gross

    @property
    def total_net(self) -> Decimal:
        return self.subtotal_net + self.shipping_net

    @property
    def undiscounted_total_gross(self) -> Decimal:
        return sum((line.undiscounted_total_gross for line in self.lines), ZERO) + self.shipping_gross

    @property
    def undiscounted_total_net(self) -> Decimal:
        nets = (net_of(line.undiscounted_total_gross, line.tax_rate) for line in self.lines)
        return sum(nets, ZERO) + self.shipping_net

    @property
    def total_charged(self) -> Decimal:
        return sum((t.charged for t in self.transactions), ZERO)

    @property
    def total_refunded(self) -> Decimal:
        return sum((t.refunded for t in self.transactions), ZERO)

    @property
    def total_granted_refund(self) -> Decimal:
        return sum((g.amount for g in self.granted_refunds), ZERO)

    @property
    def total_remaining_grant(self) -> Decimal:
        return max(ZERO, self.total_granted_refund - self.total_refunded)

    @property
    def total_balance(self) -> Decimal:
        return self.total_charged - (self.total_gross - self.total_granted_refund)

    @property
    def charge_status(self) -> str:
        target = self.total_gross - self.total_granted_refund
        charged = self.total_charged
        if charged <= 0 and target > 0:
            return "NONE"
        if charged < target:
            return "PARTIAL"
        return "FULL" if charged == target else "OVERCHARGED"

    @property
    def payment_status(self) -> str:
        return {"NONE": "NOT_CHARGED", "PARTIAL": "PARTIALLY_CHARGED"}.get(
            self.charge_status, "FULLY_CHARGED"
        )

    @property
    def authorize_status(self) -> str:
        return {"NONE": "NONE", "PARTIAL": "PARTIAL"}.get(self.charge_status, "FULL")

    @property
    def is_paid(self) -> bool:
        return bool(self.transactions) and self.total_charged >= self.total_gross

    def line(self, line_id: str) -> OrderLine:
        for line in self.lines:
            if line_id in (line.id, line.pk):
                return line
        raise SandboxError(f"Order line {line_id} is not in order {self.id}")


@dataclass
class AppWebhook:
    pk: int
    name: str
    target_url: str
    query: str
    events: list[str]  # upper case, e.g. ORDER_FULLY_PAID
    is_active: bool = True
    custom_headers: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return to_global_id("Webhook", self.pk)


@dataclass
class App:
    pk: int
    identifier: str
    name: str
    version: str
    token: str
    permissions: list[str]
    webhooks: list[AppWebhook]
    manifest: dict[str, object]
    is_active: bool = True

    @property
    def id(self) -> str:
        return to_global_id("App", self.pk)


@dataclass(frozen=True)
class LineSpec:
    """What to put in a new order: a variant (global id or pk), a quantity, optional discount/gift."""

    variant_id: str | int
    quantity: int = 1
    unit_discount: Decimal = ZERO
    discount_reason: str | None = None
    is_gift: bool = False


@dataclass(frozen=True)
class PendingEvent:
    """An event a sandbox step fired: lower-case Saleor event name plus its subject."""

    event: str
    order_pk: str | None = None
    variant: Variant | None = None
    warehouse_pk: str | None = None
    issued_at: datetime = field(default_factory=now)


SEED_PRODUCTS: list[tuple[str, list[tuple[str, str, str, Decimal]]]] = [
    (
        "Mondkapje katoen",
        [
            ("Bloemen", "RD-MK-BLOEM", "9.95", VAT_HIGH),
            ("Streep", "RD-MK-STREEP", "9.95", VAT_HIGH),
            ("Effen rood", "RD-MK-ROOD", "8.50", VAT_HIGH),
        ],
    ),
    ("Boodschappentas", [("Canvas naturel", "RD-BT-NATUREL", "24.95", VAT_HIGH)]),
    ("Etui", [("Klein", "RD-ET-KLEIN", "12.50", VAT_LOW), ("Groot", "RD-ET-GROOT", "16.00", VAT_LOW)]),
]


class Store:
    """All sandbox data behind one re-entrant lock (``store.lock``); every public method takes it."""

    def __init__(self, seed: int = 20261129) -> None:
        self.lock = threading.RLock()
        self._rng = random.Random(seed)
        self._counters: dict[str, int] = {}
        self.channel = Channel(pk=1, slug="default-channel", name="Default Channel", currency="EUR")
        self.warehouse = Warehouse(
            pk=str(uuid.UUID(int=self._rng.getrandbits(128), version=4)), name="Atelier Rode Draad"
        )
        self.warehouses: dict[str, Warehouse] = {self.warehouse.pk: self.warehouse}
        self.products: dict[int, Product] = {}
        self.variants: dict[int, Variant] = {}
        self.stocks: dict[tuple[int, str], Stock] = {}
        self.orders: dict[str, Order] = {}
        self.apps: dict[int, App] = {}
        self.staff_email = "staff@rode-draad.test"
        for product_name, variants in SEED_PRODUCTS:
            product = Product(pk=self._next("product", start=100), name=product_name)
            self.products[product.pk] = product
            for variant_name, sku, price, rate in variants:
                variant = Variant(
                    pk=self._next("variant", start=300),
                    product_pk=product.pk,
                    name=variant_name,
                    sku=sku,
                    price_gross=Decimal(price),
                    tax_rate=rate,
                )
                self.variants[variant.pk] = variant
                stock = Stock(self._next("stock"), variant.pk, self.warehouse.pk, quantity=25)
                self.stocks[(variant.pk, self.warehouse.pk)] = stock

    # -- helpers -----------------------------------------------------------------------------------
    def _next(self, name: str, start: int = 1) -> int:
        value = self._counters.get(name, start - 1) + 1
        self._counters[name] = value
        return value

    def _uuid(self) -> str:
        """Random (not seeded): order ids must not repeat when a demo sandbox restarts."""
        return str(uuid.uuid4())

    def next_pk(self, name: str) -> int:
        with self.lock:
            return self._next(name)

    @staticmethod
    def pk_of(global_or_pk: str | int, type_name: str) -> str:
        if isinstance(global_or_pk, int):
            return str(global_or_pk)
        try:
            found, pk = from_global_id(global_or_pk)
        except ValueError:
            return global_or_pk
        if found != type_name:
            raise SandboxError(f"Expected a {type_name} id, got {found}")
        return pk

    def variant(self, variant_id: str | int) -> Variant:
        with self.lock:
            try:
                pk = int(self.pk_of(variant_id, "ProductVariant"))
            except ValueError as exc:
                raise SandboxError(f"Unknown variant {variant_id}") from exc
            if pk not in self.variants:
                raise SandboxError(f"Unknown variant {variant_id}")
            return self.variants[pk]

    def order(self, order_id: str) -> Order:
        with self.lock:
            pk = self.pk_of(order_id, "Order")
            if pk not in self.orders:
                raise SandboxError(f"Unknown order {order_id}")
            return self.orders[pk]

    def stocks_of(self, variant_pk: int) -> list[Stock]:
        with self.lock:
            return [s for (v, _), s in self.stocks.items() if v == variant_pk]

    def app_by_token(self, token: str) -> App | None:
        with self.lock:
            for app in self.apps.values():
                if app.is_active and app.token == token:
                    return app
            return None

    # -- orders -------------------------------------------------------------------------------------
    def random_lines(self, max_lines: int = 3) -> list[LineSpec]:
        with self.lock:
            pks = sorted(self.variants)
            chosen = self._rng.sample(pks, k=min(len(pks), self._rng.randint(1, max_lines)))
            return [LineSpec(variant_id=pk, quantity=self._rng.randint(1, 3)) for pk in chosen]

    def create_order(
        self, lines: Sequence[LineSpec] | None = None, *, shipping_gross: Decimal = ZERO
    ) -> tuple[Order, list[PendingEvent]]:
        """A confirmed, unpaid order (as after ``draftOrderComplete``). Fires ``order_created``."""
        with self.lock:
            specs = list(lines) if lines else self.random_lines()
            order_lines: list[OrderLine] = []
            for spec in specs:
                if spec.quantity < 1:
                    raise SandboxError("Line quantity must be at least 1")
                variant = self.variant(spec.variant_id)
                product = self.products[variant.product_pk]
                unit_discount = variant.price_gross if spec.is_gift else q(spec.unit_discount)
                if unit_discount < 0 or unit_discount > variant.price_gross:
                    raise SandboxError("Line discount must be between 0 and the unit price")
                order_lines.append(
                    OrderLine(
                        pk=self._uuid(),
                        variant_pk=variant.pk,
                        variant_global_id=variant.id,
                        product_name=product.name,
                        variant_name=variant.name,
                        sku=variant.sku,
                        quantity=spec.quantity,
                        unit_gross=variant.price_gross - unit_discount,
                        tax_rate=variant.tax_rate,
                        unit_discount=unit_discount,
                        discount_reason=spec.discount_reason or ("Gift" if spec.is_gift else None),
                        is_gift=spec.is_gift,
                    )
                )
            created = now()
            order = Order(
                pk=self._uuid(),
                number=self._next("order_number"),
                channel_pk=self.channel.pk,
                created=created,
                updated_at=created,
                lines=order_lines,
                shipping_gross=q(shipping_gross),
            )
            self.orders[order.pk] = order
            for line in order_lines:
                stock = self.stocks.get((line.variant_pk or 0, self.warehouse.pk))
                if stock is not None:
                    stock.allocated += line.quantity
            return order, [PendingEvent("order_created", order_pk=order.pk)]

    def mark_as_paid(self, order_id: str, psp_reference: str | None = None) -> list[PendingEvent]:
        """``orderMarkAsPaid`` on a transaction-flow channel: charged = total."""
        with self.lock:
            order = self.order(order_id)
            if order.status == "CANCELED":
                raise SandboxError("Cannot mark a canceled order as paid")
            if order.transactions:
                raise SandboxError("Order is already paid")
            stamp = now()
            transaction = Transaction(
                pk=self._uuid(),
                name="Mark-as-paid transaction",
                psp_reference=psp_reference or f"pi_sandbox_{self._rng.getrandbits(64):016x}",
                created_by_email=self.staff_email,
            )
            transaction.events.append(
                TransactionEvent(
                    pk=self._next("transaction_event"),
                    type="CHARGE_SUCCESS",
                    amount=order.total_gross,
                    psp_reference="",
                    message="Manual adjustment of the transaction.",
                    created_at=stamp,
                )
            )
            order.transactions.append(transaction)
            order.updated_at = stamp
            return [
                PendingEvent("order_fully_paid", order_pk=order.pk),
                PendingEvent("order_updated", order_pk=order.pk),
            ]

    def refund(
        self,
        order_id: str,
        *,
        lines: Iterable[tuple[str, int]] = (),
        amount: Decimal | None = None,
        reason: str | None = None,
        shipping_costs_included: bool = False,
    ) -> list[PendingEvent]:
        """A refund as staff do it: with ``lines`` (line id, quantity) a granted refund is created first
        (``orderGrantRefundCreate``); then ``REFUND_SUCCESS`` is reported on the order's transaction.
        ``amount`` alone is an amount-only refund (no grant). Over-refunds are accepted, like Saleor."""
        with self.lock:
            order = self.order(order_id)
            if not order.transactions:
                raise SandboxError("Order has no transaction to refund")
            transaction = order.transactions[0]
            line_list = list(lines)
            stamp = now()
            if line_list:
                grant_lines: list[GrantedRefundLine] = []
                grant_amount = order.shipping_gross if shipping_costs_included else ZERO
                for line_id, quantity in line_list:
                    line = order.line(line_id)
                    already = sum(
                        gl.quantity
                        for g in order.granted_refunds
                        for gl in g.lines
                        if gl.order_line_pk == line.pk
                    )
                    if quantity < 1 or already + quantity > line.quantity:
                        raise SandboxError("Provided input for lines is invalid.")
                    grant_lines.append(GrantedRefundLine(self._next("grant_line"), line.pk, quantity))
                    grant_amount += line.unit_gross * quantity
                grant_amount = q(amount) if amount is not None else grant_amount
                order.granted_refunds.append(
                    GrantedRefund(
                        pk=self._next("grant"),
                        created_at=stamp,
                        amount=grant_amount,
                        reason=reason,
                        shipping_costs_included=shipping_costs_included,
                        transaction_pk=transaction.pk,
                        lines=grant_lines,
                    )
                )
                refund_amount = grant_amount
            elif amount is not None:
                refund_amount = q(amount)
            else:
                raise SandboxError("A refund needs lines or an amount")
            if refund_amount <= 0:
                raise SandboxError("Refund amount must be positive")
            transaction.events.append(
                TransactionEvent(
                    pk=self._next("transaction_event"),
                    type="REFUND_SUCCESS",
                    amount=refund_amount,
                    psp_reference=f"re_sandbox_{self._rng.getrandbits(64):016x}",
                    message=reason or "",
                    created_at=stamp,
                )
            )
            order.updated_at = now()
            events = [
                PendingEvent("order_refunded", order_pk=order.pk),
                PendingEvent("order_updated", order_pk=order.pk),
            ]
            if order.total_refunded >= order.total_gross:
                events.append(PendingEvent("order_fully_refunded", order_pk=order.pk))
            return events

    def cancel(self, order_id: str) -> list[PendingEvent]:
        """``orderCancel`` of an unfulfilled order: moves no money (a refund must follow)."""
        with self.lock:
            order = self.order(order_id)
            if order.status not in ("UNFULFILLED", "UNCONFIRMED"):
                raise SandboxError("This order can't be canceled.")
            order.status = "CANCELED"
            order.updated_at = now()
            for line in order.lines:
                stock = self.stocks.get((line.variant_pk or 0, self.warehouse.pk))
                if stock is not None:
                    stock.allocated = max(0, stock.allocated - line.quantity)
            return [
                PendingEvent("order_cancelled", order_pk=order.pk),
                PendingEvent("order_updated", order_pk=order.pk),
            ]

    # -- catalogue ----------------------------------------------------------------------------------
    def set_stock(self, variant_id: str | int, warehouse_id: str, quantity: int) -> list[PendingEvent]:
        """Absolute stock quantity, as ``productVariantStocksUpdate`` sets it."""
        with self.lock:
            variant = self.variant(variant_id)
            warehouse_pk = self.pk_of(warehouse_id, "Warehouse")
            if warehouse_pk not in self.warehouses:
                raise SandboxError(f"Unknown warehouse {warehouse_id}")
            if quantity < 0:
                raise SandboxError("Quantity cannot be negative")
            key = (variant.pk, warehouse_pk)
            stock = self.stocks.get(key)
            if stock is None:
                stock = self.stocks[key] = Stock(self._next("stock"), variant.pk, warehouse_pk, 0)
            stock.quantity = quantity
            return [PendingEvent("product_variant_stock_updated", variant=variant, warehouse_pk=warehouse_pk)]

    def delete_variant(self, variant_id: str | int) -> list[PendingEvent]:
        """Order lines keep their attribution but their ``variant`` becomes null."""
        with self.lock:
            variant = self.variant(variant_id)
            del self.variants[variant.pk]
            for key in [k for k in self.stocks if k[0] == variant.pk]:
                del self.stocks[key]
            for order in self.orders.values():
                for line in order.lines:
                    if line.variant_pk == variant.pk:
                        line.variant_pk = None
            return [PendingEvent("product_variant_deleted", variant=variant)]
