"""Products ↔ makers and booking deliveries, against the Saleor sandbox over real HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from shop_extensions.catalog.models import AttributionRule, ProductionLot, StockSync
from shop_extensions.makers.models import SalesChannel
from shop_extensions.saleor_app.models import Installation
from shop_extensions.saleor_app.sandbox.ids import to_global_id
from shop_extensions.saleor_app.sandbox.server import running_sandbox
from shop_extensions.saleor_app.sandbox.service import Sandbox
from shop_extensions.saleor_app.sandbox.state import App

from ..makers.factories import make_coordinator, make_initiative, make_maker
from ..shared import schema_path

pytestmark = pytest.mark.django_db

VARIANT = to_global_id("ProductVariant", 300)


@pytest.fixture
def box(monkeypatch):
    monkeypatch.setenv("SALEOR_SCHEMA_PATH", str(schema_path()))
    sandbox = Sandbox(retry_delays=(0,))
    with running_sandbox(sandbox):
        yield sandbox


@pytest.fixture
def shop(box, make_installation):
    store = box.store
    app = App(
        pk=store.next_pk("app"),
        identifier="rode-draad.test",
        name="Rode Draad",
        version="1",
        token="app-token-coordinator",
        permissions=["MANAGE_PRODUCTS", "MANAGE_ORDERS"],
        webhooks=[],
        manifest={},
    )
    store.apps[app.pk] = app
    installation = make_installation(api_url=box.api_url, jwks={}, token=app.token)
    initiative = make_initiative(installation=installation, warehouse_id=store.warehouse.id)
    SalesChannel.objects.create(
        installation=installation, initiative=initiative, channel_slug="default-channel"
    )
    user, _ = make_coordinator(initiative, "coord")
    client = Client()
    client.force_login(user)
    return initiative, client


def stock(box: Sandbox) -> int:
    return sum(s.quantity for s in box.store.stocks_of(box.store.variant(VARIANT).pk))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_products_come_from_saleor_and_can_be_searched(shop):
    _, client = shop

    everything = client.get(reverse("coordinator:products"))
    searched = client.get(reverse("coordinator:products"), {"q": "etui"})

    assert [row["product"].name for row in everything.context["rows"]] == [
        "Mondkapje katoen",
        "Boodschappentas",
        "Etui",
    ]
    assert [row["product"].name for row in searched.context["rows"]] == ["Etui"]
    assert len(searched.context["rows"][0]["variants"]) == 2


def test_link_a_product_to_two_makers(shop):
    initiative, client = shop
    fatima, joost = make_maker(initiative, "Fatima"), make_maker(initiative, "Joost")
    product = client.get(reverse("coordinator:products"), {"q": "etui"}).context["rows"][0]["product"]
    assert (
        client.get(reverse("coordinator:product-rule"), {"saleor_product_id": product.id}).status_code == 200
    )

    response = client.post(
        reverse("coordinator:product-rule"),
        {
            "saleor_product_id": product.id,
            "saleor_variant_id": "",
            "commission_percent": "15",
            "shares-TOTAL_FORMS": "3",
            "shares-INITIAL_FORMS": "0",
            "shares-MIN_NUM_FORMS": "3",
            "shares-MAX_NUM_FORMS": "10",
            "shares-0-maker": fatima.pk,
            "shares-0-percent": "60",
            "shares-1-maker": joost.pk,
            "shares-1-percent": "40",
        },
    )

    assert response.status_code == 302
    assert messages_of(response) == ["The shares of Etui are saved."]
    rule = AttributionRule.objects.get(saleor_product_id=product.id)
    assert rule.commission_percent == Decimal("15.00")
    assert sorted((s.maker.display_name, s.percent) for s in rule.shares.all()) == [
        ("Fatima", Decimal("60.00")),
        ("Joost", Decimal("40.00")),
    ]
    listed = client.get(reverse("coordinator:products"), {"q": "etui"}).context["rows"][0]
    assert listed["rule"] == rule


def test_a_product_not_in_the_initiatives_saleor_is_404(shop):
    _, client = shop

    response = client.get(reverse("coordinator:product-rule"), {"saleor_product_id": "UHJvZHVjdDo5OTk="})

    assert response.status_code == 404


def test_a_foreign_maker_cannot_get_a_share(shop, db):
    _, client = shop
    foreign = make_maker(make_initiative("Elders"), "Piet")
    product = client.get(reverse("coordinator:products")).context["rows"][0]["product"]

    response = client.post(
        reverse("coordinator:product-rule"),
        {
            "saleor_product_id": product.id,
            "shares-TOTAL_FORMS": "1",
            "shares-INITIAL_FORMS": "0",
            "shares-MIN_NUM_FORMS": "1",
            "shares-MAX_NUM_FORMS": "10",
            "shares-0-maker": foreign.pk,
            "shares-0-percent": "100",
        },
    )

    assert response.status_code == 200
    assert not AttributionRule.objects.exists()


def test_book_a_delivery_raises_saleors_stock(shop, box):
    initiative, client = shop
    maker = make_maker(initiative, "Fatima")
    form = client.get(reverse("coordinator:lot-create")).context["form"]
    assert (VARIANT, "Mondkapje katoen · Bloemen · RD-MK-BLOEM") in form.fields["saleor_variant_id"].choices
    before = stock(box)
    data = {
        "maker": maker.pk,
        "saleor_variant_id": VARIANT,
        "quantity": "12",
        "idempotency_key": form.initial["idempotency_key"],
    }

    response = client.post(reverse("coordinator:lot-create"), data)
    again = client.post(reverse("coordinator:lot-create"), data)  # a double click books nothing twice

    lot = ProductionLot.objects.get()
    assert (lot.maker, lot.quantity, lot.stock_sync) == (maker, 12, StockSync.SYNCED)
    assert stock(box) == before + 12
    assert messages_of(response) == ["12 pieces by Fatima are booked and in stock in Saleor."]
    assert again.status_code == 302
    listed = client.get(reverse("coordinator:lots")).context["page_obj"]
    assert [(row.pk, row.label) for row in listed] == [(lot.pk, "Mondkapje katoen · Bloemen · RD-MK-BLOEM")]


def test_without_saleor_the_pages_say_so(shop):
    _, client = shop
    Installation.objects.update(is_active=False)

    products = client.get(reverse("coordinator:products"))
    booking = client.get(reverse("coordinator:lot-create"))
    rule = client.get(reverse("coordinator:product-rule"), {"saleor_product_id": "UHJvZHVjdDoxMDA="})

    assert products.status_code == booking.status_code == 200
    assert products.context["rows"] == []
    assert messages_of(products) == ["Saleor could not be reached for the products. Try again in a minute."]
    assert booking.context["catalogue_ok"] is False
    assert rule["Location"] == reverse("coordinator:products")
