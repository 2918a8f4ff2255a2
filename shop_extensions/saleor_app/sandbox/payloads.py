"""State objects → the nested dicts graphql-core resolves against (Saleor field names).

A dict value may be a callable ``(info, **args)`` for fields that take arguments or must be lazy.
A field missing from a dict is reported as "not emulated by the sandbox" (see ``graphql_api``).
Money amounts become floats here, as Saleor's ``Money.amount`` is a ``Float``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from .ids import to_global_id
from .state import (
    App,
    GrantedRefund,
    Order,
    OrderLine,
    Product,
    Stock,
    Store,
    Transaction,
    TransactionEvent,
    Variant,
    Warehouse,
    net_of,
)

SALEOR_VERSION = "3.23.28"

Obj = dict[str, Any]


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def permission_denied(*permissions: str) -> GraphQLError:
    return GraphQLError(
        "To access this path, you need one of the following permissions: " + ", ".join(permissions),
        extensions={"exception": {"code": "PermissionDenied"}},
    )


def require(info: GraphQLResolveInfo, *permissions: str) -> None:
    app: App | None = info.context.get("app") if isinstance(info.context, dict) else None
    if app is None or not any(p in app.permissions for p in permissions):
        raise permission_denied(*permissions)


def money(amount: Decimal, currency: str) -> Obj:
    return {"__typename": "Money", "amount": float(amount), "currency": currency, "fractionDigits": 2}


def taxed(net: Decimal, gross: Decimal, currency: str) -> Obj:
    return {
        "__typename": "TaxedMoney",
        "net": money(net, currency),
        "gross": money(gross, currency),
        "tax": money(gross - net, currency),
        "currency": currency,
    }


def user(store: Store) -> Obj:
    return {
        "__typename": "User",
        "id": to_global_id("User", 1),
        "email": store.staff_email,
        "firstName": "Sandbox",
        "lastName": "Staff",
        "isStaff": True,
        "isActive": True,
    }


def app_obj(app: App) -> Obj:
    return {
        "__typename": "App",
        "id": app.id,
        "identifier": app.identifier,
        "name": app.name,
        "version": app.version,
        "isActive": app.is_active,
        "permissions": [{"code": p, "name": p.replace("_", " ").capitalize()} for p in app.permissions],
        "metadata": [],
    }


def warehouse_obj(warehouse: Warehouse) -> Obj:
    return {"__typename": "Warehouse", "id": warehouse.id, "name": warehouse.name, "slug": "atelier"}


def stock_obj(store: Store, stock: Stock, variant: Obj) -> Obj:
    return {
        "__typename": "Stock",
        "id": to_global_id("Stock", stock.pk),
        "warehouse": warehouse_obj(store.warehouses[stock.warehouse_pk]),
        "productVariant": variant,
        "quantity": stock.quantity,
        "quantityAllocated": stock.allocated,
        "quantityReserved": 0,
    }


def product_obj(store: Store, product: Product) -> Obj:
    def variants(info: GraphQLResolveInfo, **_: Any) -> list[Obj]:
        return [variant_obj(store, v) for v in store.variants.values() if v.product_pk == product.pk]

    return {
        "__typename": "Product",
        "id": product.id,
        "name": product.name,
        "slug": product.name.lower().replace(" ", "-"),
        "variants": variants,
        "metadata": [],
    }


def variant_obj(store: Store, variant: Variant) -> Obj:
    obj: Obj = {
        "__typename": "ProductVariant",
        "id": variant.id,
        "name": variant.name,
        "sku": variant.sku,
        "metadata": [],
    }

    def product(info: GraphQLResolveInfo, **_: Any) -> Obj:
        return product_obj(store, store.products[variant.product_pk])

    def stocks(info: GraphQLResolveInfo, **_: Any) -> list[Obj]:
        require(info, "MANAGE_PRODUCTS")
        return [stock_obj(store, s, obj) for s in store.stocks_of(variant.pk)]

    obj["product"] = product
    obj["stocks"] = stocks
    return obj


def channel_obj(store: Store) -> Obj:
    c = store.channel
    return {
        "__typename": "Channel",
        "id": c.id,
        "slug": c.slug,
        "name": c.name,
        "currencyCode": c.currency,
        "isActive": True,
    }


def _line_obj(store: Store, line: OrderLine, currency: str) -> Obj:
    variant = store.variants.get(line.variant_pk) if line.variant_pk is not None else None
    undiscounted_total = line.undiscounted_total_gross
    return {
        "__typename": "OrderLine",
        "id": line.id,
        "productName": line.product_name,
        "variantName": line.variant_name,
        "productSku": line.sku,
        "productVariantId": line.variant_global_id,
        "quantity": line.quantity,
        "quantityFulfilled": 0,
        "quantityToFulfill": line.quantity,
        "isGift": line.is_gift,
        "isShippingRequired": True,
        "taxRate": float(line.tax_rate),
        "unitPrice": taxed(line.unit_net, line.unit_gross, currency),
        "undiscountedUnitPrice": taxed(
            net_of(line.undiscounted_unit_gross, line.tax_rate), line.undiscounted_unit_gross, currency
        ),
        "unitDiscount": money(line.unit_discount, currency),
        "unitDiscountType": "FIXED" if line.unit_discount else None,
        "unitDiscountValue": float(line.unit_discount),
        "unitDiscountReason": line.discount_reason,
        "totalPrice": taxed(line.total_net, line.total_gross, currency),
        "undiscountedTotalPrice": taxed(
            net_of(undiscounted_total, line.tax_rate), undiscounted_total, currency
        ),
        "variant": variant_obj(store, variant) if variant is not None else None,
        "metadata": [],
        "privateMetadata": [],
    }


def _event_obj(event: TransactionEvent, currency: str) -> Obj:
    return {
        "__typename": "TransactionEvent",
        "id": to_global_id("TransactionEvent", event.pk),
        "type": event.type,
        "amount": money(event.amount, currency),
        "pspReference": event.psp_reference,
        "message": event.message,
        "createdAt": iso(event.created_at),
        "createdBy": None,
        "externalUrl": "",
    }


def _transaction_obj(store: Store, transaction: Transaction, currency: str) -> Obj:
    zero = Decimal(0)
    return {
        "__typename": "TransactionItem",
        "id": to_global_id("TransactionItem", transaction.pk),
        "name": transaction.name,
        "pspReference": transaction.psp_reference,
        "actions": ["REFUND"],
        "chargedAmount": money(transaction.charged, currency),
        "refundedAmount": money(transaction.refunded, currency),
        "authorizedAmount": money(zero, currency),
        "canceledAmount": money(zero, currency),
        "chargePendingAmount": money(zero, currency),
        "refundPendingAmount": money(zero, currency),
        "createdBy": user(store),
        "events": [_event_obj(e, currency) for e in reversed(transaction.events)],
        "metadata": [],
        "privateMetadata": [],
    }


def _grant_obj(grant: GrantedRefund, lines: dict[str, Obj], transactions: dict[str, Obj], cur: str) -> Obj:
    return {
        "__typename": "OrderGrantedRefund",
        "id": to_global_id("OrderGrantedRefund", grant.pk),
        "createdAt": iso(grant.created_at),
        "updatedAt": iso(grant.created_at),
        "amount": money(grant.amount, cur),
        "reason": grant.reason,
        "reasonReference": None,
        "user": None,
        "app": None,
        "shippingCostsIncluded": grant.shipping_costs_included,
        "status": grant.status,
        "transactionEvents": [],
        "transaction": transactions.get(grant.transaction_pk or ""),
        "lines": [
            {
                "__typename": "OrderGrantedRefundLine",
                "id": to_global_id("OrderGrantedRefundLine", gl.pk),
                "quantity": gl.quantity,
                "reason": gl.reason,
                "reasonReference": None,
                "orderLine": lines[gl.order_line_pk],
            }
            for gl in grant.lines
        ],
    }


def order_obj(store: Store, order: Order) -> Obj:
    cur = store.channel.currency
    lines = {line.pk: _line_obj(store, line, cur) for line in order.lines}
    transactions = {t.pk: _transaction_obj(store, t, cur) for t in order.transactions}
    return {
        "__typename": "Order",
        "id": order.id,
        "number": str(order.number),
        "status": order.status,
        "chargeStatus": order.charge_status,
        "authorizeStatus": order.authorize_status,
        "paymentStatus": order.payment_status,
        "isPaid": order.is_paid,
        "created": iso(order.created),
        "updatedAt": iso(order.updated_at),
        "userEmail": order.user_email,
        "channel": channel_obj(store),
        "total": taxed(order.total_net, order.total_gross, cur),
        "subtotal": taxed(order.subtotal_net, order.subtotal_gross, cur),
        "undiscountedTotal": taxed(order.undiscounted_total_net, order.undiscounted_total_gross, cur),
        "shippingPrice": taxed(order.shipping_net, order.shipping_gross, cur),
        "totalCharged": money(order.total_charged, cur),
        "totalCaptured": money(order.total_charged, cur),
        "totalRefunded": money(order.total_refunded, cur),
        "totalGrantedRefund": money(order.total_granted_refund, cur),
        "totalRemainingGrant": money(order.total_remaining_grant, cur),
        "totalBalance": money(order.total_balance, cur),
        "discounts": [],
        "grantedRefunds": [_grant_obj(g, lines, transactions, cur) for g in order.granted_refunds],
        "transactions": list(transactions.values()),
        "lines": list(lines.values()),
        "fulfillments": [],
        "metadata": [],
        "privateMetadata": [],
    }


def event_type_name(event: str) -> str:
    """``order_fully_paid`` → ``OrderFullyPaid``."""
    return "".join(part.capitalize() for part in event.split("_"))


def event_obj(store: Store, event: str, issued_at: datetime, subject: Obj, app: App | None = None) -> Obj:
    """The ``Event`` object a subscription's ``event`` field resolves to."""
    return {
        "__typename": event_type_name(event),
        "issuedAt": iso(issued_at),
        "version": SALEOR_VERSION,
        "issuingPrincipal": user(store),
        "recipient": app_obj(app) if app is not None else None,
        **subject,
    }
