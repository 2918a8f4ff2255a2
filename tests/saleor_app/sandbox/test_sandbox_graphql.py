from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import OperationDefinitionNode, parse, print_ast

from shop_extensions.saleor_app.sandbox import Sandbox
from shop_extensions.saleor_app.sandbox.apps import revoke_token, uninstall_app
from shop_extensions.saleor_app.sandbox.server import running_sandbox

from ._shared import APP_GRAPHQL
from .conftest import add_app


def operation(name: str) -> str:
    """One named operation from the app's ``operations/*.graphql`` files."""
    for path in sorted((APP_GRAPHQL / "operations").glob("*.graphql")):
        for definition in parse(path.read_text()).definitions:
            if (
                isinstance(definition, OperationDefinitionNode)
                and definition.name
                and definition.name.value == name
            ):
                return print_ast(definition)
    raise LookupError(name)


def post(
    sandbox: Sandbox, query: str, token: str | None, variables: dict[str, Any] | None = None
) -> tuple[int, Any]:
    response = sandbox.graphql({"query": query, "variables": variables}, f"Bearer {token}" if token else None)
    return response.status, response.body


def test_app_id_with_token_then_revoked_and_uninstalled(sandbox: Sandbox) -> None:
    app = add_app(sandbox, {})
    assert post(sandbox, operation("AppId"), app.token) == (200, {"data": {"app": {"id": app.id}}})
    old = app.token
    revoke_token(sandbox.store, app.id)
    status, body = post(sandbox, operation("AppId"), old)
    assert status == 401
    assert body == {
        "errors": [{"message": "Invalid token", "extensions": {"exception": {"code": "InvalidTokenError"}}}]
    }
    assert post(sandbox, operation("AppId"), app.token)[0] == 200
    uninstall_app(sandbox.store, app.identifier)
    assert post(sandbox, operation("AppId"), app.token)[0] == 401


def test_invalid_document_answers_400_saleor_shaped(sandbox: Sandbox) -> None:
    app = add_app(sandbox, {})
    status, body = post(sandbox, "query { app { id nonsense } }", app.token)
    assert status == 400
    (error,) = body["errors"]
    assert "nonsense" in error["message"]
    assert error["locations"] == [{"line": 1, "column": 18}]
    assert error["extensions"] == {"exception": {"code": "GraphQLError"}}
    status, body = post(sandbox, "query { app { id ", app.token)
    assert status == 400
    assert body["errors"][0]["message"].startswith("Syntax Error")


def test_permission_denied_is_a_200_with_errors(sandbox: Sandbox) -> None:
    app = add_app(sandbox, {}, permissions=["MANAGE_ORDERS"])
    status, body = post(sandbox, operation("VariantStocks"), app.token, {"id": "UHJvZHVjdFZhcmlhbnQ6MzAw"})
    assert status == 200
    assert body["data"]["productVariant"]["stocks"] is None
    (error,) = body["errors"]
    assert (
        error["message"] == "To access this path, you need one of the following permissions: MANAGE_PRODUCTS"
    )
    assert error["extensions"]["exception"]["code"] == "PermissionDenied"
    assert error["path"] == ["productVariant", "stocks"]


def test_not_emulated_fields_say_so(sandbox: Sandbox) -> None:
    app = add_app(sandbox, {})
    status, body = post(sandbox, 'query { app { id metafield(key: "x") } }', app.token)
    assert status == 200
    assert body["errors"][0]["message"] == "App.metafield is not emulated by the sandbox"


def test_variant_stocks_update_sets_absolute_quantity(sandbox: Sandbox) -> None:
    app = add_app(sandbox, {})
    warehouse = sandbox.store.warehouse.id
    variant = "UHJvZHVjdFZhcmlhbnQ6MzAw"
    for quantity in (7, 3):
        status, body = post(
            sandbox,
            operation("VariantStocksUpdate"),
            app.token,
            {"variantId": variant, "stocks": [{"warehouse": warehouse, "quantity": quantity}]},
        )
        assert status == 200
        assert "errors" not in body
        result = body["data"]["productVariantStocksUpdate"]
        assert result["errors"] == []
        assert result["productVariant"]["stocks"] == [
            {"warehouse": {"id": warehouse}, "quantity": quantity, "quantityAllocated": 0}
        ]
    _, body = post(sandbox, operation("VariantStocks"), app.token, {"id": variant})
    assert body["data"]["productVariant"]["stocks"][0]["quantity"] == 3
    assert body["data"]["productVariant"]["product"] == {"id": "UHJvZHVjdDoxMDA=", "name": "Mondkapje katoen"}


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"variantId": "UHJvZHVjdFZhcmlhbnQ6OTk5", "stocks": []}, "variantId"),
        (
            {
                "variantId": "UHJvZHVjdFZhcmlhbnQ6MzAw",
                "stocks": [{"warehouse": "V2FyZWhvdXNlOng=", "quantity": 1}],
            },
            "warehouse",
        ),
    ],
)
def test_variant_stocks_update_not_found(sandbox: Sandbox, variables: dict[str, Any], field: str) -> None:
    app = add_app(sandbox, {})
    status, body = post(sandbox, operation("VariantStocksUpdate"), app.token, variables)
    assert status == 200
    result = body["data"]["productVariantStocksUpdate"]
    assert result["productVariant"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [(field, "NOT_FOUND")]


def test_catalogue_products_paginate(sandbox: Sandbox) -> None:
    app = add_app(sandbox, {})
    names, after = [], None
    while True:
        status, body = post(
            sandbox,
            operation("CatalogueProducts"),
            app.token,
            {"first": 2, "after": after, "channel": "default-channel"},
        )
        assert status == 200, body
        page = body["data"]["products"]
        names += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == ["Mondkapje katoen", "Boodschappentas", "Etui"]


def test_graphql_over_http(schema_file: Path) -> None:
    sandbox = Sandbox(retry_delays=())
    app = add_app(sandbox, {})
    with running_sandbox(sandbox) as base:
        ok = httpx.post(
            f"{base}/graphql/",
            json={"query": operation("AppId")},
            headers={"Authorization": f"Bearer {app.token}"},
        )
        assert ok.status_code == 200
        assert ok.json() == {"data": {"app": {"id": app.id}}}
        bad = httpx.post(
            f"{base}/graphql/", json={"query": "{ app { id } }"}, headers={"Authorization": "Bearer nope"}
        )
        assert bad.status_code == 401
        assert bad.json()["errors"][0]["extensions"]["exception"]["code"] == "InvalidTokenError"
