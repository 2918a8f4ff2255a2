"""Payouts and statements pages: scoped to the current initiative, every action through its service."""

from __future__ import annotations

import html
import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shop_extensions.catalog.models import AttributionRule, AttributionShare
from shop_extensions.core.models import AuditEvent
from shop_extensions.ledger.services import order_snapshot_apply
from shop_extensions.ledger.snapshot import parse_order
from shop_extensions.makers.models import Initiative, Maker, SalesChannel
from shop_extensions.payouts.models import Payout, PayoutRun, PayoutState, RunKind
from shop_extensions.statements.models import Statement

from ..ledger.builders import BASE_TIME, Line, Order, Step, payload

pytestmark = pytest.mark.django_db


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def make_payout(initiative: Initiative, maker: Maker, state: str = PayoutState.DRAFT, amount: str = "25.00"):
    run = PayoutRun.objects.create(
        initiative=initiative,
        kind=RunKind.ON_DEMAND,
        currency="EUR",
        hold_cutoff=timezone.now(),
        created_by="system:test",
    )
    payout = Payout.objects.create(
        run=run,
        maker=maker,
        initiative=initiative,
        amount=Decimal(amount),
        payable=Decimal(amount),
        currency="EUR",
        state=state,
    )
    return run, payout


def test_payouts_list_shows_states_in_plain_words_and_filters(world, client_x):
    make_payout(world.x, world.maker_x)
    make_payout(world.y, world.maker_y)

    response = client_x.get(reverse("coordinator:payouts"))
    paid = client_x.get(reverse("coordinator:payouts"), {"state": "paid"})

    rows = list(response.context["page_obj"])
    assert [(p.maker.display_name, p.state_text, p.actions) for p in rows] == [
        ("Fatima", "Waiting for the coordinator's approval", ["approve", "cancel"])
    ]
    assert paid.context["page_obj"].paginator.count == 0


def test_approve_and_cancel_a_payout(world, client_x):
    _, payout = make_payout(world.x, world.maker_x)

    approved = client_x.post(reverse("coordinator:payout-action", args=[payout.pk, "approve"]))
    payout.refresh_from_db()
    assert payout.state == PayoutState.APPROVED
    assert texts(approved) == ["The payout of € 25.00 to Fatima is approved."]

    cancelled = client_x.post(reverse("coordinator:payout-action", args=[payout.pk, "cancel"]))
    payout.refresh_from_db()
    assert payout.state == PayoutState.CANCELLED
    assert texts(cancelled)[-1] == "The payout of € 25.00 to Fatima is cancelled."


def test_retry_a_failed_payout(world, client_x):
    _, payout = make_payout(world.x, world.maker_x, state=PayoutState.FAILED)

    response = client_x.post(reverse("coordinator:payout-action", args=[payout.pk, "retry"]))

    payout.refresh_from_db()
    assert payout.state == PayoutState.APPROVED
    assert texts(response) == ["The payout to Fatima is tried again. Now: Approved, about to be sent"]
    assert AuditEvent.objects.filter(action="payout.retry", subject_id=str(payout.pk)).count() == 1


def test_approve_a_whole_run(world, client_x):
    run, payout = make_payout(world.x, world.maker_x)

    response = client_x.post(reverse("coordinator:payout-run-approve", args=[run.pk]))

    payout.refresh_from_db()
    assert payout.state == PayoutState.APPROVED
    assert texts(response) == ["1 payouts are approved and will be sent."]


def test_a_refused_state_change_is_shown_not_done(world, client_x):
    _, payout = make_payout(world.x, world.maker_x, state=PayoutState.PAID)

    response = client_x.post(reverse("coordinator:payout-action", args=[payout.pk, "cancel"]))

    payout.refresh_from_db()
    assert payout.state == PayoutState.PAID
    assert texts(response) == [
        "This payout cannot be changed this way. Its state: Paid into the maker's bank account."
    ]


PAID_REFUSAL = {
    "nl": "U kunt deze uitbetaling niet zo veranderen. Stand: Op de bankrekening gestort.",
    "en": "This payout cannot be changed this way. Its state: Paid into the maker's bank account.",
}


@pytest.mark.parametrize(
    ("chosen_by", "language"), [("header", "nl"), ("header", "en"), ("cookie", "nl"), ("cookie", "en")]
)
def test_a_refusal_is_shown_in_the_coordinators_language(world, client_x, settings, chosen_by, language):
    settings.LANGUAGE_CODE = "nl" if language == "en" else "en"  # the default never decides the language
    _, payout = make_payout(world.x, world.maker_x, state=PayoutState.PAID)
    if chosen_by == "cookie":
        client_x.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    headers = {"accept-language": language} if chosen_by == "header" else {}

    response = client_x.post(
        reverse("coordinator:payout-action", args=[payout.pk, "cancel"]), headers=headers
    )
    shown = client_x.get(response["Location"], headers=headers)

    payout.refresh_from_db()
    assert payout.state == PayoutState.PAID
    assert texts(response) == [PAID_REFUSAL[language]]
    assert html.unescape(shown.content.decode()).count(PAID_REFUSAL[language]) == 1
    other = "en" if language == "nl" else "nl"
    assert PAID_REFUSAL[other] not in html.unescape(shown.content.decode())


def test_foreign_payouts_and_runs_are_404(world, client_x):
    run, payout = make_payout(world.y, world.maker_y)

    assert client_x.post(reverse("coordinator:payout-action", args=[payout.pk, "approve"])).status_code == 404
    assert client_x.post(reverse("coordinator:payout-run-approve", args=[run.pk])).status_code == 404
    assert client_x.post(reverse("coordinator:payout-action", args=[payout.pk, "delete"])).status_code == 404
    payout.refresh_from_db()
    assert payout.state == PayoutState.DRAFT


def test_statements_overview_and_zip_of_a_month(world, client_x):
    page = client_x.get(reverse("coordinator:statements"), {"month": "2026-10"})
    download = client_x.get(reverse("coordinator:statement-zip"), {"month": "2026-10"})

    assert page.status_code == 200
    assert page.context["month"] == date(2026, 10, 1)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"].startswith("attachment;")
    assert zipfile.ZipFile(io.BytesIO(download.content)).testzip() is None


def test_regenerating_needs_a_reason_and_a_maker_of_this_initiative(world, client_x):
    url = reverse("coordinator:statement-regenerate", args=[world.maker_x.pk])

    form = client_x.get(url, {"month": "2026-10"})
    empty = client_x.post(url, {"month": "2026-10", "reason": ""})
    foreign = client_x.post(
        reverse("coordinator:statement-regenerate", args=[world.maker_y.pk]),
        {"month": "2026-10", "reason": "x"},
    )

    assert form.status_code == 200
    assert empty.status_code == 200
    assert empty.context["form"].errors == {"reason": ["This field is required."]}
    assert foreign.status_code == 404


def test_regenerate_makes_a_new_version_with_the_reason(
    world, client_x, settings, tmp_path, make_installation
):
    settings.STORAGES = {
        **settings.STORAGES,
        "statements": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    sell(world, make_installation)  # Fatima earns in November 2026
    url = reverse("coordinator:statement-regenerate", args=[world.maker_x.pk])

    response = client_x.post(url, {"month": "2026-11", "reason": "adres van de maker was fout"})

    assert response.status_code == 302
    assert response["Location"] == reverse("coordinator:statements") + "?month=2026-11"
    assert texts(response) == ["A new statement of 11-2026 for Fatima is made."]
    statement = Statement.objects.get(maker=world.maker_x)
    assert statement.month == date(2026, 11, 1)
    listed = client_x.get(reverse("coordinator:statements"), {"month": "2026-11"})
    assert [(row.maker, row.versions) for row in listed.context["page_obj"]] == [(world.maker_x, 1)]


def test_regenerate_without_activity_says_why_and_makes_nothing(world, client_x):
    url = reverse("coordinator:statement-regenerate", args=[world.maker_x.pk])

    response = client_x.post(url, {"month": "2026-10", "reason": "nog eens"})

    assert response.status_code == 200
    assert texts(response) == ["This maker had no activity in that month."]
    assert not Statement.objects.exists()


def sell(world, make_installation) -> None:
    installation = make_installation(api_url="https://atelier.saleor.test/graphql/", jwks={"keys": []})
    Initiative.objects.filter(pk=world.x.pk).update(installation=installation)
    SalesChannel.objects.create(installation=installation, initiative=world.x, channel_slug="atelier-west")
    rule = AttributionRule.objects.create(
        initiative=world.x, saleor_variant_id="V-1", valid_from=BASE_TIME.replace(year=2025)
    )
    AttributionShare.objects.create(rule=rule, maker=world.maker_x, percent=Decimal(100))
    order = Order(
        id="T3JkZXI6Mg==", lines=[Line(id="L1", variant_id="V-1", quantity=1, unit_gross=Decimal("12.10"))]
    )
    body = payload(order, Step(event="order_fully_paid", charged=order.total))
    order_snapshot_apply(
        installation=installation, snapshot=parse_order(body), event="order_fully_paid", snapshot_key="k1"
    )


def test_payout_events_are_in_the_initiatives_audit_log_only(world, client_x):
    _, payout = make_payout(world.x, world.maker_x)
    client_x.post(reverse("coordinator:payout-action", args=[payout.pk, "approve"]))
    client_y = Client()
    client_y.force_login(world.coordinator_y)

    mine = client_x.get(reverse("coordinator:audit"), {"action": "payout"})
    theirs = client_y.get(reverse("coordinator:audit"), {"action": "payout"})

    assert [(e.action, e.subject_id) for e in mine.context["page_obj"]] == [
        ("payout.approve", str(payout.pk))
    ]
    assert theirs.context["page_obj"].paginator.count == 0
