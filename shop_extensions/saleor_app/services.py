"""Use cases of the Saleor App: install, keep the JWKS fresh, take webhooks into the inbox, process them."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from shop_extensions.core import crypto
from shop_extensions.core.errors import ApplicationError, ValidationFailed
from shop_extensions.core.logging import bind
from shop_extensions.core.memory import collector_paused
from shop_extensions.core.services import audit_event_record
from shop_extensions.core.transactions import after_commit
from shop_extensions.saleor_app import saleor
from shop_extensions.saleor_app.allowlist import is_allowed, normalise_api_url
from shop_extensions.saleor_app.models import DeliveryStatus, Installation, WebhookDelivery

logger = logging.getLogger(__name__)


class RegisterRefused(ApplicationError):
    status_code = 403


class TokenNotAccepted(ApplicationError):
    status_code = 401


class SaleorNotReachable(ApplicationError):
    status_code = 502


# --- install -----------------------------------------------------------------------------------------


def installation_register(
    *, api_url: str | None, domain: str, schema_version: str, auth_token: str
) -> Installation:
    """Saleor's register call. Nothing is stored unless the URL is allowed, the token proven and the JWKS
    fetched. Installing again replaces the token."""
    if not api_url:
        raise ValidationFailed("the Saleor-Api-Url header is required")
    try:
        api_url = normalise_api_url(api_url)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from exc
    bind(saleor_api_url=api_url)
    if not is_allowed(api_url, settings.SALEOR_ALLOWED_API_URLS):
        logger.warning("register refused: API URL not on the allow-list")
        raise RegisterRefused(f"{api_url} is not allowed to install this app (SALEOR_ALLOWED_API_URLS)")
    if not auth_token:
        raise ValidationFailed("auth_token is required")

    try:
        app_id = saleor.app_id(api_url, auth_token)
        jwks = saleor.fetch_jwks(api_url)
    except saleor.TokenRefused as exc:
        raise TokenNotAccepted(f"Saleor at {api_url} did not accept the app token: {exc}") from exc
    except (saleor.SaleorUnreachable, saleor.SaleorError) as exc:
        raise SaleorNotReachable(
            f"Saleor at {api_url} could not be reached to verify the install: {exc}"
        ) from exc

    now = timezone.now()
    with transaction.atomic():
        installation, created = Installation.objects.update_or_create(
            api_url=api_url,
            defaults={
                "domain": domain[:255],
                "app_id": app_id,
                "token_encrypted": crypto.encrypt(auth_token),
                "jwks": jwks,
                "jwks_fetched_at": now,
                "schema_version": schema_version[:20],
                "is_active": True,
                "deactivated_at": None,
                "deactivated_reason": "",
                "installed_at": now,
            },
        )
        audit_event_record(
            actor=f"saleor:{api_url}",
            action="installation.created" if created else "installation.reinstalled",
            subject_type="installation",
            subject_id=str(installation.pk),
            data={"app_id": app_id, "domain": domain, "schema_version": schema_version},
        )
    logger.info("app installed", extra={"app_id": app_id, "reinstall": not created})
    return installation


def installation_deactivate(*, installation: Installation, reason: str) -> None:
    updated = Installation.objects.filter(pk=installation.pk, is_active=True).update(
        is_active=False, deactivated_at=timezone.now(), deactivated_reason=reason[:500]
    )
    if updated:
        audit_event_record(
            actor="system:saleor_app",
            action="installation.deactivated",
            subject_type="installation",
            subject_id=str(installation.pk),
            data={"reason": reason},
        )
        logger.error(
            "installation deactivated: Saleor no longer accepts the app token",
            extra={"saleor_api_url": installation.api_url, "reason": reason},
        )


def installation_verify(*, installation: Installation) -> bool:
    """Ask Saleor whether it still accepts our token; mark the installation inactive when it does not."""
    try:
        saleor.app_id(installation.api_url, installation.token)
    except saleor.TokenRefused as exc:
        installation_deactivate(installation=installation, reason=str(exc))
        return False
    except (saleor.SaleorUnreachable, saleor.SaleorError) as exc:
        logger.warning(
            "installation check inconclusive: %s", exc, extra={"saleor_api_url": installation.api_url}
        )
    return True


def installation_refresh_jwks(*, installation: Installation) -> bool:
    """Refetch the JWKS at most once per SALEOR_JWKS_REFETCH_MIN_SECONDS per installation, across processes:
    the conditional UPDATE is the claim. Returns False when a refetch was made too recently."""
    now = timezone.now()
    previous = installation.jwks_fetched_at
    window = timedelta(seconds=settings.SALEOR_JWKS_REFETCH_MIN_SECONDS)
    claimed = Installation.objects.filter(pk=installation.pk, jwks_fetched_at__lte=now - window).update(
        jwks_fetched_at=now
    )
    if not claimed:
        return False
    try:
        jwks = saleor.fetch_jwks(installation.api_url)
    except (saleor.SaleorUnreachable, saleor.SaleorError):
        # Give the claim back so Saleor's retry of this delivery can try again.
        Installation.objects.filter(pk=installation.pk, jwks_fetched_at=now).update(jwks_fetched_at=previous)
        raise
    Installation.objects.filter(pk=installation.pk).update(jwks=jwks)
    installation.jwks, installation.jwks_fetched_at = jwks, now
    logger.info("JWKS refetched", extra={"saleor_api_url": installation.api_url, "keys": len(jwks["keys"])})
    return True


# --- processing --------------------------------------------------------------------------------------


# Inbox rows one worker takes at once when their handler can take many (SALEOR_WEBHOOK_BATCH_HANDLERS).
BATCH_LIMIT = 1000


class _RecentlyDone:
    """Rows this process committed in a batch lately (bounded): their own tasks, which usually come to the
    same worker soon after, return without a query. Only ever holds rows whose transaction committed."""

    def __init__(self, size: int = 50_000) -> None:
        self._ids: set[int] = set()
        self._order: deque[int] = deque()
        self._size = size

    def add(self, delivery_ids: list[int]) -> None:
        for delivery_id in delivery_ids:
            if delivery_id not in self._ids:
                self._ids.add(delivery_id)
                self._order.append(delivery_id)
        while len(self._order) > self._size:
            self._ids.discard(self._order.popleft())

    def __contains__(self, delivery_id: int) -> bool:
        return delivery_id in self._ids


recently_done = _RecentlyDone()


def _handler_for(event: str) -> Callable[..., None] | None:
    path = settings.SALEOR_WEBHOOK_HANDLERS.get(event)
    return import_string(path) if path else None


def delivery_process(*, delivery_id: int) -> str:
    """Process one inbox row exactly once. The row lock keeps a second worker (or a sweeper re-enqueue) out;
    the handler runs in the same transaction that marks the row processed.

    When the row's handler has a batch form (settings.SALEOR_WEBHOOK_BATCH_HANDLERS), the worker also takes
    up to BATCH_LIMIT - 1 other waiting rows of the same handler (SKIP LOCKED: rows another worker holds
    are left to it) and processes them together, oldest first, in the same transaction; their own tasks
    then find them done. A row that failed before is never taken into a batch, and a batch that fails is
    undone and this row is processed alone (see docs/adr/0007-batch-attribution.md)."""
    if delivery_id in recently_done:
        return "already-done"
    # Status only ever leaves RECEIVED: a row already done needs no lock (nor a commit that flushes the WAL).
    status = WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first()
    if status is None:
        return "missing"
    if status != DeliveryStatus.RECEIVED:
        return "already-done"
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("installation")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            exists = WebhookDelivery.objects.filter(pk=delivery_id).exists()
            return "locked" if exists else "missing"
        if delivery.status != DeliveryStatus.RECEIVED:
            return "already-done"
        bind(
            saleor_api_url=delivery.installation.api_url, event=delivery.event, subject_id=delivery.subject_id
        )
        handler_path = settings.SALEOR_WEBHOOK_HANDLERS.get(delivery.event)
        batch_path = settings.SALEOR_WEBHOOK_BATCH_HANDLERS.get(handler_path or "")
        batchable = handler_path and batch_path and delivery.attempts == 0
        if batchable and _process_together(delivery, handler_path or "", batch_path or ""):
            return "processed"
        handler = _handler_for(delivery.event)
        if handler is not None:
            handler(delivery=delivery, payload=delivery.payload())
        delivery.status = DeliveryStatus.PROCESSED
        delivery.processed_at = timezone.now()
        delivery.attempts = F("attempts") + 1
        delivery.save(update_fields=["status", "processed_at", "attempts"])
    logger.info("delivery processed", extra={"delivery_id": delivery_id})
    return "processed"


_BATCH_FIELDS = ("id", "installation_id", "event", "event_key", "body", "received_at")


def _process_together(delivery: WebhookDelivery, handler_path: str, batch_path: str) -> bool:
    """Process ``delivery`` (locked) with other waiting rows of the same handler; False when the batch failed
    and was undone (inside a savepoint, so ``delivery`` is still locked and can be processed alone)."""
    events = [event for event, path in settings.SALEOR_WEBHOOK_HANDLERS.items() if path == handler_path]
    others: list[WebhookDelivery] = []
    try:
        with collector_paused(), transaction.atomic():
            others = list(
                WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=DeliveryStatus.RECEIVED, attempts=0, event__in=events)
                .exclude(pk=delivery.pk)
                .only(*_BATCH_FIELDS)  # what a batch handler reads; the other columns cost time to load
                .order_by("received_at", "pk")[: BATCH_LIMIT - 1]
            )
            batch = sorted([delivery, *others], key=lambda row: (row.received_at, row.pk))
            import_string(batch_path)(deliveries=[(row, row.payload()) for row in batch])
            with connection.cursor() as cursor:  # one array parameter for the whole batch
                cursor.execute(
                    """UPDATE saleor_app_webhookdelivery SET status = %s, processed_at = %s, attempts = attempts + 1
                       WHERE id = ANY(%s)""",
                    [DeliveryStatus.PROCESSED.value, timezone.now(), [row.pk for row in batch]],
                )
    except Exception:
        logger.warning(
            "batch failed and was undone; this delivery is processed alone",
            exc_info=True,
            extra={"delivery_id": delivery.pk, "batch": len(others) + 1},
        )
        # Their own tasks may have found them locked by this batch and given up: hand them out again.
        after_commit(_enqueue_again, [row.pk for row in others], robust=True)
        return False
    after_commit(recently_done.add, [row.pk for row in batch if row.pk != delivery.pk])
    logger.info("deliveries processed together", extra={"delivery_id": delivery.pk, "batch": len(batch)})
    return True


def _enqueue_again(delivery_ids: list[int]) -> None:
    from shop_extensions.saleor_app.intake import delivery_enqueue  # intake imports this module

    for delivery_id in delivery_ids:
        delivery_enqueue(delivery_id=delivery_id)


def delivery_record_failure(*, delivery_id: int, error: str, final: bool) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.RECEIVED).update(
        attempts=F("attempts") + 1,
        last_error=error[:5000],
        status=DeliveryStatus.FAILED if final else DeliveryStatus.RECEIVED,
    )
