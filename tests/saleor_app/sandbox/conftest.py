from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shop_extensions.saleor_app.sandbox import Sandbox
from shop_extensions.saleor_app.sandbox.apps import events_of_subscription
from shop_extensions.saleor_app.sandbox.state import App, AppWebhook

from ._shared import APP_GRAPHQL, shared_path


@pytest.fixture(scope="session")
def schema_file() -> Iterator[Path]:
    path = shared_path("schema.graphql")
    old = os.environ.get("SALEOR_SCHEMA_PATH")
    os.environ["SALEOR_SCHEMA_PATH"] = str(path)
    yield path
    if old is None:
        os.environ.pop("SALEOR_SCHEMA_PATH", None)
    else:
        os.environ["SALEOR_SCHEMA_PATH"] = old


@pytest.fixture
def sandbox(schema_file: Path) -> Iterator[Sandbox]:
    sb = Sandbox(retry_delays=(0, 0, 0, 0, 0))
    yield sb
    sb.close()


def app_subscription_documents() -> dict[str, str]:
    """The app's webhook documents, each with the ``RodeDraadOrder`` fragment appended when used."""
    folder = APP_GRAPHQL / "subscriptions"
    fragment = (folder / "order_fragment.graphql").read_text()
    docs = {}
    for path in sorted(folder.glob("*.graphql")):
        if path.name == "order_fragment.graphql":
            continue
        text = path.read_text()
        docs[path.stem] = text + ("\n" + fragment if "...RodeDraadOrder" in text else "")
    return docs


def add_app(sandbox: Sandbox, documents: dict[str, str], permissions: list[str] | None = None) -> App:
    """Register an app directly in the store (no install round trip) with one webhook per document."""
    store = sandbox.store
    hooks = [
        AppWebhook(
            store.next_pk("webhook"),
            name,
            f"http://app.test/webhooks/{name}",
            query,
            events_of_subscription(query),
        )
        for name, query in documents.items()
    ]
    app = App(
        pk=store.next_pk("app"),
        identifier=f"test.app.{len(store.apps)}",
        name="Test",
        version="1",
        token=f"token-{len(store.apps)}",
        permissions=permissions or ["MANAGE_ORDERS", "MANAGE_PRODUCTS"],
        webhooks=hooks,
        manifest={},
    )
    store.apps[app.pk] = app
    return app
