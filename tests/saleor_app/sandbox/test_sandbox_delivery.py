from __future__ import annotations

import json
from pathlib import Path

import httpx
import jwt

from shop_extensions.saleor_app.sandbox import Delivery, LineSpec, Sandbox, send
from shop_extensions.saleor_app.sandbox.server import running_sandbox

from ._stubs import StubApp, serve
from .conftest import add_app, app_subscription_documents


def delivery_to(url: str) -> Delivery:
    return Delivery(url=url, headers={"Content-Type": "application/json"}, body=b"{}", event="order_updated")


def test_500_then_200_takes_two_attempts() -> None:
    stub = StubApp(hook_statuses=[500, 200])
    sleeps: list[float] = []
    with serve(stub) as base:
        record = send(delivery_to(f"{base}/hook"), delays=(10, 20, 40, 80, 160), sleep=sleeps.append)
    assert [a.status_code for a in record.attempts] == [500, 200]
    assert record.status == "delivered"
    assert sleeps == [10]


def test_4xx_and_3xx_fail_at_once() -> None:
    for status in (400, 301):
        stub = StubApp(hook_statuses=[status, 200])
        with serve(stub) as base:
            record = send(delivery_to(f"{base}/hook"), delays=(0, 0, 0, 0, 0), sleep=lambda _: None)
        assert [a.status_code for a in record.attempts] == [status]
        assert record.status == "failed"


def test_connection_errors_retry_five_times_then_fail() -> None:
    sleeps: list[float] = []
    record = send(delivery_to("http://127.0.0.1:9/hook"), sleep=sleeps.append)
    assert len(record.attempts) == 6
    assert record.status == "failed"
    assert sleeps == [10, 20, 40, 80, 160]
    assert all(a.outcome == "retry" and a.error for a in record.attempts)


def test_orders_endpoint_delivers_signed_webhooks_and_logs_them(schema_file: Path) -> None:
    stub = StubApp(hook_statuses=[503])  # first delivery fails once, the retry (0 s) succeeds
    sandbox = Sandbox(retry_delays=(0, 0, 0, 0, 0))
    with serve(stub) as app_base, running_sandbox(sandbox) as base:
        docs = app_subscription_documents()
        app = add_app(
            sandbox, {"order_fully_paid": docs["order_fully_paid"], "order_updated": docs["order_updated"]}
        )
        for hook in app.webhooks:
            hook.target_url = f"{app_base}/hook"
        variant = sandbox.store.variant(300).id
        response = httpx.post(
            f"{base}/sandbox/orders", json={"lines": [{"variant_id": variant, "quantity": 2}]}
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert [d["event"] for d in created["deliveries"]] == ["order_fully_paid", "order_updated"]
        assert created["total"] == "19.90"
        sandbox.dispatcher._threads[0].join(timeout=5)
        log = httpx.get(f"{base}/sandbox/deliveries").json()["deliveries"]
        assert [(d["event"], d["status"], len(d["attempts"])) for d in log] == [
            ("order_fully_paid", "delivered", 2),
            ("order_updated", "delivered", 1),
        ]
        jwks = httpx.get(f"{base}/.well-known/jwks.json").json()
        hooks = [r for r in stub.requests if r.path == "/hook"]
        for request in hooks:
            signature = request.headers["Saleor-Signature"]
            assert request.headers["X-Saleor-Signature"] == signature
            kid = jwt.get_unverified_header(signature)["kid"]
            key = jwt.PyJWKSet.from_dict(jwks)[kid].key
            jwt.api_jws.decode_complete(
                signature, key=key, algorithms=["RS256"], detached_payload=request.body
            )
            assert request.headers["Saleor-Api-Url"] == f"{base}/graphql/"
            assert request.headers["User-Agent"] == "Saleor/3.23"
            assert request.headers["Saleor-Event"] == request.headers["X-Saleor-Event"]
            assert request.headers["Traceparent"].startswith("00-")
        body = json.loads(hooks[0].body)
        assert body["order"]["id"] == created["order_id"]
        line_id = created["lines"][0]["line_id"]
        refund = httpx.post(
            f"{base}/sandbox/orders/{created['order_id']}/refund",
            json={"lines": [{"line_id": line_id, "quantity": 1}]},
        )
        assert [d["event"] for d in refund.json()["deliveries"]] == [
            "order_updated"
        ]  # only subscribed events
        amount = httpx.post(f"{base}/sandbox/orders/{created['order_id']}/refund", json={"amount": "100.00"})
        assert amount.status_code == 200
        cancel = httpx.post(f"{base}/sandbox/orders/{created['order_id']}/cancel")
        assert cancel.status_code == 200
        again = httpx.post(f"{base}/sandbox/orders/{created['order_id']}/cancel")
        assert again.status_code == 400
        assert "can't be canceled" in again.json()["error"]["message"]


def test_random_orders_and_line_specs(sandbox: Sandbox) -> None:
    order, events = sandbox.create_paid_order()
    assert order.lines
    assert [e.event for e in events] == ["order_created", "order_fully_paid", "order_updated"]
    gift, _ = sandbox.create_paid_order([LineSpec(variant_id=303, is_gift=True), LineSpec(variant_id=300)])
    assert gift.lines[0].unit_gross == 0
    assert gift.lines[0].is_gift
    assert gift.total_gross == gift.lines[1].unit_gross
