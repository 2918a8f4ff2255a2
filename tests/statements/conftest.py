from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from django.db import transaction

from shop_extensions.benefits.selectors import rulebook_cache_clear
from shop_extensions.catalog.models import AttributionRule, AttributionShare
from shop_extensions.core.money import Money
from shop_extensions.ledger.services import movement_post, order_snapshot_apply
from shop_extensions.ledger.snapshot import parse_order
from shop_extensions.makers.models import Initiative, Maker, SalesChannel
from tests.ledger.builders import BASE_TIME, Line, Order, Step, payload

_ids = count(1)


@pytest.fixture(autouse=True)
def statements_storage(settings, tmp_path):
    """Issued files go to a folder of this test, never to .local/."""
    settings.STORAGES = {
        **settings.STORAGES,
        "statements": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "statements")},
        },
    }
    rulebook_cache_clear()
    yield tmp_path / "statements"
    rulebook_cache_clear()


@pytest.fixture
def installation(make_installation):
    return make_installation(api_url="https://atelier.saleor.test/graphql/", jwks={"keys": []})


@pytest.fixture
def initiative(installation):
    initiative = Initiative.objects.create(
        name="Atelier West",
        legal_name="Stichting Atelier West",
        address="Kinkerstraat 1",
        postal_code="1053 DA",
        city="Amsterdam",
        kvk_number="12345678",
        installation=installation,
        default_commission_percent=Decimal("20.00"),
    )
    SalesChannel.objects.create(installation=installation, initiative=initiative, channel_slug="atelier-west")
    return initiative


@pytest.fixture
def make_maker(initiative):
    def make(name: str, language: str = "nl") -> Maker:
        return Maker.objects.create(
            initiative=initiative,
            display_name=name,
            email=f"{name.lower()}@example.org",
            internal_reference=f"ref-{name}",
            preferred_language=language,
        )

    return make


class Shop:
    """Sells through the real ledger path: rules, paid order snapshots, refunds, payouts."""

    def __init__(self, installation, initiative) -> None:
        self.installation = installation
        self.initiative = initiative
        self.orders: dict[str, Order] = {}

    def rule(self, variant: str, maker: Maker, commission: str = "20") -> None:
        if AttributionRule.objects.filter(saleor_variant_id=variant).exists():
            return
        rule = AttributionRule.objects.create(
            initiative=self.initiative,
            saleor_variant_id=variant,
            commission_percent=Decimal(commission),
            valid_from=BASE_TIME.replace(year=2020),
        )
        AttributionShare.objects.create(rule=rule, maker=maker, percent=Decimal(100))

    def _apply(self, body: dict[str, Any], event: str, when: datetime) -> None:
        body["issuedAt"] = when.isoformat()
        body["order"]["updatedAt"] = when.isoformat()
        with transaction.atomic():
            order_snapshot_apply(
                installation=self.installation,
                snapshot=parse_order(body),
                event=event,
                snapshot_key=f"{event}:{body['order']['id']}:{when.isoformat()}",
            )

    def sell(self, maker: Maker, when: datetime, lines: list[tuple[int, str]], vat: str = "21") -> Order:
        """``lines``: (quantity, unit gross) per line, all made by ``maker``."""
        n = next(_ids)
        built = []
        for i, (qty, unit) in enumerate(lines):
            variant = f"V-{maker.pk}-{i}"
            self.rule(variant, maker)
            built.append(Line(f"L{n}-{i}", variant, qty, Decimal(unit), vat_percent=Decimal(vat)))
        order = Order(f"O{n}", built, number=str(n))
        self.orders[order.id] = order
        self._apply(payload(order, Step("order_fully_paid", charged=order.total)), "order_fully_paid", when)
        return order

    def refund(self, order: Order, amount: Decimal, when: datetime) -> None:
        step = Step("order_refunded", charged=order.total - amount, refunded=amount)
        self._apply(payload(order, step), "order_refunded", when)

    def payout(self, maker: Maker, amount: str, when: datetime, key: str, kind: str = "payout") -> None:
        with transaction.atomic():
            movement_post(
                maker_id=maker.pk,
                initiative_id=maker.initiative_id,
                kind=kind,
                money=Money(Decimal(amount), "EUR"),
                effective_at=when,
                idempotency_key=key,
                reference=f"payout:{key}",
            )


@pytest.fixture
def shop(installation, initiative):
    return Shop(installation, initiative)
