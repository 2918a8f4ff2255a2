"""The portal's pages show the logged-in maker's own data only, in plain words, in Dutch and English."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core import mail
from django.utils import timezone

from shop_extensions.core.models import AuditEvent
from shop_extensions.portal.models import DeletionRequest
from tests.benefits.factories import make_situation, set_month_earnings

from .conftest import add_entry

pytestmark = pytest.mark.django_db


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def test_this_month_shows_earnings_meaning_bar_room_and_that_it_is_an_indication(client, world, login_maker):
    maker = world["a"]
    make_situation(maker, free_period_started=this_month(), income_basis="sale_date")
    set_month_earnings(maker, this_month(), "100.00")
    login_maker(maker)

    html = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert "€\xa0100,00" in html
    assert '<meter id="threshold-bar"' in html
    assert 'value="100.00"' in html
    assert "Dit is een indicatie, geen besluit." in html
    assert "U kunt deze maand nog ongeveer €\xa0" in html
    assert 'lang="nl"' in html


def test_without_a_known_benefit_the_page_says_so_and_shows_no_bar(client, world, login_maker):
    maker = world["a"]
    make_situation(maker, regime="other")
    login_maker(maker)

    html = client.get("/portal/").content.decode()

    assert "<meter" not in html
    assert "Wij weten te weinig over uw uitkering" in html


def test_the_what_if_check_says_how_much_of_the_extra_is_kept(client, world, login_maker):
    maker = world["a"]
    make_situation(maker, free_period_started=this_month(), income_basis="sale_date")
    set_month_earnings(maker, this_month(), "100.00")
    login_maker(maker)

    html = client.get("/portal/", {"extra": "40"}).content.decode()

    assert "Als u €\xa040,00 meer verdient, houdt u ongeveer €\xa0" in html


def test_the_what_if_check_refuses_a_negative_amount(client, world, login_maker):
    login_maker(world["a"])

    html = client.get("/portal/", {"extra": "-5"}).content.decode()

    assert 'aria-invalid="true"' in html
    assert "Als u" not in html


def test_sales_lists_only_the_makers_own_entries_newest_first(client, world, login_maker):
    add_entry(world["a"], "12.50")
    add_entry(world["a"], "-2.50", kind="reversal")
    add_entry(world["b"], "99.99")
    login_maker(world["a"])

    html = client.get("/portal/sales/").content.decode()

    assert "€\xa012,50" in html
    assert "€\xa0-2,50" in html
    assert "99,99" not in html
    assert html.index("-2,50") < html.index("12,50")


def test_sales_paginate_by_twenty(client, world, login_maker):
    for _ in range(21):
        add_entry(world["a"], "1.00")
    login_maker(world["a"])

    first = client.get("/portal/sales/").content.decode()
    second = client.get("/portal/sales/", {"page": 2}).content.decode()

    assert first.count("€\xa01,00") == 20
    assert second.count("€\xa01,00") == 1
    assert "Pagina 2 van 2" in second


def test_payouts_show_the_balance_waiting(client, world, login_maker):
    set_month_earnings(world["a"], this_month(), "55.00")
    login_maker(world["a"])

    html = client.get("/portal/payouts/").content.decode()

    assert "€\xa055,00" in html


def test_my_data_shows_everything_and_audits_the_benefit_read(client, world, login_maker):
    maker = world["a"]
    make_situation(maker, municipality="amsterdam", medically_limited=True)
    add_entry(maker, "3.00")
    login_maker(maker)

    html = client.get("/portal/my-data/").content.decode()

    assert "fatima@example.test" in html
    assert "amsterdam" in html
    assert "1 regel" in html
    # the situation in words, not codes
    assert "<dd>Bijstand</dd>" in html
    assert "Wanneer er iets wordt verkocht" in html  # the factory counts on sale date
    assert (
        AuditEvent.objects.filter(action="benefit_situation.self_read", subject_id=str(maker.pk)).count() == 1
    )


def test_the_export_is_a_json_download_of_the_makers_own_data(client, world, login_maker):
    add_entry(world["a"], "3.00")
    add_entry(world["b"], "4.00")
    login_maker(world["a"])

    response = client.get("/portal/my-data/export.json")

    assert response["Content-Disposition"] == 'attachment; filename="rode-draad-my-data.json"'
    data = json.loads(response.content)
    assert data["maker"]["email"] == "fatima@example.test"
    assert [e["amount"] for e in data["ledger_entries"]] == ["3.00"]
    assert data["consent"] == {"public_name": False, "share_statements": False}


def test_asking_for_deletion_records_it_once_audits_and_tells_the_coordinator(
    client, world, login_maker, django_capture_on_commit_callbacks
):
    maker = world["a"]
    login_maker(maker)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        answered = client.post("/portal/my-data/delete/", {"note": "graag"}, follow=True)
        client.post("/portal/my-data/delete/", {"note": "nog eens"})

    assert DeletionRequest.objects.filter(maker=maker).count() == 1
    assert AuditEvent.objects.filter(action="maker.deletion_requested", subject_id=str(maker.pk)).count() == 1
    assert [m.to for m in mail.outbox] == [["coord-x@example.test"]]
    assert "fatima" not in mail.outbox[0].body.lower()
    assert "Wij hebben uw verzoek." in answered.content.decode()


def test_the_language_switch_changes_the_page_language(client, world, login_maker):
    login_maker(world["a"])

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/portal/sales/"})
    html = client.get("/portal/sales/").content.decode()

    assert response["Location"] == "/portal/sales/"
    assert 'lang="en"' in html
    assert "Nothing sold yet" in html


def test_every_portal_page_has_the_content_security_policy(client, world, login_maker):
    login_maker(world["a"])

    for url in ["/portal/", "/portal/sales/", "/portal/payouts/", "/portal/statements/", "/portal/my-data/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Security-Policy"] == (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        )
        assert "<script" not in response.content.decode()
        assert " style=" not in response.content.decode()
