"""Webhook payloads (each webhook's own subscription document, executed) and Saleor-like delivery."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from . import payloads
from .apps import USER_AGENT, domain_of
from .graphql_api import execute_subscription, format_error
from .keys import KeyStore
from .state import App, PendingEvent, Store

SALEOR_RETRY_DELAYS: tuple[float, ...] = (10, 20, 40, 80, 160)
TIMEOUT = httpx.Timeout(18.0, connect=2.0)


class PayloadError(Exception):
    """A webhook's subscription document failed against the sandbox data."""


@dataclass(frozen=True)
class Delivery:
    url: str
    headers: dict[str, str]
    body: bytes
    event: str  # lower case, e.g. "order_fully_paid"
    app_identifier: str = ""
    webhook_name: str = ""


@dataclass
class Attempt:
    number: int
    outcome: str  # "delivered" | "failed" | "retry"
    status_code: int | None = None
    error: str | None = None
    at: float = field(default_factory=time.time)


@dataclass
class DeliveryRecord:
    delivery: Delivery
    attempts: list[Attempt] = field(default_factory=list)
    status: str = "pending"  # "pending" | "delivered" | "failed"

    def as_json(self) -> dict[str, Any]:
        return {
            "event": self.delivery.event,
            "url": self.delivery.url,
            "app": self.delivery.app_identifier,
            "webhook": self.delivery.webhook_name,
            "status": self.status,
            "attempts": [asdict(a) for a in self.attempts],
        }


def _subject(store: Store, event: PendingEvent) -> dict[str, Any]:
    if event.order_pk is not None:
        return {"order": payloads.order_obj(store, store.orders[event.order_pk])}
    subject: dict[str, Any] = {}
    if event.variant is not None:
        subject["productVariant"] = payloads.variant_obj(store, event.variant)
    if event.warehouse_pk is not None:
        subject["warehouse"] = payloads.warehouse_obj(store.warehouses[event.warehouse_pk])
    return subject


def render_payload(store: Store, query: str, event: PendingEvent, app: App | None = None) -> dict[str, Any]:
    """Execute a subscription document for one event; return ``data["event"]`` (Saleor's body)."""
    with store.lock:
        event_obj = payloads.event_obj(store, event.event, event.issued_at, _subject(store, event), app)
        root = {"event": event_obj, _field_name(event.event): event_obj}
        result = execute_subscription(query, root, app=app)
    if result.errors:
        raise PayloadError(json.dumps([format_error(e) for e in result.errors]))
    data = result.data or {}
    if "event" in data:
        return dict(data["event"] or {})
    return dict(next(iter(data.values()), None) or {})


def _field_name(event: str) -> str:
    name = payloads.event_type_name(event)
    return name[:1].lower() + name[1:]


def traceparent() -> str:
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def build_deliveries(
    store: Store, keys: KeyStore, api_url: str, events: Iterable[PendingEvent]
) -> list[Delivery]:
    """Signed deliveries for every active webhook of every active app subscribed to each event, in order.

    Nothing is sent: post them yourself (e.g. through Django's test client) or use ``send``.
    """
    domain = domain_of(api_url)
    out: list[Delivery] = []
    with store.lock:
        apps = [a for a in store.apps.values() if a.is_active]
        for event in events:
            for app in apps:
                for hook in app.webhooks:
                    if not hook.is_active or event.event.upper() not in hook.events:
                        continue
                    body = json.dumps(render_payload(store, hook.query, event, app)).encode("utf-8")
                    signature = keys.sign(body)
                    headers = {
                        **hook.custom_headers,
                        "Content-Type": "application/json",
                        "X-Saleor-Event": event.event,
                        "X-Saleor-Domain": domain,
                        "X-Saleor-Signature": signature,
                        "Saleor-Event": event.event,
                        "Saleor-Domain": domain,
                        "Saleor-Signature": signature,
                        "Saleor-Api-Url": api_url,
                        "User-Agent": USER_AGENT,
                        "traceparent": traceparent(),
                    }
                    out.append(
                        Delivery(hook.target_url, headers, body, event.event, app.identifier, hook.name)
                    )
    return out


def attempt_once(delivery: Delivery, client: httpx.Client, number: int) -> Attempt:
    """One POST. 2xx delivered; 3xx/4xx failed for good; 5xx/timeouts/connection errors retryable."""
    try:
        response = client.post(delivery.url, content=delivery.body, headers=delivery.headers)
    except httpx.HTTPError as exc:
        return Attempt(number, "retry", error=f"{type(exc).__name__}: {exc}")
    code = response.status_code
    if 200 <= code < 300:
        return Attempt(number, "delivered", status_code=code)
    if code >= 500:
        return Attempt(number, "retry", status_code=code)
    return Attempt(number, "failed", status_code=code)


def send(
    delivery: Delivery,
    *,
    delays: Sequence[float] = SALEOR_RETRY_DELAYS,
    client: httpx.Client | None = None,
    sleep: Callable[[float], Any] = time.sleep,
    record: DeliveryRecord | None = None,
) -> DeliveryRecord:
    """Deliver with Saleor's retry policy: up to ``len(delays)`` retries, waiting ``delays[i]`` before each."""
    record = record or DeliveryRecord(delivery)
    http = client or httpx.Client(timeout=TIMEOUT)
    try:
        for number in range(len(record.attempts) + 1, len(delays) + 2):
            if number > 1:
                sleep(delays[number - 2])
            attempt = attempt_once(delivery, http, number)
            record.attempts.append(attempt)
            if attempt.outcome != "retry":
                record.status = attempt.outcome
                return record
        record.status = "failed"
        return record
    finally:
        if client is None:
            http.close()


class Dispatcher:
    """Sends deliveries in order: the first attempt synchronously, retries in a background thread.

    Keeps a log of every delivery and attempt (``records``).
    """

    def __init__(self, delays: Sequence[float] = SALEOR_RETRY_DELAYS) -> None:
        self.delays = tuple(delays)
        self.records: list[DeliveryRecord] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def dispatch(self, deliveries: Iterable[Delivery]) -> list[DeliveryRecord]:
        out: list[DeliveryRecord] = []
        with httpx.Client(timeout=TIMEOUT) as client:
            for delivery in deliveries:
                record = DeliveryRecord(delivery)
                with self._lock:
                    self.records.append(record)
                send(delivery, delays=(), client=client, record=record)
                if record.attempts[-1].outcome == "retry" and self.delays:
                    record.status = "pending"
                    thread = threading.Thread(target=self._retry, args=(record,), daemon=True)
                    self._threads.append(thread)
                    thread.start()
                out.append(record)
        return out

    def _retry(self, record: DeliveryRecord) -> None:
        send(record.delivery, delays=self.delays, sleep=self._sleep, record=record)

    def _sleep(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise SystemExit  # stopping: abandon pending retries quietly

    def log(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.as_json() for r in self.records]

    def stop(self) -> None:
        self._stop.set()
