"""The coordinator workspace in headless Chromium (Debian's chromium driven by playwright) against a live
server and the Saleor sandbox: a coordinator registers a maker, links a product and books a lot, using the
keyboard only; every coordinator page passes ``check_page`` (axe-core with the WCAG 2.2 A/AA tags: no
violation; every control reached with Tab and visibly focused; a screenshot in ``tests/e2e/artifacts/``),
in Dutch and in English."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest

from shop_extensions.catalog.models import AttributionRule, ProductionLot, StockSync
from shop_extensions.ledger.models import Allocation
from shop_extensions.ledger.services import order_snapshot_apply
from shop_extensions.ledger.snapshot import parse_order
from shop_extensions.makers.models import Maker, SalesChannel
from shop_extensions.saleor_app.sandbox.ids import to_global_id
from shop_extensions.saleor_app.sandbox.server import running_sandbox
from shop_extensions.saleor_app.sandbox.service import Sandbox
from shop_extensions.saleor_app.sandbox.state import App
from tests.ledger.builders import Line, Order, Step, payload
from tests.makers.factories import make_coordinator, make_initiative, make_lot, make_maker
from tests.shared import schema_path

from .conftest import PHONE, check_page, screenshot

pytestmark = [pytest.mark.django_db(transaction=True)]

VARIANT = to_global_id("ProductVariant", 300)  # Mondkapje katoen · Bloemen
PRODUCT_QUERY = "saleor_product_id=" + quote(to_global_id("Product", 100), safe="")  # Mondkapje katoen


@pytest.fixture
def box(monkeypatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("SALEOR_SCHEMA_PATH", str(schema_path()))
    sandbox = Sandbox(retry_delays=(0,))
    with running_sandbox(sandbox):
        yield sandbox


@pytest.fixture
def shop(box, make_installation):
    """An initiative selling through the sandbox, with a coordinator who logs in with a password."""
    app = App(
        pk=box.store.next_pk("app"),
        identifier="rode-draad.e2e",
        name="Rode Draad",
        version="1",
        token="app-token-e2e",
        permissions=["MANAGE_PRODUCTS", "MANAGE_ORDERS"],
        webhooks=[],
        manifest={},
    )
    box.store.apps[app.pk] = app
    installation = make_installation(api_url=box.api_url, jwks={}, token=app.token)
    initiative = make_initiative(
        "Atelier West", installation=installation, warehouse_id=box.store.warehouse.id
    )
    SalesChannel.objects.create(
        installation=installation, initiative=initiative, channel_slug="default-channel"
    )
    user, _ = make_coordinator(initiative, "coordinator")
    user.set_password("werkplek-2026")
    user.save()
    return initiative


def stock(box: Sandbox) -> int:
    return sum(s.quantity for s in box.store.stocks_of(box.store.variant(VARIANT).pk))


def tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has focus: proves it is reachable by keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def choose(page: Any, selector: str, label: str) -> None:
    """Pick an option of a focused <select> with the arrow keys only."""
    tab_to(page, selector)
    for _ in range(40):
        if page.evaluate(
            "(s) => { const e = document.querySelector(s); return e.options[e.selectedIndex].text; }",
            selector,
        ).startswith(label):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no option {label!r} in {selector}")


def login(page: Any, base: str) -> None:
    page.goto(f"{base}/coordinator/login/")
    tab_to(page, "#id_username")
    page.keyboard.type("coordinator")
    page.keyboard.press("Tab")
    page.keyboard.type("werkplek-2026")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/coordinator/makers/")


def test_register_link_and_book_with_the_keyboard_only(page, live_server, shop, box):
    base = live_server.url
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    login(page, base)

    # register a maker
    tab_to(page, "a[href='/coordinator/makers/new/']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/coordinator/makers/new/")
    tab_to(page, "#id_display_name")
    page.keyboard.type("Fatima")
    tab_to(page, "#id_internal_reference")
    page.keyboard.type("AW-001")
    tab_to(page, "#id_email")
    page.keyboard.type("fatima@example.test")
    tab_to(page, "#id_consent_public_name")
    page.keyboard.press("Space")
    tab_to(page, "button[type='submit'].button--primary")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/coordinator/makers/*/")
    assert "Fatima is ingeschreven als maker." in page.inner_text(".messages")
    screenshot(page, "coordinator-maker-registered")
    maker = Maker.objects.get(display_name="Fatima")
    assert (maker.initiative_id, maker.consent_public_name) == (shop.pk, True)

    # link a product to her
    tab_to(page, "a[href='/coordinator/products/']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/coordinator/products/")
    screenshot(page, "coordinator-products")
    tab_to(page, f"a[href$='{PRODUCT_QUERY}']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/coordinator/products/shares/?{PRODUCT_QUERY}")
    choose(page, "#id_shares-0-maker", "Fatima")
    tab_to(page, "#id_shares-0-percent")
    page.keyboard.type("100")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/coordinator/products/")
    assert "De delen van Mondkapje katoen zijn opgeslagen." in page.inner_text(".messages")
    rule = AttributionRule.objects.get()
    assert [(s.maker_id, s.percent) for s in rule.shares.all()] == [(maker.pk, Decimal("100.00"))]

    # book a delivery: Saleor's stock rises
    before = stock(box)
    tab_to(page, "a[href='/coordinator/lots/']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/coordinator/lots/")
    tab_to(page, "a[href='/coordinator/lots/new/']")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/coordinator/lots/new/")
    choose(page, "#id_maker", "Fatima")
    choose(page, "#id_saleor_variant_id", "Mondkapje katoen · Bloemen")
    tab_to(page, "#id_quantity")
    page.keyboard.type("12")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/coordinator/lots/")
    assert "12 stuks van Fatima zijn geboekt en staan op voorraad in Saleor." in page.inner_text(".messages")
    screenshot(page, "coordinator-lots")
    lot = ProductionLot.objects.get()
    assert (lot.maker_id, lot.saleor_variant_id, lot.quantity, lot.stock_sync) == (
        maker.pk,
        VARIANT,
        12,
        StockSync.SYNCED,
    )
    assert stock(box) == before + 12
    assert [url for url in failed if not url.endswith("/favicon.ico")] == []
    assert [e for e in errors if "404" not in e] == []  # no CSP refusals or script errors in the console


def _unattributed_sale(initiative) -> int:
    order = Order(
        id="T3JkZXI6ZTJl",
        lines=[Line(id="L1", variant_id="V-NOBODY", quantity=1, unit_gross=Decimal("9.95"))],
    )
    body = payload(order, Step(event="order_fully_paid", charged=order.total))
    body["order"]["channel"]["slug"] = "default-channel"
    order_snapshot_apply(
        installation=initiative.installation,
        snapshot=parse_order(body),
        event="order_fully_paid",
        snapshot_key="e2e",
    )
    return Allocation.objects.get(maker__isnull=True).pk


@pytest.mark.parametrize("locale", ["nl-NL", "en-GB"])
def test_every_coordinator_page_passes_axe_and_the_keyboard(browser, live_server, shop, locale):
    maker = make_maker(shop, "Fatima")
    lot = make_lot(shop, maker, 5, variant=VARIANT)
    allocation = _unattributed_sale(shop)
    base = live_server.url
    context = browser.new_context(viewport=PHONE, locale=locale)
    context.set_default_timeout(10_000)
    page = context.new_page()
    language = locale[:2]
    page.goto(f"{base}/app/")
    check_page(page, f"coordinator-dashboard-entry-{language}")
    page.goto(f"{base}/coordinator/login/")
    check_page(page, f"coordinator-login-{language}")
    login(page, base)
    pages = {
        "makers": "/coordinator/makers/",
        "maker-create": "/coordinator/makers/new/",
        "maker": f"/coordinator/makers/{maker.pk}/",
        "maker-edit": f"/coordinator/makers/{maker.pk}/edit/",
        "maker-situation": f"/coordinator/makers/{maker.pk}/situation/",
        "products": "/coordinator/products/",
        "product-rule": f"/coordinator/products/shares/?{PRODUCT_QUERY}",
        "lots": "/coordinator/lots/",
        "lot-create": "/coordinator/lots/new/",
        "lot-correct": f"/coordinator/lots/{lot.pk}/correct/",
        "unattributed": "/coordinator/unattributed/",
        "unattributed-resolve": f"/coordinator/unattributed/{allocation}/",
        "positions": "/coordinator/positions/",
        "audit": "/coordinator/audit/",
        "payouts": "/coordinator/payouts/",
        "statements": "/coordinator/statements/",
        "statement-regenerate": f"/coordinator/statements/makers/{maker.pk}/regenerate/?month=2026-10",
    }
    for name, path in pages.items():
        response = page.goto(base + path)
        assert response is not None, path
        assert response.status == 200, path
        assert page.get_attribute("html", "lang") == language, path
        check_page(page, f"coordinator-{name}-{language}")
    # a form with errors is a page too
    page.goto(base + "/coordinator/makers/new/")
    page.click("button[type='submit'].button--primary")
    page.wait_for_selector(".errorlist")
    check_page(page, f"coordinator-maker-create-errors-{language}")
    context.close()
