"""The participant portal in a real browser: log in with the e-mailed code, then every page in Dutch and
English passes axe-core (WCAG 2.2 AA tags), works with the keyboard alone, and is kept as a screenshot."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from shop_extensions.benefits.selectors import rulebook_cache_clear
from shop_extensions.statements.services import statement_issue, statement_share_create
from tests.benefits.factories import make_situation, set_month_earnings
from tests.makers.factories import make_coordinator, make_initiative, make_lot, make_maker
from tests.portal.conftest import add_entry, code_in

from .conftest import check_page, screenshot

# The login-code mail is a worker's job; here it runs at once, in the live server's thread.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]

PAGES = [
    ("home", "/portal/"),
    ("sales", "/portal/sales/"),
    ("payouts", "/portal/payouts/"),
    ("statements", "/portal/statements/"),
    ("my-data", "/portal/my-data/"),
]


def _rules_loaded() -> None:
    """Transactional tests empty the tables, data migrations included: load the benefit rules again."""
    from shop_extensions.benefits import models
    from shop_extensions.benefits.data.load import rules_sync

    rules_sync(
        rule_model=models.BenefitRule,
        norm_model=models.BijstandNorm,
        reference_model=getattr(models, "ReferenceAmount", None),
    )
    rulebook_cache_clear()


@pytest.fixture
def maker(transactional_db, settings, tmp_path) -> Any:
    settings.STORAGES = {
        **settings.STORAGES,
        "statements": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "statements")},
        },
    }
    _rules_loaded()
    initiative = make_initiative("Atelier West")
    make_coordinator(initiative, "coord-x")
    fatima = make_maker(initiative, "Fatima", email="fatima@example.test")
    month = timezone.localdate().replace(day=1)
    make_situation(fatima, free_period_started=month, income_basis="sale_date")
    lot = make_lot(initiative, fatima, 10, booked_at=timezone.now() - timedelta(days=3))
    for amount in ("12.50", "30.00", "8.25"):
        add_entry(fatima, amount, lot=lot)
    set_month_earnings(fatima, month, "50.75")
    last = (month - timedelta(days=1)).replace(day=1)
    add_entry(
        fatima, "19.99", at=timezone.make_aware(timezone.datetime(last.year, last.month, 12, 12)), lot=lot
    )
    set_month_earnings(fatima, last, "19.99")
    statement, _ = statement_issue(maker_id=fatima.pk, month=last, actor="system:test")
    statement_share_create(maker=fatima, statement_id=statement.pk, days=14)
    return fatima


def log_in(page: Any, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/portal/login/")
    page.get_by_label("Uw e-mailadres").fill(email)
    page.get_by_role("button", name="Stuur mij een code").click()
    page.wait_for_url(f"{base_url}/portal/login/code/")
    page.get_by_label("Code uit de e-mail").fill(code_in(mail.outbox[-1].body))
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base_url}/portal/")


def switch_language(page: Any, name: str) -> None:
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state()


def test_the_login_pages_pass_axe_and_the_keyboard_in_both_languages(page, live_server, maker):
    page.goto(f"{live_server.url}/portal/login/")
    check_page(page, "portal-login-nl")
    switch_language(page, "English")
    assert page.locator("html").get_attribute("lang") == "en"
    check_page(page, "portal-login-en")
    page.get_by_label("Your e-mail address").fill("fatima@example.test")
    page.get_by_role("button", name="Send me a code").click()
    check_page(page, "portal-login-code-en")


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_portal_page_passes_axe_and_the_keyboard(page, live_server, maker, language):
    log_in(page, live_server.url, maker.email)
    if language == "en":
        switch_language(page, "English")

    for name, path in PAGES:
        page.goto(f"{live_server.url}{path}")
        assert page.locator("html").get_attribute("lang") == language
        check_page(page, f"portal-{name}-{language}")


def test_this_month_shows_the_bar_and_the_what_if_answer(page, live_server, maker):
    log_in(page, live_server.url, maker.email)

    meter = page.get_by_role("meter")
    assert meter.get_attribute("value") == "50.75"
    page.get_by_label("Extra bedrag in euro").fill("25")
    page.get_by_role("button", name="Bereken").click()

    assert "Als u €\xa025,00 meer verdient" in page.get_by_role("status").inner_text()
    screenshot(page, "portal-what-if-nl")
    check_page(page, "portal-home-what-if-nl")


def test_a_wrong_code_is_announced_and_the_form_passes_axe(page, live_server, maker):
    page.goto(f"{live_server.url}/portal/login/")
    page.get_by_label("Uw e-mailadres").fill(maker.email)
    page.get_by_role("button", name="Stuur mij een code").click()
    code = code_in(mail.outbox[-1].body)
    page.get_by_label("Code uit de e-mail").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="Inloggen").click()

    assert "Deze code klopt niet" in page.content()
    assert page.get_by_label("Code uit de e-mail").get_attribute("aria-invalid") == "true"
    check_page(page, "portal-login-code-wrong-nl")


def test_the_data_export_downloads_as_json(page, live_server, maker):
    log_in(page, live_server.url, maker.email)
    page.goto(f"{live_server.url}/portal/my-data/")

    with page.expect_download() as download:
        page.get_by_role("link", name="Downloaden (JSON-bestand)").click()

    data = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert data["maker"]["email"] == "fatima@example.test"
    assert len(data["ledger_entries"]) == 4


def test_the_maker_downloads_a_statement_and_shares_it(page, live_server, maker):
    log_in(page, live_server.url, maker.email)
    page.goto(f"{live_server.url}/portal/statements/")

    with page.expect_download() as download:
        page.get_by_role("link", name="PDF downloaden").first.click()
    assert download.value.path().read_bytes()[:5] == b"%PDF-"

    page.get_by_role("button", name="Maak een link voor mijn klantmanager").first.click()
    link = page.get_by_label("Uw nieuwe link").input_value()
    assert "/statements/shared/" in link
    check_page(page, "portal-statements-link-nl")
    page.get_by_role("button", name="Deze link stoppen").first.click()
    assert "De link werkt niet meer." in page.content()


def test_the_sales_table_stacks_on_a_phone_and_shows_the_delivery(page, live_server, maker):
    log_in(page, live_server.url, maker.email)
    page.goto(f"{live_server.url}/portal/sales/")

    first_row = page.locator("tbody tr").first
    assert first_row.evaluate("el => getComputedStyle(el).display") == "block"
    assert "geleverd op" in first_row.inner_text()
