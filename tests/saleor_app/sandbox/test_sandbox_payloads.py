"""Webhook bodies come from executing each webhook's own subscription document against the schema."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    parse,
)

from shop_extensions.saleor_app.sandbox import LineSpec, PendingEvent, Sandbox
from shop_extensions.saleor_app.sandbox.state import Order
from shop_extensions.saleor_app.sandbox.webhooks import render_payload

from ._shared import shared_path
from .conftest import add_app, app_subscription_documents


def assert_keys_match(
    value: Any, selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> None:
    """The body holds exactly the fields the document asked for, recursively."""
    if isinstance(value, list):
        for item in value:
            assert_keys_match(item, selections, fragments)
        return
    if value is None:
        return
    assert isinstance(value, dict)
    expected: dict[str, SelectionSetNode | None] = {}

    def collect(selection_set: SelectionSetNode) -> None:
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                expected[(sel.alias or sel.name).value] = sel.selection_set
            elif isinstance(sel, InlineFragmentNode):
                cond = sel.type_condition
                if cond is None or value.get("__typename") in (None, cond.name.value):
                    collect(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                collect(fragments[sel.name.value].selection_set)

    collect(selections)
    assert set(value) == set(expected), f"got {sorted(value)}, asked {sorted(expected)}"
    for key, sub in expected.items():
        if sub is not None:
            assert_keys_match(value[key], sub, fragments)


def json_paths(value: Any, prefix: str = "") -> set[str]:
    """Structure of a JSON value ignoring values: dict keys recursed, list items merged as ``[]``."""
    paths = {prefix}
    if isinstance(value, dict):
        for key, item in value.items():
            paths |= json_paths(item, f"{prefix}.{key}")
    elif isinstance(value, list):
        for item in value:
            paths |= json_paths(item, f"{prefix}[]")
    return paths


def busy_order(sandbox: Sandbox) -> Order:
    """Paid, with a discounted line, a gift line, a 9% VAT line, and a refund by lines."""
    lines = [
        LineSpec(variant_id=300, quantity=2),
        LineSpec(variant_id=302, quantity=1, unit_discount=Decimal("1.50"), discount_reason="Actie"),
        LineSpec(variant_id=304, quantity=1, is_gift=True),
        LineSpec(variant_id=305, quantity=3),
    ]
    order, _ = sandbox.create_paid_order(lines, shipping_gross=Decimal("4.95"))
    sandbox.refund(order.id, lines=[(order.lines[0].id, 1)], reason="retour")
    return order


def test_order_money_is_cumulative(sandbox: Sandbox) -> None:
    order = busy_order(sandbox)
    assert order.lines[0].quantity == 2  # never changes after a refund
    assert order.total_gross == Decimal("9.95") * 2 + Decimal("8.50") - Decimal("1.50") + 0 + Decimal(
        "16.00"
    ) * 3 + Decimal("4.95")
    assert order.total_refunded == Decimal("9.95")
    assert order.total_charged == order.total_gross - Decimal("9.95")
    assert not order.is_paid
    events = sandbox.refund(order.id, amount=order.total_gross)
    assert [e.event for e in events] == ["order_refunded", "order_updated", "order_fully_refunded"]
    assert order.total_charged == Decimal("-9.95")  # over-refunds are accepted, like Saleor


@pytest.mark.parametrize("name", sorted(app_subscription_documents()))
def test_app_subscription_bodies_hold_exactly_the_asked_fields(sandbox: Sandbox, name: str) -> None:
    query = app_subscription_documents()[name]
    app = add_app(sandbox, {name: query})
    order = busy_order(sandbox)
    if name == "product_variant_deleted":
        events = sandbox.store.delete_variant(300)
    else:
        events = [PendingEvent(name, order_pk=order.pk)]
    (delivery,) = sandbox.deliveries(events)
    assert delivery.event == name
    assert delivery.app_identifier == app.identifier
    body = json.loads(delivery.body, parse_float=Decimal)
    assert "data" not in body
    document = parse(query)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = document.definitions[0]
    event_field = operation.selection_set.selections[0]  # type: ignore[attr-defined]
    assert_keys_match(body, event_field.selection_set, fragments)
    assert delivery.body == json.dumps(json.loads(delivery.body)).encode()  # default separators, like Saleor
    if name != "product_variant_deleted":
        assert body["order"]["total"]["gross"]["amount"] == order.total_gross
        assert body["order"]["grantedRefunds"][0]["lines"][0]["orderLine"]["id"] == order.lines[0].id


def test_deleted_variant_leaves_order_line_attribution(sandbox: Sandbox) -> None:
    documents = app_subscription_documents()
    add_app(sandbox, {"order_updated": documents["order_updated"]})
    order = busy_order(sandbox)
    sandbox.store.delete_variant(300)
    (delivery,) = sandbox.deliveries([PendingEvent("order_updated", order_pk=order.pk)])
    line = json.loads(delivery.body)["order"]["lines"][0]
    assert line["variant"] is None
    assert line["productVariantId"] == "UHJvZHVjdFZhcmlhbnQ6MzAw"
    assert line["productSku"] == "RD-MK-BLOEM"


def test_event_sequences(sandbox: Sandbox) -> None:
    documents = app_subscription_documents()
    add_app(sandbox, documents)
    order, events = sandbox.create_paid_order([LineSpec(variant_id=301, quantity=2)])
    assert [d.event for d in sandbox.deliveries(events)] == ["order_fully_paid", "order_updated"]
    partial = sandbox.deliveries(sandbox.refund(order.id, lines=[(order.lines[0].id, 1)]))
    assert [d.event for d in partial] == ["order_refunded", "order_updated"]
    first, second = (json.loads(d.body) for d in partial)
    assert first["order"] == second["order"]
    assert first["issuedAt"] != second["issuedAt"]
    assert first["order"]["totalCharged"]["amount"] == 9.95
    assert first["order"]["totalRefunded"]["amount"] == 9.95
    rest = sandbox.deliveries(sandbox.refund(order.id, lines=[(order.lines[0].id, 1)]))
    assert [d.event for d in rest] == ["order_refunded", "order_updated", "order_fully_refunded"]
    other, _ = sandbox.create_paid_order()
    cancelled = sandbox.deliveries(sandbox.cancel(other.id))
    assert [d.event for d in cancelled] == ["order_cancelled", "order_updated"]
    body = json.loads(cancelled[0].body)["order"]
    assert body["status"] == "CANCELED"
    assert body["totalRefunded"]["amount"] == 0.0
    assert body["totalCharged"]["amount"] == float(other.total_gross)


RECORDING_CASES = [
    # (event, recorded delivery, does the comparable sandbox order have a refund by lines?)
    ("order_fully_paid", "001-order_fully_paid", False),
    ("order_updated", "002-order_updated", False),
    ("order_cancelled", "019-order_cancelled", False),
    ("order_paid", "067-order_paid", False),
    ("order_refunded", "011-order_refunded", True),
    ("order_fully_refunded", "013-order_fully_refunded", True),
]


@pytest.mark.parametrize(("event", "recorded", "refunded"), RECORDING_CASES)
def test_recording_app_bodies_have_the_recorded_structure(
    sandbox: Sandbox, event: str, recorded: str, refunded: bool
) -> None:
    manifest = json.loads(shared_path("recorded", "recording-app-manifest.json").read_text())
    (query,) = [w["query"] for w in manifest["webhooks"] if w["name"] == event]
    real = json.loads(shared_path("recorded", "deliveries", f"{recorded}.body").read_text())
    order, _ = sandbox.create_paid_order([LineSpec(variant_id=301, quantity=2)])
    if refunded:
        sandbox.refund(order.id, lines=[(order.lines[0].id, 2)], reason="full refund")
    if event == "order_cancelled":
        sandbox.cancel(order.id)
    ours = render_payload(sandbox.store, query, PendingEvent(event, order_pk=order.pk))
    assert json_paths(ours) == json_paths(real)
    assert ours["__typename"] == real["__typename"]
    assert ours["version"] == real["version"] == "3.23.28"
