"""Webhook intake: verify Saleor's signature over the raw body, store the delivery once, enqueue it.

The hot path is one statement: the installation's keys come from a per-process cache, and the INSERT
re-checks in the database that the installation is still active, so the cache never lets an uninstalled
Saleor in. Anything unusual (an unknown key, no row inserted) falls back to reading the database.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from shop_extensions.core.errors import ApplicationError, TransientError, ValidationFailed
from shop_extensions.core.logging import bind
from shop_extensions.saleor_app import jws, saleor
from shop_extensions.saleor_app.allowlist import normalise_api_url
from shop_extensions.saleor_app.models import DeliveryStatus, Installation, WebhookDelivery
from shop_extensions.saleor_app.payloads import PayloadInvalid, identify, parse_json
from shop_extensions.saleor_app.services import installation_refresh_jwks

logger = logging.getLogger(__name__)

CACHE_SECONDS = 30.0


class WebhookRejected(ApplicationError):
    """A request Saleor must not retry: forged, malformed or not for us. Nothing is stored."""

    status_code = 401


class WebhookRetryLater(TransientError):
    """Trouble on our side; Saleor retries 5xx answers."""


@dataclass(frozen=True)
class Intake:
    delivery_id: int | None
    created: bool
    failed: bool = False


@dataclass(frozen=True)
class _Keys:
    installation_id: int
    jwks: dict[str, Any]
    loaded_at: float


class _KeyCache:
    """Active installations' JWKS by API URL, per process, for CACHE_SECONDS."""

    def __init__(self) -> None:
        self._entries: dict[str, _Keys] = {}
        self._lock = threading.Lock()

    def get(self, api_url: str) -> _Keys | None:
        entry = self._entries.get(api_url)
        if entry is not None and time.monotonic() - entry.loaded_at < CACHE_SECONDS:
            return entry
        installation = Installation.objects.filter(api_url=api_url).only("pk", "jwks", "is_active").first()
        if installation is None or not installation.is_active:
            self.forget(api_url)
            return None
        return self.put(api_url, installation)

    def put(self, api_url: str, installation: Installation) -> _Keys:
        entry = _Keys(installation.pk, installation.jwks, time.monotonic())
        with self._lock:
            self._entries[api_url] = entry
        return entry

    def forget(self, api_url: str) -> None:
        with self._lock:
            self._entries.pop(api_url, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


key_cache = _KeyCache()


def _verify(api_url: str, keys: _Keys, signature: str, body: bytes) -> None:
    try:
        jws.verify(signature, body, keys.jwks)
        return
    except jws.UnknownKey:
        pass
    except jws.SignatureInvalid as exc:
        # A known kid is a key thumbprint: a refetch cannot make a bad signature good.
        raise WebhookRejected(str(exc)) from exc
    # Another process may have refetched the keys already: read them before asking Saleor.
    installation = Installation.objects.filter(pk=keys.installation_id, is_active=True).first()
    if installation is None:
        key_cache.forget(api_url)
        raise WebhookRejected("the installation for this Saleor is inactive")
    try:
        jws.verify(signature, body, installation.jwks)
        key_cache.put(api_url, installation)
        return
    except jws.UnknownKey:
        pass
    except jws.SignatureInvalid as exc:
        raise WebhookRejected(str(exc)) from exc
    try:
        refreshed = installation_refresh_jwks(installation=installation)
    except (saleor.SaleorUnreachable, saleor.SaleorError) as exc:
        raise WebhookRetryLater(f"signing keys could not be refreshed: {exc}") from exc
    if not refreshed:
        # Keys were refreshed moments ago; a genuinely rotated key is retried by Saleor after the window.
        raise WebhookRetryLater("unknown signing key and the JWKS was refreshed too recently; retry later")
    key_cache.put(api_url, installation)
    try:
        jws.verify(signature, body, installation.jwks)
    except jws.SignatureInvalid as exc:
        raise WebhookRejected(str(exc)) from exc


def delivery_receive(
    *, slug_event: str, header_event: str, api_url: str, signature: str, body: bytes
) -> Intake:
    """Verify, then store once. Signature first: nothing of the body is parsed before it is verified."""
    if not signature:
        raise WebhookRejected("Saleor-Signature header is missing")
    if header_event.lower() != slug_event:
        raise ValidationFailed(f"Saleor-Event {header_event!r} does not match this URL ({slug_event})")
    if not api_url:
        raise ValidationFailed("Saleor-Api-Url header is missing")
    try:
        api_url = normalise_api_url(api_url)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc
    bind(saleor_api_url=api_url, event=slug_event)

    keys = key_cache.get(api_url)
    if keys is None:
        raise WebhookRejected("no active installation for this Saleor")
    _verify(api_url, keys, signature, body)

    try:
        payload, error = parse_json(body), ""
    except PayloadInvalid as exc:
        payload, error = None, str(exc)
    identity = identify(slug_event, body, payload)
    bind(subject_id=identity.subject_id or None)

    delivery_id = _inbox_insert(
        installation_id=keys.installation_id,
        event=slug_event,
        event_key=identity.event_key,
        body=body,
        body_sha256=identity.body_sha256,
        issued_at=identity.issued_at,
        subject_id=identity.subject_id,
        status=DeliveryStatus.FAILED if error else DeliveryStatus.RECEIVED,
        last_error=error,
    )
    if delivery_id is None:
        if not Installation.objects.filter(pk=keys.installation_id, is_active=True).exists():
            key_cache.forget(api_url)
            raise WebhookRejected("the installation for this Saleor is inactive")
        logger.info("duplicate delivery ignored", extra={"event_key": identity.event_key})
        return Intake(delivery_id=None, created=False)
    if error:
        logger.error(
            "signed delivery is not valid JSON; stored as failed", extra={"delivery_id": delivery_id}
        )
        return Intake(delivery_id=delivery_id, created=True, failed=True)
    # Runs at once in autocommit, or after the caller's transaction commits.
    transaction.on_commit(lambda: delivery_enqueue(delivery_id=delivery_id))
    return Intake(delivery_id=delivery_id, created=True)


# One statement, so autocommit makes it its own transaction: the row is durable before we answer 2xx.
_INSERT_SQL = """
    INSERT INTO saleor_app_webhookdelivery
        (installation_id, event, event_key, body, body_sha256, issued_at, subject_id, status, attempts,
         last_error, received_at, enqueued_at)
    SELECT i.id, %s, %s, %s, %s, %s, %s, %s, 0, %s, now(), now()
    FROM saleor_app_installation i
    WHERE i.id = %s AND i.is_active
    ON CONFLICT (installation_id, event_key) DO NOTHING
    RETURNING id
"""


def _inbox_insert(
    *,
    installation_id: int,
    event: str,
    event_key: str,
    body: bytes,
    body_sha256: str,
    issued_at: datetime | None,
    subject_id: str,
    status: str,
    last_error: str,
) -> int | None:
    """The new row's id; ``None`` when the delivery is already in the inbox (a retry or a concurrent
    duplicate) or the installation is no longer active. ``enqueued_at`` is set optimistically and cleared
    again if the broker refuses the task."""
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_SQL,
            [event, event_key, body, body_sha256, issued_at, subject_id, status, last_error, installation_id],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def delivery_enqueue(*, delivery_id: int) -> bool:
    """Hand a stored delivery to Celery. A broker outage is not an error here: the sweeper re-enqueues."""
    from shop_extensions.saleor_app.tasks import delivery_process_task

    try:
        delivery_process_task.apply_async(args=(delivery_id,), retry=False)
    except Exception:
        logger.warning(
            "broker unavailable; delivery stays in the inbox for the sweeper",
            exc_info=True,
            extra={"delivery_id": delivery_id},
        )
        WebhookDelivery.objects.filter(pk=delivery_id).update(enqueued_at=None)
        return False
    return True


def inbox_sweep(
    *,
    older_than: timedelta = timedelta(seconds=30),
    requeue_after: timedelta = timedelta(minutes=5),
    limit: int = 500,
) -> int:
    """Re-enqueue deliveries whose processing never ran (broker down, worker lost). Safe to over-enqueue:
    processing is idempotent under the row lock."""
    now = timezone.now()
    pending = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.RECEIVED, received_at__lte=now - older_than)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - requeue_after))
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    requeued = 0
    for delivery_id in pending:
        WebhookDelivery.objects.filter(pk=delivery_id).update(enqueued_at=now)
        if delivery_enqueue(delivery_id=delivery_id):
            requeued += 1
        else:
            break  # the broker is still down; the next sweep tries again
    if pending:
        logger.info("inbox sweep", extra={"pending": len(pending), "requeued": requeued})
    return requeued
