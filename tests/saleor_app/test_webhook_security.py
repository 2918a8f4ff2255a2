"""What the webhook intake refuses, and that a refusal stores nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest
import respx
from django.test import Client
from django.utils import timezone

from shop_extensions.saleor_app.models import DeliveryStatus, Installation, WebhookDelivery
from shop_extensions.saleor_app.sandbox.keys import KeyStore
from tests.saleor_app import signing

pytestmark = pytest.mark.django_db
URL = "/api/webhooks/order-fully-paid"


@pytest.fixture
def keys() -> KeyStore:
    return KeyStore()


@pytest.fixture
def installation(make_installation, keys):
    installation = make_installation(api_url=signing.API_URL, jwks=keys.jwks())
    # Pretend the JWKS was fetched long ago so a refetch is allowed.
    Installation.objects.filter(pk=installation.pk).update(
        jwks_fetched_at=timezone.now() - timedelta(hours=1)
    )
    return installation


def post(client, body: bytes, headers: dict[str, str], url: str = URL):
    return client.post(url, data=body, content_type="application/json", headers=headers)


def test_a_correctly_signed_delivery_is_stored(client, installation, keys):
    body = signing.order_body()

    response = post(client, body, signing.headers(keys.sign(body)))

    assert response.status_code == 200
    row = WebhookDelivery.objects.get()
    assert row.event_key == "order_fully_paid:T3JkZXI6MQ==:2026-11-29T10:00:00.000001+00:00"
    assert row.subject_id == "T3JkZXI6MQ=="
    assert row.status == DeliveryStatus.RECEIVED


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda keys, body: "", id="missing signature"),
        pytest.param(lambda keys, body: "not-a-jws", id="garbage"),
        pytest.param(lambda keys, body: signing.alg_none(keys.kid), id="alg none"),
        pytest.param(
            lambda keys, body: signing.hs256_with_public_key(keys, body), id="HS256 with the public key"
        ),
        pytest.param(lambda keys, body: keys.sign(body + b" "), id="signature of another body"),
        pytest.param(
            lambda keys, body: signing.with_kid(KeyStore().sign(body), keys.kid), id="another key, our kid"
        ),
    ],
)
def test_forged_signatures_are_rejected_without_storing_or_refetching(client, installation, keys, forge):
    body = signing.order_body()
    with respx.mock(assert_all_called=False) as saleor:
        jwks_route = saleor.get(signing.JWKS_URL).mock(return_value=httpx.Response(200, json=keys.jwks()))
        response = post(client, body, signing.headers(forge(keys, body)))

    assert response.status_code == 401
    assert WebhookDelivery.objects.count() == 0
    assert not jwks_route.called


def test_an_unknown_kid_that_stays_unknown_after_one_refetch_is_rejected(client, installation, keys):
    body = signing.order_body()
    stranger = KeyStore()
    with respx.mock() as saleor:
        jwks_route = saleor.get(signing.JWKS_URL).mock(return_value=httpx.Response(200, json=keys.jwks()))
        first = post(client, body, signing.headers(stranger.sign(body)))
        # A second forged request inside the rate-limit window does not trigger another refetch.
        second = post(client, body, signing.headers(stranger.sign(body)))

    assert first.status_code == 401
    assert second.status_code == 503
    assert jwks_route.call_count == 1
    assert WebhookDelivery.objects.count() == 0


def test_a_rotated_key_is_picked_up_by_refetching_the_jwks(client, installation, keys):
    keys.rotate()
    body = signing.order_body()
    with respx.mock() as saleor:
        saleor.get(signing.JWKS_URL).mock(return_value=httpx.Response(200, json=keys.jwks()))
        response = post(client, body, signing.headers(keys.sign(body)))

    assert response.status_code == 200
    installation.refresh_from_db()
    assert installation.jwks == keys.jwks()
    assert WebhookDelivery.objects.count() == 1


def test_jwks_unreachable_answers_5xx_so_saleor_retries_and_the_next_try_may_refetch(
    client, installation, keys
):
    keys.rotate()
    body = signing.order_body()
    with respx.mock() as saleor:
        route = saleor.get(signing.JWKS_URL)
        route.side_effect = [httpx.ConnectError("refused"), httpx.Response(200, json=keys.jwks())]
        first = post(client, body, signing.headers(keys.sign(body)))
        retry = post(client, body, signing.headers(keys.sign(body)))

    assert first.status_code == 503
    assert retry.status_code == 200
    assert WebhookDelivery.objects.count() == 1


def test_oversized_body_is_refused_before_it_is_read(client, installation, keys, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1000
    body = signing.order_body(order_id="x" * 2000)

    response = post(client, body, signing.headers(keys.sign(body)))

    assert response.status_code == 413
    assert WebhookDelivery.objects.count() == 0


def test_invalid_json_with_a_valid_signature_is_stored_as_failed(client, installation, keys):
    body = b'{"issuedAt": "2026-11-29T10:00:00+00:00", "order": {'

    response = post(client, body, signing.headers(keys.sign(body)))

    assert response.status_code == 400
    row = WebhookDelivery.objects.get()
    assert row.status == DeliveryStatus.FAILED
    assert "not valid JSON" in row.last_error
    assert bytes(row.body) == body


def test_unknown_webhook_path_is_404(client, installation, keys):
    body = signing.order_body()
    response = post(client, body, signing.headers(keys.sign(body)), url="/api/webhooks/order-exploded")
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_of_the_same_event_make_one_row(installation, keys):
    body = signing.order_body()
    headers = signing.headers(keys.sign(body))
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def deliver() -> None:
        from django.db import connection

        barrier.wait()
        try:
            statuses.append(post(Client(), body, headers).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200, 200]
    assert WebhookDelivery.objects.count() == 1
