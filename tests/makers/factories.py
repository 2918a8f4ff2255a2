"""Plain builders for makers and catalogue tests (no services, no audit events)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from shop_extensions.catalog.models import LotKind, ProductionLot, StockSync
from shop_extensions.core.actors import user_actor
from shop_extensions.makers.models import Coordinator, CoordinatorRole, Initiative, Maker


def make_user(username: str, **extra: Any) -> Any:
    return get_user_model().objects.create_user(username=username, password="x", **extra)


def make_initiative(name: str = "Atelier West", **extra: Any) -> Initiative:
    return Initiative.objects.create(name=name, legal_name=f"Stichting {name}", **extra)


def make_coordinator(
    initiative: Initiative, username: str, role: str = CoordinatorRole.COORDINATOR
) -> tuple[Any, str]:
    """A user coordinating the initiative, and their actor string."""
    user = make_user(username)
    Coordinator.objects.create(user=user, initiative=initiative, role=role)
    return user, user_actor(user)


_refs = iter(range(1, 10**6))


def make_maker(initiative: Initiative, name: str = "Fatima", **extra: Any) -> Maker:
    fields: dict[str, Any] = {
        "email": f"{name.lower()}@example.test",
        "internal_reference": f"R{next(_refs)}",
    }
    fields.update(extra)
    return Maker.objects.create(initiative=initiative, display_name=name, **fields)


_keys = iter(range(1, 10**6))


def make_lot(
    initiative: Initiative,
    maker: Maker,
    quantity: int,
    *,
    variant: str = "VARIANT-1",
    booked_at: datetime | None = None,
) -> ProductionLot:
    """A delivery lot already in stock (no Saleor call)."""
    return ProductionLot.objects.create(
        initiative=initiative,
        maker=maker,
        saleor_variant_id=variant,
        kind=LotKind.DELIVERY,
        quantity=quantity,
        idempotency_key=f"test-lot-{next(_keys)}",
        booked_at=booked_at or timezone.now(),
        stock_sync=StockSync.SYNCED,
    )
