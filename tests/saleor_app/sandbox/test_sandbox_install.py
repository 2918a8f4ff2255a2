from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from shop_extensions.saleor_app.sandbox import Sandbox
from shop_extensions.saleor_app.sandbox.apps import InstallError, events_of_subscription
from shop_extensions.saleor_app.sandbox.server import running_sandbox

from ._stubs import Request, StubApp, serve
from .conftest import app_subscription_documents

APP_ID_QUERY = {"query": "query AppId { app { id } }", "operationName": "AppId"}


def manifest_for(base: str, **overrides: Any) -> dict[str, Any]:
    docs = app_subscription_documents()
    manifest = {
        "id": "nl.rode-draad.test",
        "name": "Rode Draad",
        "version": "0.1.0",
        "permissions": ["MANAGE_ORDERS", "MANAGE_PRODUCTS"],
        "tokenTargetUrl": f"{base}/register",
        "webhooks": [
            {"name": "order_fully_paid", "targetUrl": f"{base}/hook", "query": docs["order_fully_paid"]},
            {"name": "order_refunded", "targetUrl": f"{base}/hook", "query": docs["order_refunded"]},
        ],
    }
    manifest.update(overrides)
    return manifest


def test_install_posts_token_with_saleor_headers_and_app_can_call_back(schema_file: Path) -> None:
    callbacks: list[httpx.Response] = []

    def call_back(request: Request) -> None:  # what the app does while registering
        token = json.loads(request.body)["auth_token"]
        callbacks.append(
            httpx.post(
                request.headers["Saleor-Api-Url"],
                json=APP_ID_QUERY,
                headers={"Authorization": f"Bearer {token}"},
            )
        )

    stub = StubApp(on_register=call_back)
    sandbox = Sandbox(retry_delays=())
    with serve(stub) as app_base, running_sandbox(sandbox) as sandbox_base:
        stub.manifest = manifest_for(app_base)
        response = httpx.post(
            f"{sandbox_base}/sandbox/install", json={"manifest_url": f"{app_base}/manifest"}
        )
        assert response.status_code == 201, response.text
        installed = response.json()
        (register,) = [r for r in stub.requests if r.path == "/register"]
        assert register.method == "POST"
        assert json.loads(register.body) == {"auth_token": installed["token"]}
        domain = sandbox_base.removeprefix("http://")
        assert register.headers["Saleor-Domain"] == domain
        assert register.headers["X-Saleor-Domain"] == domain
        assert register.headers["Saleor-Api-Url"] == f"{sandbox_base}/graphql/"
        assert register.headers["Saleor-Schema-Version"] == "3.23"
        assert register.headers["User-Agent"] == "Saleor/3.23"
        assert register.headers["Content-Type"] == "application/json"
        assert callbacks[0].status_code == 200
        assert callbacks[0].json() == {"data": {"app": {"id": installed["app_id"]}}}
        assert [w["events"] for w in installed["webhooks"]] == [["ORDER_FULLY_PAID"], ["ORDER_REFUNDED"]]
        jwks = httpx.get(f"{sandbox_base}/.well-known/jwks.json").json()
        assert jwks == sandbox.keys.jwks()

        # re-install: a new token replaces the old app
        again = httpx.post(
            f"{sandbox_base}/sandbox/install", json={"manifest_url": f"{app_base}/manifest"}
        ).json()
        assert again["token"] != installed["token"]
        old = httpx.post(
            f"{sandbox_base}/graphql/",
            json=APP_ID_QUERY,
            headers={"Authorization": f"Bearer {installed['token']}"},
        )
        assert old.status_code == 401
        assert len(sandbox.store.apps) == 1


def test_non_2xx_register_aborts_install_with_the_apps_message(schema_file: Path) -> None:
    stub = StubApp(register_status=403, register_body={"error": {"message": "Saleor URL not allowed"}})
    sandbox = Sandbox(retry_delays=())
    with serve(stub) as base:
        stub.manifest = manifest_for(base)
        with pytest.raises(InstallError, match="Saleor URL not allowed"):
            sandbox.install(f"{base}/manifest")
    assert sandbox.store.apps == {}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"permissions": ["MANAGE_ORDERS", "MANAGE_APPS"]}, "MANAGE_APPS"),
        ({"id": ""}, "id"),
        ({"tokenTargetUrl": None}, "tokenTargetUrl"),
        (
            {
                "webhooks": [
                    {"name": "x", "targetUrl": "http://x", "query": "subscription { event { nope } }"}
                ]
            },
            "nope",
        ),
        (
            {"webhooks": [{"name": "x", "targetUrl": "http://x", "query": "query { shop { name } }"}]},
            "subscription",
        ),
        ({"webhooks": [{"name": "x", "query": "subscription { event { __typename } }"}]}, "targetUrl"),
    ],
)
def test_bad_manifests_are_rejected_before_register(
    schema_file: Path, overrides: dict[str, Any], message: str
) -> None:
    stub = StubApp()
    sandbox = Sandbox(retry_delays=())
    with serve(stub) as base:
        stub.manifest = manifest_for(base, **overrides)
        with pytest.raises(InstallError, match=message):
            sandbox.install(f"{base}/manifest")
    assert not [r for r in stub.requests if r.path == "/register"]
    assert sandbox.store.apps == {}


def test_events_derived_from_subscription_documents(schema_file: Path) -> None:
    docs = app_subscription_documents()
    assert events_of_subscription(docs["order_fully_paid"]) == ["ORDER_FULLY_PAID"]
    assert events_of_subscription(docs["product_variant_deleted"]) == ["PRODUCT_VARIANT_DELETED"]
    assert events_of_subscription("subscription { orderFullyPaid { order { id } } }") == ["ORDER_FULLY_PAID"]
