"""Nothing is lost: with the broker down a webhook is still stored (2xx), and the sweeper gets it processed
by a real Celery worker over a real Redis once the broker is back."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from backend.celery import app as celery_app
from shop_extensions.saleor_app import intake, services
from shop_extensions.saleor_app.models import DeliveryStatus, WebhookDelivery
from shop_extensions.saleor_app.sandbox.keys import KeyStore
from shop_extensions.saleor_app.tasks import MAX_PROCESS_RETRIES, delivery_process_task
from tests.saleor_app import handlers, signing

DEAD_BROKER = "redis://127.0.0.1:1/0"


def wait_for(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def keys() -> KeyStore:
    return KeyStore()


@pytest.fixture
def installation(make_installation, keys):
    return make_installation(api_url=signing.API_URL, jwks=keys.jwks())


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_broker_down_webhook_is_kept_and_processed_after_the_broker_returns(
    client, installation, keys, celery_broker, redis_url, settings
):
    settings.SALEOR_WEBHOOK_HANDLERS = {"order_fully_paid": "tests.saleor_app.handlers.record"}
    handlers.CALLS.clear()
    celery_broker(DEAD_BROKER)
    body = signing.order_body()

    response = client.post(
        "/api/webhooks/order-fully-paid",
        data=body,
        content_type="application/json",
        headers=signing.headers(keys.sign(body)),
    )

    assert response.status_code == 200
    row = WebhookDelivery.objects.get()
    assert row.status == DeliveryStatus.RECEIVED
    assert row.enqueued_at is None  # the broker refused the task
    assert intake.inbox_sweep(older_than=timedelta(0)) == 0  # still down: nothing requeued, nothing lost

    celery_broker(redis_url)
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert intake.inbox_sweep(older_than=timedelta(0)) == 1
        assert wait_for(lambda: WebhookDelivery.objects.get(pk=row.pk).status == DeliveryStatus.PROCESSED)

    assert [(row.pk, "order_fully_paid")] == handlers.CALLS


@pytest.mark.django_db
def test_the_sweeper_leaves_fresh_and_recently_enqueued_rows_alone(installation, keys, client):
    body = signing.order_body()
    client.post(
        "/api/webhooks/order-fully-paid",
        data=body,
        content_type="application/json",
        headers=signing.headers(keys.sign(body)),
    )
    row = WebhookDelivery.objects.get()

    assert intake.inbox_sweep() == 0  # received moments ago
    WebhookDelivery.objects.filter(pk=row.pk).update(received_at=timezone.now() - timedelta(minutes=1))
    assert intake.inbox_sweep() == 0  # enqueued moments ago: the worker may still be on it
    WebhookDelivery.objects.filter(pk=row.pk).update(enqueued_at=timezone.now() - timedelta(minutes=6))
    assert intake.inbox_sweep() == 1


def _post_one(client, keys) -> WebhookDelivery:
    body = signing.order_body()
    client.post(
        "/api/webhooks/order-fully-paid",
        data=body,
        content_type="application/json",
        headers=signing.headers(keys.sign(body)),
    )
    return WebhookDelivery.objects.get()


@pytest.mark.django_db
def test_a_handler_failing_twice_is_retried_and_then_processed_once(installation, keys, client, settings):
    settings.SALEOR_WEBHOOK_HANDLERS = {"order_fully_paid": "tests.saleor_app.handlers.flaky"}
    handlers.CALLS.clear()
    handlers.FLAKY_FAILURES["left"] = 2
    row = _post_one(client, keys)

    # Eager apply runs Celery's retries in-line (countdown ignored).
    assert delivery_process_task.apply(args=[row.pk]).get() == "processed"

    row.refresh_from_db()
    assert row.status == DeliveryStatus.PROCESSED
    assert row.attempts == 3
    assert row.last_error == "RuntimeError: transient trouble"
    assert [(row.pk, "order_fully_paid")] == handlers.CALLS


@pytest.mark.django_db
def test_a_handler_that_keeps_failing_marks_the_row_failed_after_the_last_retry(
    installation, keys, client, settings
):
    settings.SALEOR_WEBHOOK_HANDLERS = {"order_fully_paid": "tests.saleor_app.handlers.explode"}
    row = _post_one(client, keys)

    assert delivery_process_task.apply(args=[row.pk]).get() == "failed"

    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED
    assert row.attempts == MAX_PROCESS_RETRIES + 1
    assert "handler failed on purpose" in row.last_error
    assert row.processed_at is None


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_installation_are_processed_side_by_side(installation, keys, client, settings):
    """Regression: locking a delivery must not lock its installation, or a second worker skips its row."""
    import threading

    from django.db import connection

    handlers.CALLS.clear()
    handlers.BLOCKING.update(entered=threading.Event(), release=threading.Event())
    settings.SALEOR_WEBHOOK_HANDLERS = {"order_fully_paid": "tests.saleor_app.handlers.block"}
    for n in range(2):
        body = signing.order_body(issued_at=f"2026-11-29T10:00:00.00000{n}+00:00")
        client.post("/api/webhooks/order-fully-paid", data=body, content_type="application/json",
                    headers=signing.headers(keys.sign(body)))  # fmt: skip
    first, second = WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True)
    outcome: list[str] = []

    def process_first() -> None:
        try:
            outcome.append(services.delivery_process(delivery_id=first))
        finally:
            connection.close()

    worker = threading.Thread(target=process_first)
    worker.start()
    assert handlers.BLOCKING["entered"].wait(timeout=10)
    settings.SALEOR_WEBHOOK_HANDLERS = {"order_fully_paid": "tests.saleor_app.handlers.record"}

    assert services.delivery_process(delivery_id=second) == "processed"
    assert services.delivery_process(delivery_id=first) == "locked"  # the first worker still holds it

    handlers.BLOCKING["release"].set()
    worker.join(timeout=10)
    assert outcome == ["processed"]
    assert sorted(pk for pk, _ in handlers.CALLS) == [first, second]
