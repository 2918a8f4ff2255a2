"""Real deliveries recorded from Saleor 3.23.28, replayed byte for byte through the webhook intake."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop_extensions.saleor_app.models import DeliveryStatus, WebhookDelivery
from shop_extensions.saleor_app.tasks import delivery_process_task
from tests.saleor_app import handlers
from tests.shared import recorded_deliveries, recorded_jwks

pytestmark = [pytest.mark.django_db, pytest.mark.shared]


def post(client, delivery, *, body=None, headers=None, path=None):
    return client.post(
        f"/api/webhooks/{path or delivery.path}",
        data=delivery.body if body is None else body,
        content_type="application/json",
        headers={**delivery.headers, **(headers or {})},
    )


@pytest.fixture
def recorded_installation(make_installation):
    return make_installation(api_url=recorded_deliveries()[0].api_url, jwks=recorded_jwks())


def test_every_recorded_delivery_is_accepted_once(
    client, recorded_installation, django_capture_on_commit_callbacks
):
    deliveries = recorded_deliveries()
    with django_capture_on_commit_callbacks() as callbacks:
        statuses = [post(client, d).status_code for d in deliveries]

    assert statuses == [200] * len(deliveries)
    assert WebhookDelivery.objects.count() == len(deliveries) == 79
    assert len(callbacks) == 79  # one enqueue per stored delivery
    stored = WebhookDelivery.objects.get(event_key__contains="2026-11-29T04:39:54.271123+00:00")
    assert stored.event == "order_fully_paid"
    assert bytes(stored.body) == deliveries[0].body
    assert stored.payload()["order"]["total"]["gross"]["amount"] == Decimal("90.0")


def test_saleor_retrying_a_delivery_six_times_stores_and_processes_it_once(
    client, recorded_installation, django_capture_on_commit_callbacks, settings
):
    settings.SALEOR_WEBHOOK_HANDLERS = {"order_fully_paid": "tests.saleor_app.handlers.record"}
    handlers.CALLS.clear()
    delivery = recorded_deliveries()[0]

    with django_capture_on_commit_callbacks() as callbacks:
        responses = [post(client, delivery) for _ in range(6)]

    assert [r.status_code for r in responses] == [200] * 6
    assert [r.json()["duplicate"] for r in responses] == [False, True, True, True, True, True]
    assert len(callbacks) == 1
    row = WebhookDelivery.objects.get()
    # The original task and a sweeper re-enqueue both run: the handler still runs once.
    assert delivery_process_task.apply(args=[row.pk]).get() == "processed"
    assert delivery_process_task.apply(args=[row.pk]).get() == "already-done"
    assert [(row.pk, "order_fully_paid")] == handlers.CALLS
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PROCESSED
    assert row.attempts == 1


def test_a_tampered_recorded_body_is_rejected_and_nothing_stored(client, recorded_installation):
    delivery = recorded_deliveries()[0]
    tampered = delivery.body.replace(b'"amount": 90.0', b'"amount": 9000.0', 1)
    assert tampered != delivery.body

    response = post(client, delivery, body=tampered)

    assert response.status_code == 401
    assert "signature" in response.json()["error"]["message"]
    assert WebhookDelivery.objects.count() == 0


def test_event_header_must_match_the_url(client, recorded_installation):
    delivery = recorded_deliveries()[0]  # order_fully_paid

    response = post(client, delivery, path="order-refunded")

    assert response.status_code == 400
    assert WebhookDelivery.objects.count() == 0


def test_an_inactive_installation_gets_nothing_stored(client, recorded_installation):
    recorded_installation.is_active = False
    recorded_installation.save()

    response = post(client, recorded_deliveries()[0])

    assert response.status_code == 401
    assert WebhookDelivery.objects.count() == 0


def test_an_unknown_installation_gets_nothing_stored(client, recorded_installation):
    delivery = recorded_deliveries()[0]

    response = post(client, delivery, headers={"Saleor-Api-Url": "http://127.0.0.1:9999/graphql/"})

    assert response.status_code == 401
    assert WebhookDelivery.objects.count() == 0
