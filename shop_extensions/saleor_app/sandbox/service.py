"""``Sandbox``: the store, keys, apps and webhook dispatch together (used by the server and tests)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import httpx

from .apps import install_app
from .graphql_api import ApiResponse, execute_api
from .keys import KeyStore
from .state import App, LineSpec, Order, PendingEvent, Store
from .webhooks import SALEOR_RETRY_DELAYS, Delivery, DeliveryRecord, Dispatcher, build_deliveries


class Sandbox:
    def __init__(
        self,
        api_url: str = "http://127.0.0.1:8001/graphql/",
        *,
        key_file: str | None = None,
        retry_delays: Sequence[float] = SALEOR_RETRY_DELAYS,
        seed: int = 20261129,
    ) -> None:
        self.api_url = api_url
        self.store = Store(seed=seed)
        self.keys = KeyStore(key_file)
        self.dispatcher = Dispatcher(retry_delays)

    # -- apps ---------------------------------------------------------------------------------------
    def install(self, manifest_url: str, client: httpx.Client | None = None) -> App:
        return install_app(self.store, manifest_url, self.api_url, client=client)

    # -- GraphQL ------------------------------------------------------------------------------------
    def graphql(self, payload: Any, authorization: str | None = None) -> ApiResponse:
        """Answer a GraphQL request; events fired by mutations (stock updates) are dispatched."""
        response = execute_api(self.store, authorization, payload)
        if response.events:
            self.dispatch(response.events)
        return response

    # -- events -------------------------------------------------------------------------------------
    def deliveries(self, events: Iterable[PendingEvent]) -> list[Delivery]:
        """Signed deliveries for the events, not sent."""
        return build_deliveries(self.store, self.keys, self.api_url, events)

    def dispatch(self, events: Iterable[PendingEvent]) -> list[DeliveryRecord]:
        return self.dispatcher.dispatch(self.deliveries(events))

    # -- order steps, each returning the events it fired ----------------------------------------------
    def create_paid_order(
        self, lines: Sequence[LineSpec] | None = None, *, shipping_gross: Decimal = Decimal("0")
    ) -> tuple[Order, list[PendingEvent]]:
        order, created = self.store.create_order(lines, shipping_gross=shipping_gross)
        return order, created + self.store.mark_as_paid(order.id)

    def refund(
        self,
        order_id: str,
        *,
        lines: Iterable[tuple[str, int]] = (),
        amount: Decimal | None = None,
        reason: str | None = None,
    ) -> list[PendingEvent]:
        return self.store.refund(order_id, lines=lines, amount=amount, reason=reason)

    def cancel(self, order_id: str) -> list[PendingEvent]:
        return self.store.cancel(order_id)

    def close(self) -> None:
        self.dispatcher.stop()
