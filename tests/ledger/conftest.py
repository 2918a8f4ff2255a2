from __future__ import annotations

from decimal import Decimal
from itertools import count

import pytest
from django.utils import timezone

from shop_extensions.catalog.models import AttributionRule, AttributionShare, ProductionLot
from shop_extensions.ledger.services import order_snapshot_apply
from shop_extensions.ledger.snapshot import parse_order
from shop_extensions.makers.models import Initiative, Maker, SalesChannel
from tests.ledger.builders import BASE_TIME

_keys = count()


@pytest.fixture
def installation(make_installation):
    return make_installation(api_url="https://atelier.saleor.test/graphql/", jwks={"keys": []})


@pytest.fixture
def initiative(installation):
    initiative = Initiative.objects.create(
        name="Atelier West",
        legal_name="Stichting Atelier West",
        kvk_number="12345678",
        installation=installation,
        default_commission_percent=Decimal("20.00"),
    )
    SalesChannel.objects.create(installation=installation, initiative=initiative, channel_slug="atelier-west")
    return initiative


@pytest.fixture
def make_maker(initiative):
    def make(name: str, initiative_=None) -> Maker:
        return Maker.objects.create(
            initiative=initiative_ or initiative,
            display_name=name,
            email=f"{name.lower()}@example.org",
            internal_reference=f"ref-{name}",
        )

    return make


@pytest.fixture
def make_rule(initiative):
    def make(
        variant_id: str, shares: list[tuple[Maker, str]], commission: str | None = None, valid_from=None
    ):
        rule = AttributionRule.objects.create(
            initiative=initiative,
            saleor_variant_id=variant_id,
            commission_percent=Decimal(commission) if commission is not None else None,
            valid_from=valid_from or BASE_TIME.replace(year=2025),
        )
        for maker, percent in shares:
            AttributionShare.objects.create(rule=rule, maker=maker, percent=Decimal(percent))
        return rule

    return make


@pytest.fixture
def make_lot(initiative):
    def make(maker: Maker, variant_id: str, quantity: int, minutes_ago: int = 60) -> ProductionLot:
        return ProductionLot.objects.create(
            initiative=initiative,
            maker=maker,
            saleor_variant_id=variant_id,
            quantity=quantity,
            idempotency_key=f"lot-{next(_keys)}",
            booked_at=timezone.now() - timezone.timedelta(minutes=minutes_ago),
            stock_sync="synced",
        )

    return make


@pytest.fixture
def apply(installation):
    def run(payload: dict, event: str, key: str | None = None):
        return order_snapshot_apply(
            installation=installation,
            snapshot=parse_order(payload),
            event=event,
            snapshot_key=key or f"{event}:{payload['order']['id']}:{payload['issuedAt']}",
        )

    return run
