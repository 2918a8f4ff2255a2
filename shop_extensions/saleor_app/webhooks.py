"""The webhooks the app subscribes to: event, URL slug and subscription document, side by side."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

SUBSCRIPTIONS_DIR = Path(__file__).parent / "graphql" / "subscriptions"
ORDER_FRAGMENT = "order_fragment.graphql"


@dataclass(frozen=True)
class WebhookDefinition:
    event: str  # Saleor's enum name, e.g. ORDER_FULLY_PAID
    document: str  # file in graphql/subscriptions/
    fragments: tuple[str, ...] = ()

    @property
    def header_value(self) -> str:
        """What Saleor sends in the Saleor-Event header."""
        return self.event.lower()

    @property
    def slug(self) -> str:
        return self.event.lower().replace("_", "-")

    @property
    def name(self) -> str:
        return f"Rode Draad {self.event.lower().replace('_', ' ')}"

    @property
    def query(self) -> str:
        return subscription_query(self.document, self.fragments)


@cache
def subscription_query(document: str, fragments: tuple[str, ...]) -> str:
    parts = [(SUBSCRIPTIONS_DIR / document).read_text()]
    parts += [(SUBSCRIPTIONS_DIR / fragment).read_text() for fragment in fragments]
    return "\n".join(parts)


_ORDER = (ORDER_FRAGMENT,)

WEBHOOKS: tuple[WebhookDefinition, ...] = (
    WebhookDefinition("ORDER_FULLY_PAID", "order_fully_paid.graphql", _ORDER),
    WebhookDefinition("ORDER_PAID", "order_paid.graphql", _ORDER),
    WebhookDefinition("ORDER_REFUNDED", "order_refunded.graphql", _ORDER),
    WebhookDefinition("ORDER_FULLY_REFUNDED", "order_fully_refunded.graphql", _ORDER),
    WebhookDefinition("ORDER_CANCELLED", "order_cancelled.graphql", _ORDER),
    WebhookDefinition("ORDER_UPDATED", "order_updated.graphql", _ORDER),
    WebhookDefinition("PRODUCT_VARIANT_DELETED", "product_variant_deleted.graphql"),
)

BY_SLUG = {definition.slug: definition for definition in WEBHOOKS}
