"""Install and webhooks over real HTTP: the Saleor sandbox installs the app served by a live server, places
paid orders and delivers their webhooks signed, as Saleor does."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from decimal import Decimal

import pytest

from shop_extensions.saleor_app import services
from shop_extensions.saleor_app.models import DeliveryStatus, Installation, WebhookDelivery
from shop_extensions.saleor_app.sandbox.server import running_sandbox
from shop_extensions.saleor_app.sandbox.service import Sandbox
from shop_extensions.saleor_app.tasks import delivery_process_task
from tests.shared import schema_path

pytestmark = pytest.mark.shared


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    schema_path()  # skip (or fail under CI) without Saleor's schema
    box = Sandbox(retry_delays=())
    with running_sandbox(box):
        yield box


def register(client, api_url: str | None, token: str = "token"):
    headers = {"Saleor-Domain": "shop.example", "Saleor-Schema-Version": "3.23"}
    if api_url:
        headers["Saleor-Api-Url"] = api_url
    return client.post(
        "/api/register", data={"auth_token": token}, content_type="application/json", headers=headers
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.django_db
class TestRegisterRejected:
    def test_api_url_not_on_the_allow_list(self, client, sandbox):
        response = register(client, "https://evil.example/graphql/")

        assert response.status_code == 403
        assert "not allowed" in response.json()["error"]["message"]
        assert not Installation.objects.exists()

    def test_missing_api_url_header(self, client, sandbox):
        response = register(client, None)

        assert response.status_code == 400
        assert "Saleor-Api-Url" in response.json()["error"]["message"]
        assert not Installation.objects.exists()

    def test_token_that_fails_app_id(self, client, sandbox):
        response = register(client, sandbox.api_url, token="not-a-token-saleor-issued")

        assert response.status_code == 401
        assert "did not accept the app token" in response.json()["error"]["message"]
        assert not Installation.objects.exists()

    def test_saleor_unreachable(self, client, sandbox):
        response = register(client, f"http://127.0.0.1:{closed_port()}/graphql/")

        assert response.status_code == 502
        assert "could not be reached" in response.json()["error"]["message"]
        assert not Installation.objects.exists()

    def test_body_without_a_token(self, client, sandbox):
        response = client.post("/api/register", data=b"[]", content_type="application/json",
                               headers={"Saleor-Api-Url": sandbox.api_url})  # fmt: skip

        assert response.status_code == 400
        assert not Installation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_install_orders_reinstall_and_revocation_over_real_http(live_server, sandbox, settings):
    settings.PUBLIC_BASE_URL = live_server.url

    # Install: manifest fetched, token posted, proven with { app { id } }, JWKS fetched.
    app = sandbox.install(f"{live_server.url}/api/manifest")
    installation = Installation.objects.get()
    assert installation.api_url == sandbox.api_url
    assert installation.app_id == app.id
    assert installation.token == app.token
    assert app.token not in installation.token_encrypted
    assert installation.jwks == sandbox.keys.jwks()
    assert {w.name for w in app.webhooks} >= {"Rode Draad order fully paid", "Rode Draad order updated"}

    # A paid order: order_fully_paid and order_updated arrive signed and are stored once each.
    order, events = sandbox.create_paid_order()
    records = sandbox.dispatch(events)
    assert {r.delivery.event: r.status for r in records} == {
        "order_fully_paid": "delivered",
        "order_updated": "delivered",
    }
    rows = {row.event: row for row in WebhookDelivery.objects.all()}
    assert set(rows) == {"order_fully_paid", "order_updated"}
    payload = rows["order_fully_paid"].payload()
    assert payload["order"]["id"] == order.id == rows["order_fully_paid"].subject_id
    assert isinstance(payload["order"]["total"]["gross"]["amount"], Decimal)
    assert payload["order"]["lines"][0]["productSku"]

    # Saleor sending the same deliveries again changes nothing.
    again = sandbox.dispatch(events)
    assert [r.status for r in again] == ["delivered", "delivered"]
    assert WebhookDelivery.objects.count() == 2

    assert delivery_process_task.apply(args=[rows["order_fully_paid"].pk]).get() == "processed"
    assert WebhookDelivery.objects.get(pk=rows["order_fully_paid"].pk).status == DeliveryStatus.PROCESSED

    # Re-installing replaces the token on the same installation.
    reinstalled = sandbox.install(f"{live_server.url}/api/manifest")
    installation.refresh_from_db()
    assert Installation.objects.count() == 1
    assert installation.token == reinstalled.token != app.token

    # Saleor stops accepting the token: the installation is marked inactive, health says so, webhooks bounce.
    from shop_extensions.saleor_app.sandbox.apps import revoke_token

    revoke_token(sandbox.store, reinstalled.id)
    assert services.installation_verify(installation=installation) is False
    installation.refresh_from_db()
    assert installation.is_active is False
    assert "refused the app token" in installation.deactivated_reason
    health = sandbox_health(live_server.url)
    assert health["checks"]["saleor"]["inactive"] == 1

    _, more_events = sandbox.create_paid_order()
    bounced = sandbox.dispatch(more_events)
    assert {r.status for r in bounced} == {"failed"}
    assert WebhookDelivery.objects.count() == 2


def sandbox_health(base_url: str) -> dict:
    import httpx

    return httpx.get(f"{base_url}/healthz", timeout=10).json()
