"""Demo data for `make demo`: a fictional sewing atelier selling through the Saleor (sandbox) it is installed in.

Idempotent: run again, it finds what is there and adds nothing twice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from shop_extensions.catalog.models import AttributionRule
from shop_extensions.catalog.services import attribution_rule_set, lot_book
from shop_extensions.makers.models import CoordinatorRole, Initiative, Maker
from shop_extensions.makers.services import (
    coordinator_add,
    initiative_create,
    maker_create,
    sales_channel_link,
)
from shop_extensions.saleor_app import saleor
from shop_extensions.saleor_app.models import Installation

ACTOR = "system:demo"
MAKERS = [  # fictional people
    ("Fatima", "fatima@example.org", "", "nl", "AW-001"),
    ("Joyce", "", "+31 6 00000001", "nl", "AW-002"),
    ("Ahmed", "ahmed@example.org", "", "en", "AW-003"),
]
SHARES = {  # product name -> (maker reference, percent)
    "Mondkapje katoen": [("AW-001", "50"), ("AW-002", "50")],
    "Boodschappentas": [("AW-003", "100")],
    "Etui": [("AW-002", "60"), ("AW-003", "40")],
}
LOTS = [("AW-001", "RD-MK-BLOEM", 10), ("AW-002", "RD-MK-STREEP", 5)]


def seed(*, stdout: Any, saleor_api_url: str | None = None, **_: Any) -> None:
    if not saleor_api_url:
        stdout.write("no --saleor-api-url: the atelier is seeded once the app is installed")
        return
    installation = Installation.objects.get(api_url=saleor_api_url)
    with saleor.client(installation.api_url, installation.token) as client:
        products = [edge.node for edge in client.catalogue_products(first=100).products.edges]  # type: ignore[union-attr]
        first_variant = products[0].variants[0].id  # type: ignore[index]
        stocks = client.variant_stocks(id=first_variant).product_variant
        warehouse_id = stocks.stocks[0].warehouse.id if stocks and stocks.stocks else ""

    # One demo atelier per Saleor it is installed in (a sandbox on another port is another Saleor).
    initiative = Initiative.objects.filter(installation=installation).first() or initiative_create(
        actor=ACTOR,
        name="Naaiatelier West",
        legal_name="Stichting Naaiatelier Amsterdam-West (fictief)",
        kvk_number="99999999",
        address="Voorbeeldstraat 1",
        postal_code="1055 AA",
        city="Amsterdam",
        installation=installation,
        warehouse_id=warehouse_id,
    )
    sales_channel_link(
        initiative=initiative, installation=installation, channel_slug="default-channel", actor=ACTOR
    )
    coordinator = get_user_model().objects.filter(username="coordinator").first()
    if coordinator is not None:
        coordinator_add(initiative=initiative, user=coordinator, role=CoordinatorRole.ADMIN, actor=ACTOR)
    makers = {}
    for name, email, phone, language, reference in MAKERS:
        makers[reference] = Maker.objects.filter(
            initiative=initiative, internal_reference=reference
        ).first() or (
            maker_create(
                initiative=initiative,
                actor=ACTOR,
                display_name=name,
                email=email,
                phone=phone,
                preferred_language=language,
                internal_reference=reference,
                consent_public_name=True,
            )
        )
    for product in products:
        shares = SHARES.get(product.name)
        if (
            not shares
            or AttributionRule.objects.filter(initiative=initiative, saleor_product_id=product.id).exists()
        ):
            continue
        attribution_rule_set(
            initiative=initiative,
            actor=ACTOR,
            saleor_product_id=product.id,
            shares=[(makers[ref], Decimal(pct)) for ref, pct in shares],
            commission_percent=None,
        )
    variants = {variant.sku: variant.id for product in products for variant in product.variants or []}
    for reference, sku, quantity in LOTS:
        if sku in variants:
            lot_book(
                initiative=initiative,
                maker=makers[reference],
                saleor_variant_id=variants[sku],
                quantity=quantity,
                actor=ACTOR,
                idempotency_key=f"demo-lot:{reference}:{sku}",
            )
    stdout.write(f"seeded {initiative.name}: {len(makers)} makers, share rules, {len(LOTS)} production lots")
