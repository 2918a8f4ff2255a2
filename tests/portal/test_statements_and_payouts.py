"""Statements (download, share with an expiring link, revoke) and payouts, for the logged-in maker only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shop_extensions.statements.models import StatementShare
from shop_extensions.statements.services import statement_issue
from tests.benefits.factories import set_month_earnings

from .conftest import add_entry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def statements_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "statements": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "statements")},
        },
    }


def last_month():
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


def issue(maker, amount="10.00"):
    month = last_month()
    at = timezone.make_aware(timezone.datetime(month.year, month.month, 10, 12))
    add_entry(maker, amount, at=at)
    set_month_earnings(maker, month, amount)
    statement, _ = statement_issue(maker_id=maker.pk, month=month, actor="system:test")
    return statement


def test_the_statements_page_lists_own_statements_with_downloads(client, world, login_maker):
    mine = issue(world["a"])
    theirs = issue(world["b"], "20.00")
    login_maker(world["a"])

    html = client.get("/portal/statements/").content.decode()

    assert f"/statements/{mine.pk}/pdf/" in html
    assert f"/statements/{mine.pk}/csv/" in html
    assert f"/statements/{theirs.pk}/" not in html
    assert "Verdiend deze maand: €\xa010,00" in html
    assert client.get(f"/statements/{mine.pk}/pdf/").status_code == 200
    assert client.get(f"/statements/{theirs.pk}/pdf/").status_code == 404


def test_a_share_link_is_shown_once_works_and_stops_when_revoked(client, world, login_maker):
    statement = issue(world["a"])
    login_maker(world["a"])

    response = client.post(f"/portal/statements/{statement.pk}/share/", {f"s{statement.pk}-days": "7"})
    first = client.get("/portal/statements/").content.decode()
    second = client.get("/portal/statements/").content.decode()

    assert response.status_code == 302
    share = StatementShare.objects.get(statement=statement)
    assert timedelta(days=6, hours=23) < share.expires_at - timezone.now() <= timedelta(days=7)
    link = first.split('id="new-link" type="text" value="')[1].split('"')[0]
    assert link.startswith("http://testserver/statements/shared/")
    assert 'id="new-link"' not in second
    path = link.removeprefix("http://testserver")
    assert client.get(path).status_code == 200

    client.post(f"/portal/statements/shares/{share.pk}/revoke/")

    assert client.get(path).status_code == 404
    share.refresh_from_db()
    assert share.revoked_at is not None


def test_a_maker_cannot_share_or_revoke_for_another_maker(client, world, login_maker):
    theirs = issue(world["b"])
    their_share = StatementShare.objects.create(
        statement=theirs, token_sha256="0" * 64, expires_at=timezone.now() + timedelta(days=3)
    )
    login_maker(world["a"])

    shared = client.post(f"/portal/statements/{theirs.pk}/share/", {f"s{theirs.pk}-days": "7"})
    revoked = client.post(f"/portal/statements/shares/{their_share.pk}/revoke/")

    assert (shared.status_code, revoked.status_code) == (404, 404)
    assert StatementShare.objects.filter(statement=theirs).count() == 1
    their_share.refresh_from_db()
    assert their_share.revoked_at is None


def test_a_share_longer_than_allowed_is_refused(client, world, login_maker):
    statement = issue(world["a"])
    login_maker(world["a"])

    client.post(f"/portal/statements/{statement.pk}/share/", {f"s{statement.pk}-days": "365"})

    assert StatementShare.objects.count() == 0


def test_payouts_show_where_the_money_is_and_the_way_to_set_up_the_bank_account(client, world, login_maker):
    add_entry(world["a"], "55.00")
    set_month_earnings(world["a"], timezone.localdate().replace(day=1), "55.00")
    login_maker(world["a"])

    html = client.get("/portal/payouts/").content.decode()

    assert "€\xa055,00" in html
    assert "/payouts/onboarding/" in html
    assert "Er is nog geen geld aan u betaald." in html
