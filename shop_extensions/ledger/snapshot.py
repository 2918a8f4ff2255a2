"""An order webhook payload read as a snapshot of the order's cumulative state (Saleor sends no deltas)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime

from shop_extensions.core.errors import ValidationFailed


def _amount(node: Any, *path: str) -> Decimal:
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if node is None:
        return Decimal(0)
    if type(node) is Decimal:  # as parse_json reads every number with a fraction
        return node
    if isinstance(node, float):
        raise ValidationFailed("payload amounts must be parsed as Decimal")
    return Decimal(str(node))


def _when(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


@dataclass(frozen=True)
class LineSnapshot:
    id: str
    quantity: int
    gross_total: Decimal
    net_total: Decimal
    is_gift: bool
    variant_id: str = ""
    product_id: str = ""
    sku: str = ""
    product_name: str = ""
    variant_name: str = ""


@dataclass(frozen=True)
class OrderSnapshot:
    id: str
    number: str
    channel_slug: str
    currency: str
    status: str
    updated_at: datetime | None
    issued_at: datetime | None
    total_gross: Decimal
    total_charged: Decimal
    total_refunded: Decimal
    shipping_gross: Decimal
    lines: tuple[LineSnapshot, ...]
    granted_quantities: dict[str, int] = field(default_factory=dict)

    @property
    def cancelled(self) -> bool:
        return self.status == "CANCELED"

    @property
    def was_fully_paid(self) -> bool:
        """Saleor lowers totalCharged as it refunds, so charged + refunded is what was paid at the most."""
        return self.total_charged + self.total_refunded >= self.total_gross and (
            self.total_charged + self.total_refunded > 0 or self.total_gross == 0
        )

    @property
    def partly_paid(self) -> bool:
        return self.total_charged + self.total_refunded > 0

    def refund_state(self) -> dict[str, Any]:
        """What reconciliation needs from the newest snapshot, kept on the order as JSON."""
        return {
            "cancelled": self.cancelled,
            "total_refunded": str(self.total_refunded),
            "shipping_gross": str(self.shipping_gross),
            "granted": self.granted_quantities,
            "lines": {line.id: line.quantity for line in self.lines},
            "issued_at": self.issued_at.isoformat() if self.issued_at else None,
        }


def parse_order(payload: Any) -> OrderSnapshot:
    if not isinstance(payload, dict) or not isinstance(payload.get("order"), dict):
        raise ValidationFailed("order payload without an order")
    order = payload["order"]
    currency = (
        (order.get("total") or {}).get("gross", {}).get("currency")
        or (order.get("channel") or {}).get("currencyCode")
        or (order.get("totalCharged") or {}).get("currency")
        or ""
    )
    lines = []
    for line in order.get("lines") or []:
        variant = line.get("variant") or {}
        lines.append(
            LineSnapshot(
                id=line["id"],
                quantity=int(line["quantity"]),
                gross_total=_amount(line, "totalPrice", "gross", "amount"),
                net_total=_amount(line, "totalPrice", "net", "amount"),
                is_gift=bool(line.get("isGift")),
                variant_id=variant.get("id") or line.get("productVariantId") or "",
                product_id=(variant.get("product") or {}).get("id") or "",
                sku=line.get("productSku") or "",
                product_name=line.get("productName") or "",
                variant_name=line.get("variantName") or "",
            )
        )
    granted: dict[str, int] = {}
    for grant in order.get("grantedRefunds") or []:
        for grant_line in grant.get("lines") or []:
            line_id = (grant_line.get("orderLine") or {}).get("id")
            if line_id:
                granted[line_id] = granted.get(line_id, 0) + int(grant_line.get("quantity") or 0)
    return OrderSnapshot(
        id=order["id"],
        number=str(order.get("number") or ""),
        channel_slug=(order.get("channel") or {}).get("slug") or "",
        currency=currency,
        status=order.get("status") or "",
        updated_at=_when(order.get("updatedAt")),
        issued_at=_when(payload.get("issuedAt")),
        total_gross=_amount(order, "total", "gross", "amount"),
        total_charged=_amount(order, "totalCharged", "amount"),
        total_refunded=_amount(order, "totalRefunded", "amount"),
        shipping_gross=_amount(order, "shippingPrice", "gross", "amount"),
        lines=tuple(lines),
        granted_quantities=granted,
    )
