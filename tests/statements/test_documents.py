"""The issued documents: PDF text, CSV round trip, verification of the real file and of a changed one,
immutability, shares the maker can revoke, and the maker's JSON."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from shop_extensions.core.errors import NotFound, ValidationFailed
from shop_extensions.statements import selectors, services
from shop_extensions.statements.models import ImmutableError, Statement, StatementShare

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
OCT = date(2026, 10, 1)


@pytest.fixture
def october(shop, make_maker):
    def make(name: str = "Fatima", language: str = "nl"):
        maker = make_maker(name, language)
        shop.sell(maker, datetime(2026, 10, 3, 12, tzinfo=AMS), [(2, "12.10"), (1, "1815.00")])
        shop.payout(maker, "-1000.00", datetime(2026, 10, 20, 9, tzinfo=AMS), f"p-{name}")
        statement, _ = services.statement_issue(maker_id=maker.pk, month=OCT, actor="system:test")
        return maker, statement

    return make


def pdf_text(payload: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (Debian poppler-utils) is missing: .ci/run installs it")
    path = tmp_path / "statement.pdf"
    path.write_bytes(payload)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_the_pdf_text_holds_the_key_figures_in_dutch_notation(october, tmp_path):
    maker, statement = october()
    found = selectors.statement_file(maker=maker, statement_id=statement.pk, kind="pdf")

    text = pdf_text(found.content, tmp_path)

    assert found.sha256 == statement.pdf_sha256
    assert found.content.startswith(b"%PDF-")
    for expected in [
        "Inkomstenoverzicht oktober 2026",
        "Stichting Atelier West",
        "KvK-nummer 12345678",
        "Fatima",
        "ref-Fatima",
        "Periode 01-10-2026 t/m 31-10-2026",
        "€ 1.815,00",  # gross of the big line
        "€ 1.216,00",  # earned this month: 16.00 + 1200.00
        "€ 1.000,00",  # paid out
        statement.code,
        f"/statements/verify/{statement.code}/",
        "indicatie, geen besluit",
    ]:
        assert expected in text, expected
    assert "1,216.00" not in text


def test_an_english_maker_gets_english_and_english_notation(october, tmp_path):
    maker, statement = october("Sam", "en")

    text = pdf_text(
        selectors.statement_file(maker=maker, statement_id=statement.pk, kind="pdf").content, tmp_path
    )

    assert "Income statement October 2026" in text
    assert "€1,216.00" in text
    assert "€ 1.216,00" not in text


def test_both_csv_files_parse_back_to_the_statement_figures(october):
    maker, statement = october()
    plain = selectors.statement_file(maker=maker, statement_id=statement.pk, kind="csv").content
    excel = selectors.statement_file(maker=maker, statement_id=statement.pk, kind="excel_csv").content

    rows = list(csv.DictReader(io.StringIO(plain.decode("utf-8"))))
    excel_text = excel.decode("utf-8")
    excel_rows = list(csv.reader(io.StringIO(excel_text.removeprefix("\ufeff")), delimiter=";"))

    sales = [r for r in rows if r["section"] == "sale"]
    totals = {r["description"]: D(r["amount"]) for r in rows if r["section"] == "total"}
    assert sum(D(r["amount"]) for r in sales) == D(statement.data["totals"]["sales"]) == D("1216.00")
    assert totals["earned"] == D("1216.00")
    assert totals["paid_out"] == D("1000.00")
    assert totals["ytd_earned"] == D("1216.00")
    assert {r["reference"] for r in rows if r["description"] == "code"} == {statement.code}
    assert excel.startswith("\ufeff".encode())
    assert "\r\n" in excel_text
    assert excel_rows[0][:3] == ["Onderdeel", "Datum", "Omschrijving"]
    excel_totals = {r[2]: D(r[8].replace(",", ".")) for r in excel_rows[1:] if r[0] == "total"}
    assert excel_totals == totals
    assert "1216,00" in excel_text
    assert "1216.00" not in excel_text


def test_verification_confirms_the_real_document_and_rejects_a_changed_one(client, october):
    maker, statement = october()
    real = selectors.statement_file(maker=maker, statement_id=statement.pk, kind="pdf").content
    changed = real[:500] + bytes([real[500] ^ 1]) + real[501:]  # one bit changed

    by_code = client.get(f"/statements/verify/{statement.code}/")
    with_real = client.post("/statements/verify/", {"code": statement.code, "document": io.BytesIO(real)})
    upload = io.BytesIO(changed)
    upload.name = "statement.pdf"
    with_changed = client.post("/statements/verify/", {"code": statement.code, "document": upload})
    unknown = client.get("/statements/verify/AAAAA-AAAAA/")

    assert by_code.status_code == 200
    assert b"Stichting Atelier West" in by_code.content
    assert b"Fatima" not in by_code.content  # no more than the document: not even the participant's name
    assert b"1.216" not in by_code.content
    assert by_code.context["result"].is_newest is True
    assert with_real.context["result"].file_matches is True
    assert with_changed.context["result"].file_matches is False
    assert b"NIET" in with_changed.content
    assert unknown.status_code == 404
    assert selectors.statement_verify(pdf=real).found is True
    assert selectors.statement_verify(pdf=changed).found is False


def test_verification_says_when_a_newer_version_replaces_the_document(shop, october):
    maker, first = october()
    order = next(iter(shop.orders.values()))
    shop.refund(order, D("12.10"), datetime(2026, 10, 25, 12, tzinfo=AMS))
    second, created = services.statement_issue(maker_id=maker.pk, month=OCT, actor="system:test")

    old = selectors.statement_verify(code=first.code.lower().replace("-", ""))
    new = selectors.statement_verify(code=second.code)

    assert created
    assert (old.found, old.is_newest, old.newest_version, old.version) == (True, False, 2, 1)
    assert (new.is_newest, new.version) == (True, 2)
    assert [s.version for s in selectors.statements_for_maker(maker=maker)] == [2, 1]
    assert [s.is_newest for s in selectors.statements_for_maker(maker=maker)] == [True, False]


def test_an_issued_statement_never_changes_in_the_orm_or_in_the_database(october):
    _maker, statement = october()

    with pytest.raises(ImmutableError):
        statement.save()
    with pytest.raises(ImmutableError):
        Statement.objects.filter(pk=statement.pk).update(reason="x")
    with pytest.raises(ImmutableError):
        statement.delete()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE statements_statement SET reason = 'x' WHERE id = %s", [statement.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM statements_statement WHERE id = %s", [statement.pk])
    assert Statement.objects.get(pk=statement.pk).reason == ""


def test_a_share_link_downloads_the_pdf_until_the_maker_revokes_it(client, october):
    maker, statement = october()
    other, _ = october("Noor")
    share, url = services.statement_share_create(maker=maker, statement_id=statement.pk, days=14)
    path = url.removeprefix("http://testserver")

    first = client.get(path)
    services.statement_share_revoke(maker=maker, share_id=share.pk)
    after = client.get(path)

    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first["Cache-Control"] == "no-store"
    assert (
        first.content == selectors.statement_file(maker=maker, statement_id=statement.pk, kind="pdf").content
    )
    assert after.status_code == 404
    assert client.get("/statements/shared/not-a-token/").status_code == 404
    assert StatementShare.objects.get(pk=share.pk).downloads == 1
    with pytest.raises(NotFound):
        services.statement_share_create(maker=other, statement_id=statement.pk, days=14)
    with pytest.raises(NotFound):
        services.statement_share_revoke(maker=other, share_id=share.pk)
    with pytest.raises(ValidationFailed):
        services.statement_share_create(maker=maker, statement_id=statement.pk, days=365)


def test_an_expired_share_link_is_refused(client, october):
    maker, statement = october()
    share, url = services.statement_share_create(maker=maker, statement_id=statement.pk, days=1)
    StatementShare.objects.filter(pk=share.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert client.get(url.removeprefix("http://testserver")).status_code == 404


def test_the_json_endpoint_serves_the_makers_own_statement_only(client, october):
    maker, statement = october()
    _other, theirs = october("Noor")
    maker.user = get_user_model().objects.create_user(username="fatima", password="x")
    maker.save()
    client.force_login(maker.user)

    own = client.get(f"/statements/{statement.pk}/data.json")
    foreign = client.get(f"/statements/{theirs.pk}/data.json")
    download = client.get(f"/statements/{statement.pk}/excel_csv/")

    assert own.status_code == 200
    body = own.json()
    assert (body["version"], body["is_newest"], body["code"]) == (1, True, statement.code)
    assert body["content"]["totals"]["earned"] == "1216.00"
    assert foreign.status_code == 404
    assert download.status_code == 200
    assert download.content.startswith("\ufeff".encode())
    client.logout()
    assert client.get(f"/statements/{statement.pk}/data.json").status_code == 302
