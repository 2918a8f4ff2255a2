"""Build order webhook payloads shaped like the app's subscription (amounts as Decimal, as parsed)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

BASE_TIME = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@dataclass
class Line:
    id: str
    variant_id: str
    quantity: int
    unit_gross: Decimal
    vat_percent: Decimal = Decimal(21)
    is_gift: bool = False
    product_id: str = "UHJvZHVjdDox"

    @property
    def gross(self) -> Decimal:
        return self.unit_gross * self.quantity

    @property
    def net(self) -> Decimal:
        return (self.gross * 100 / (100 + self.vat_percent)).quantize(Decimal("0.01"))


@dataclass
class Order:
    id: str
    lines: list[Line]
    channel: str = "atelier-west"
    shipping_gross: Decimal = Decimal(0)
    number: str = "1"

    @property
    def total(self) -> Decimal:
        return sum((line.gross for line in self.lines), Decimal(0)) + self.shipping_gross


@dataclass
class Step:
    event: str
    charged: Decimal
    refunded: Decimal = Decimal(0)
    granted: list[tuple[str, int]] = field(default_factory=list)
    status: str = "UNFULFILLED"
    at: int = 0  # seconds after BASE_TIME


def payload(order: Order, step: Step, issued_offset_ms: int = 10) -> dict[str, Any]:
    updated = BASE_TIME + timedelta(seconds=step.at)
    money = lambda amount: {"amount": amount, "currency": "EUR"}  # noqa: E731
    return {
        "__typename": "Order" + "".join(p.title() for p in step.event.split("_")[1:]),
        "issuedAt": (updated + timedelta(milliseconds=issued_offset_ms)).isoformat(),
        "version": "3.23.28",
        "order": {
            "id": order.id,
            "number": order.number,
            "status": step.status,
            "updatedAt": updated.isoformat(),
            "channel": {"slug": order.channel, "currencyCode": "EUR"},
            "total": {"gross": money(order.total), "net": money(order.total)},
            "shippingPrice": {"gross": money(order.shipping_gross), "net": money(order.shipping_gross)},
            "totalCharged": money(step.charged),
            "totalRefunded": money(step.refunded),
            "grantedRefunds": [
                {"id": f"g{i}", "status": "NONE", "lines": [{"quantity": qty, "orderLine": {"id": line_id}}]}
                for i, (line_id, qty) in enumerate(step.granted)
            ],
            "lines": [
                {
                    "id": line.id,
                    "productSku": f"sku-{line.variant_id}",
                    "productName": "Mondkapje",
                    "variantName": "katoen",
                    "quantity": line.quantity,
                    "isGift": line.is_gift,
                    "totalPrice": {"gross": money(line.gross), "net": money(line.net)},
                    "variant": {"id": line.variant_id, "product": {"id": line.product_id}},
                }
                for line in order.lines
            ],
        },
    }


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run a block in a transaction and undo it, so one test can try several histories."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass
