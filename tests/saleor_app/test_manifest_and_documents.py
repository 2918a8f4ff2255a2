"""The manifest Saleor reads, and every GraphQL document the app sends or subscribes with, checked against
Saleor 3.23's schema."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from graphql import GraphQLSchema, OperationType, build_schema, parse, validate
from graphql.language import OperationDefinitionNode

from shop_extensions.core.csp import parse as parse_csp
from shop_extensions.saleor_app import client as generated_client
from shop_extensions.saleor_app.webhooks import WEBHOOKS
from tests.shared import schema_path

OPERATIONS_DIR = (
    Path(__file__).resolve().parents[2] / "shop_extensions" / "saleor_app" / "graphql" / "operations"
)


@cache
def saleor_schema() -> GraphQLSchema:
    return build_schema(schema_path().read_text())


def assert_valid(document: str) -> None:
    errors = validate(saleor_schema(), parse(document))
    assert errors == [], [e.message for e in errors]


@pytest.mark.shared
@pytest.mark.parametrize("definition", WEBHOOKS, ids=lambda d: d.event)
def test_subscription_documents_are_valid_for_saleor(definition):
    assert_valid(definition.query)
    document = parse(definition.query)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert [op.operation for op in operations] == [OperationType.SUBSCRIPTION]
    # The inline fragment's type is the event the webhook is registered for (OrderFullyPaid <-> ORDER_FULLY_PAID).
    type_name = re.search(r"\.\.\. on (\w+)", definition.query).group(1)
    assert re.sub(r"(?<!^)(?=[A-Z])", "_", type_name).upper() == definition.event


@pytest.mark.shared
@pytest.mark.parametrize("path", sorted(OPERATIONS_DIR.glob("*.graphql")), ids=lambda p: p.name)
def test_operation_documents_are_valid_for_saleor(path):
    assert_valid(path.read_text())


@pytest.mark.shared
def test_the_generated_client_embeds_only_valid_documents():
    source = Path(generated_client.__file__).with_name("client.py").read_text()
    documents = re.findall(r'gql\(\s*"""(.*?)"""', source, flags=re.S)
    assert len(documents) >= 4
    for document in documents:
        assert_valid(document)


def test_manifest(client, settings):
    settings.PUBLIC_BASE_URL = "https://rode-draad.example"

    manifest = client.get("/api/manifest").json()

    assert manifest["id"] == "nl.rodedraad.app"
    assert manifest["name"] == "Rode Draad"
    assert manifest["permissions"] == ["MANAGE_ORDERS", "MANAGE_PRODUCTS"]
    assert manifest["tokenTargetUrl"] == "https://rode-draad.example/api/register"
    assert manifest["appUrl"] == "https://rode-draad.example/app/"
    assert manifest["requiredSaleorVersion"] == ">=3.20 <4"
    assert manifest["brand"]["logo"]["default"] == "https://rode-draad.example/api/logo.svg"
    assert {w["asyncEvents"][0] for w in manifest["webhooks"]} == {
        "ORDER_FULLY_PAID",
        "ORDER_PAID",
        "ORDER_REFUNDED",
        "ORDER_FULLY_REFUNDED",
        "ORDER_CANCELLED",
        "ORDER_UPDATED",
        "PRODUCT_VARIANT_DELETED",
    }
    for webhook in manifest["webhooks"]:
        assert webhook["targetUrl"].startswith("https://rode-draad.example/api/webhooks/")
        path = webhook["targetUrl"].removeprefix("https://rode-draad.example")
        assert client.get(path).status_code == 405  # the route exists and only takes POST
        assert webhook["isActive"] is True


def test_order_subscriptions_ask_for_what_attribution_and_refunds_need():
    query = next(w for w in WEBHOOKS if w.event == "ORDER_FULLY_PAID").query
    for field in [
        "number",
        "channel",
        "currencyCode",
        "totalCharged",
        "totalRefunded",
        "grantedRefunds",
        "orderLine { id }",
        "productSku",
        "productVariantId",
        "quantity",
        "unitPrice",
        "totalPrice",
        "unitDiscount",
        "undiscountedUnitPrice",
        "isGift",
        "product { id }",
        "discounts",
        "updatedAt",
    ]:
        assert field in query, field


def test_the_app_page_may_be_framed_by_the_configured_dashboard_only(client, settings):
    settings.SALEOR_DASHBOARD_ORIGINS = []
    assert client.get("/app/")["X-Frame-Options"] in {"DENY", "SAMEORIGIN"}

    settings.SALEOR_DASHBOARD_ORIGINS = ["https://dashboard.atelier.example"]
    response = client.get("/app/")

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    # The view's frame-ancestors wins; the site-wide CSP middleware fills in the other directives.
    policy = parse_csp(response["Content-Security-Policy"])
    assert policy["frame-ancestors"] == "'self' https://dashboard.atelier.example"
    assert policy["script-src"] == "'self'"
