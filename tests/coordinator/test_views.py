"""The coordinator workspace through Django's test client: login, scoping to the current initiative (a foreign
id is 404), every action calls its service and confirms what it did."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shop_extensions.benefits.models import BenefitSituation, Position
from shop_extensions.coordinator.views.common import SESSION_INITIATIVE
from shop_extensions.core.models import AuditEvent
from shop_extensions.ledger.models import Allocation
from shop_extensions.ledger.services import order_snapshot_apply
from shop_extensions.ledger.snapshot import parse_order
from shop_extensions.makers.models import Coordinator, Maker, SalesChannel

from ..ledger.builders import Line, Order, Step, payload
from ..makers.factories import make_lot, make_maker, make_user

pytestmark = pytest.mark.django_db


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# -- getting in -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["coordinator:makers", "coordinator:lots", "coordinator:positions", "coordinator:audit"]
)
def test_anonymous_visitor_is_sent_to_the_coordinator_login(name):
    response = Client().get(reverse(name))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('coordinator:login')}?next={reverse(name)}"


def test_login_with_password_opens_the_workspace(world):
    world.coordinator_x.set_password("s3cret-pass")
    world.coordinator_x.save()

    response = Client().post(
        reverse("coordinator:login"), {"username": "coord-x", "password": "s3cret-pass"}, follow=True
    )

    assert response.redirect_chain[-1] == (reverse("coordinator:makers"), 302)
    assert "Fatima" in response.content.decode()


def test_wrong_password_is_refused_without_a_session(world):
    client = Client()

    response = client.post(reverse("coordinator:login"), {"username": "coord-x", "password": "nope"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_user_without_an_initiative_cannot_log_in(world):
    make_user("maker-account")  # password "x"
    client = Client()

    response = client.post(reverse("coordinator:login"), {"username": "maker-account", "password": "x"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_logged_in_non_coordinator_gets_403(world):
    client = Client()
    client.force_login(make_user("someone"))

    assert client.get(reverse("coordinator:makers")).status_code == 403


def test_logout_is_a_post_and_ends_the_session(client_x):
    assert client_x.get(reverse("coordinator:logout")).status_code == 405

    response = client_x.post(reverse("coordinator:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client_x.session


def test_actions_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.coordinator_x)

    response = client.post(
        reverse("coordinator:maker-create"),
        {
            "display_name": "Anna",
            "internal_reference": "A1",
            "email": "a@example.test",
            "preferred_language": "nl",
        },
    )

    assert response.status_code == 403
    assert not Maker.objects.filter(display_name="Anna").exists()


# -- initiatives ---------------------------------------------------------------------------------------


def test_a_coordinator_of_two_initiatives_switches_between_them(world):
    Coordinator.objects.create(user=world.coordinator_x, initiative=world.y)
    client = Client()
    client.force_login(world.coordinator_x)
    assert "Fatima" in client.get(reverse("coordinator:makers")).content.decode()  # X comes first by name

    response = client.post(reverse("coordinator:initiative-switch"), {"initiative": world.y.pk})

    assert response.status_code == 302
    page = client.get(reverse("coordinator:makers")).content.decode()
    assert "Joost" in page
    assert "Fatima" not in page


def test_switching_to_a_foreign_initiative_is_refused(world, client_x):
    response = client_x.post(reverse("coordinator:initiative-switch"), {"initiative": world.y.pk})

    assert texts(response) == ["You do not coordinate that initiative."]
    assert SESSION_INITIATIVE not in client_x.session


# -- makers --------------------------------------------------------------------------------------------


def test_makers_list_shows_only_the_initiatives_makers_and_filters(world, client_x):
    make_maker(world.x, "Anouk", is_active=False)

    active = client_x.get(reverse("coordinator:makers")).content.decode()
    inactive = client_x.get(reverse("coordinator:makers"), {"active": "inactive"}).content.decode()
    searched = client_x.get(reverse("coordinator:makers"), {"q": "fat", "active": "all"}).content.decode()

    assert ("Fatima" in active, "Anouk" in active, "Joost" in active) == (True, False, False)
    assert ("Anouk" in inactive, "Fatima" in inactive) == (True, False)
    assert ("Fatima" in searched, "Anouk" in searched) == (True, False)


def test_makers_list_paginates_with_its_filters(world, client_x):
    for number in range(30):
        make_maker(world.x, f"Maker{number:02d}")

    first = client_x.get(reverse("coordinator:makers"), {"q": "maker"})
    second = client_x.get(reverse("coordinator:makers"), {"q": "maker", "page": 2})

    assert first.context["page_obj"].paginator.count == 30
    assert len(first.context["page_obj"].object_list) == 25
    assert len(second.context["page_obj"].object_list) == 5
    assert 'href="?q=maker&amp;page=2"' in first.content.decode()


def test_register_a_maker(world, client_x):
    response = client_x.post(
        reverse("coordinator:maker-create"),
        {
            "display_name": "Anna",
            "internal_reference": "A-17",
            "email": "anna@example.test",
            "preferred_language": "en",
            "consent_public_name": "on",
        },
    )

    maker = Maker.objects.get(display_name="Anna")
    assert response["Location"] == reverse("coordinator:maker", args=[maker.pk])
    assert (maker.initiative, maker.preferred_language, maker.consent_public_name) == (world.x, "en", True)
    assert texts(response) == ["Anna is registered as a maker."]
    event = AuditEvent.objects.get(action="maker.created", subject_id=str(maker.pk))
    assert event.actor == f"user:{world.coordinator_x.pk}"


def test_register_without_contact_details_stores_nothing(world, client_x):
    response = client_x.post(
        reverse("coordinator:maker-create"),
        {"display_name": "Anna", "internal_reference": "A-17", "preferred_language": "nl"},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Give an e-mail address or a phone number."]
    assert not Maker.objects.filter(display_name="Anna").exists()


def test_register_a_taken_reference_shows_the_services_refusal(world, client_x):
    response = client_x.post(
        reverse("coordinator:maker-create"),
        {
            "display_name": "Anna",
            "internal_reference": world.maker_x.internal_reference,
            "email": "anna@example.test",
            "preferred_language": "nl",
        },
    )

    assert response.status_code == 200
    assert len(texts(response)) == 1
    assert Maker.objects.filter(initiative=world.x).count() == 1


def test_edit_a_maker_changes_only_what_changed_and_audits_consent(world, client_x):
    maker = world.maker_x

    response = client_x.post(
        reverse("coordinator:maker-edit", args=[maker.pk]),
        {
            "display_name": maker.display_name,
            "internal_reference": maker.internal_reference,
            "email": maker.email,
            "phone": "",
            "preferred_language": "nl",
            "consent_share_statements": "on",
            "is_active": "on",
        },
    )

    maker.refresh_from_db()
    assert response.status_code == 302
    assert maker.consent_share_statements is True
    event = AuditEvent.objects.get(action="maker.updated", subject_id=str(maker.pk))
    assert event.data["fields"] == ["consent_share_statements"]
    assert event.data["consent"] == {"consent_share_statements": {"old": False, "new": True}}


@pytest.mark.parametrize(
    "name", ["coordinator:maker", "coordinator:maker-edit", "coordinator:maker-situation"]
)
def test_a_maker_of_another_initiative_is_404(world, client_x, name):
    assert client_x.get(reverse(name, args=[world.maker_y.pk])).status_code == 404
    assert client_x.get(reverse(name, args=[999_999])).status_code == 404


def test_posting_to_a_foreign_maker_changes_nothing(world, client_x):
    response = client_x.post(
        reverse("coordinator:maker-edit", args=[world.maker_y.pk]),
        {
            "display_name": "Hacked",
            "internal_reference": "X",
            "email": "h@example.test",
            "preferred_language": "nl",
        },
    )

    world.maker_y.refresh_from_db()
    assert response.status_code == 404
    assert world.maker_y.display_name == "Joost"


def test_a_maker_of_my_other_initiative_is_404_until_i_switch(world):
    Coordinator.objects.create(user=world.coordinator_x, initiative=world.y)
    client = Client()
    client.force_login(world.coordinator_x)

    before = client.get(reverse("coordinator:maker", args=[world.maker_y.pk]))
    client.post(reverse("coordinator:initiative-switch"), {"initiative": world.y.pk})
    after = client.get(reverse("coordinator:maker", args=[world.maker_y.pk]))

    assert (before.status_code, after.status_code) == (404, 200)


def test_reading_the_benefit_situation_is_audited(world, client_x):
    response = client_x.get(reverse("coordinator:maker-situation", args=[world.maker_x.pk]))

    assert response.status_code == 200
    read = AuditEvent.objects.get(action="benefit_situation.health_read")
    assert (read.actor, read.subject_id) == (f"user:{world.coordinator_x.pk}", str(world.maker_x.pk))


def test_set_the_benefit_situation(world, client_x):
    response = client_x.post(
        reverse("coordinator:maker-situation", args=[world.maker_x.pk]),
        {
            "regime": "bijstand",
            "municipality": "Utrecht",
            "household_type": "single",
            "medically_limited": "on",
            "income_basis": "payout_date",
            "personal_monthly_limit": "",
        },
    )

    situation = BenefitSituation.objects.get(maker=world.maker_x)
    assert response.status_code == 302
    assert (situation.regime, situation.municipality, situation.medically_limited) == (
        "bijstand",
        "utrecht",
        True,
    )
    assert texts(response) == ["The benefit situation of Fatima is saved."]
    assert AuditEvent.objects.filter(action="benefit_situation.health_changed").count() == 1


# -- lots ----------------------------------------------------------------------------------------------


def test_lots_list_is_scoped_and_filters_by_maker(world, client_x):
    other = make_maker(world.x, "Anouk")
    mine = make_lot(world.x, world.maker_x, 7, variant="V-MINE")
    make_lot(world.x, other, 3, variant="V-OTHER")
    make_lot(world.y, world.maker_y, 5, variant="V-FOREIGN")

    everything = client_x.get(reverse("coordinator:lots"))
    filtered = client_x.get(reverse("coordinator:lots"), {"maker": world.maker_x.pk})

    assert [lot.saleor_variant_id for lot in everything.context["page_obj"]] == ["V-OTHER", "V-MINE"]
    assert [lot.pk for lot in filtered.context["page_obj"]] == [mine.pk]


def test_correcting_a_lot_books_a_new_row(world, client_x):
    lot = make_lot(world.x, world.maker_x, 7)
    form = client_x.get(reverse("coordinator:lot-correct", args=[lot.pk])).context["form"]

    response = client_x.post(
        reverse("coordinator:lot-correct", args=[lot.pk]),
        {"quantity": "-2", "reason": "twee beschadigd", "idempotency_key": form.initial["idempotency_key"]},
    )

    correction = lot.corrections.get()
    assert response.status_code == 302
    assert (correction.quantity, correction.reason) == (-2, "twee beschadigd")
    assert texts(response) == ["The correction of -2 pieces is booked."]


def test_a_foreign_lot_is_404(world, client_x):
    foreign = make_lot(world.y, world.maker_y, 5)

    assert client_x.get(reverse("coordinator:lot-correct", args=[foreign.pk])).status_code == 404
    response = client_x.post(
        reverse("coordinator:lot-correct", args=[foreign.pk]),
        {"quantity": "-5", "reason": "weg", "idempotency_key": "k-1"},
    )
    assert response.status_code == 404
    assert not foreign.corrections.exists()


# -- unattributed sales --------------------------------------------------------------------------------


@pytest.fixture
def unattributed(world, make_installation):
    installation = make_installation(api_url="https://atelier.saleor.test/graphql/", jwks={"keys": []})
    world.x.installation = installation
    world.x.save(update_fields=["installation"])
    SalesChannel.objects.create(installation=installation, initiative=world.x, channel_slug="atelier-west")
    order = Order(
        id="T3JkZXI6MQ==",
        lines=[Line(id="L1", variant_id="V-NOBODY", quantity=2, unit_gross=Decimal("12.10"))],
    )
    body = payload(order, Step(event="order_fully_paid", charged=order.total))
    order_snapshot_apply(
        installation=installation, snapshot=parse_order(body), event="order_fully_paid", snapshot_key="k1"
    )
    return Allocation.objects.get(maker__isnull=True)


def test_unattributed_queue_and_resolve(world, client_x, unattributed):
    listed = client_x.get(reverse("coordinator:unattributed"))
    assert [item.pk for item in listed.context["page_obj"]] == [unattributed.pk]

    response = client_x.post(
        reverse("coordinator:unattributed-resolve", args=[unattributed.pk]),
        {
            "shares-TOTAL_FORMS": "3",
            "shares-INITIAL_FORMS": "0",
            "shares-MIN_NUM_FORMS": "3",
            "shares-MAX_NUM_FORMS": "10",
            "shares-0-maker": world.maker_x.pk,
            "shares-0-percent": "100",
        },
    )

    assert response.status_code == 302
    assert texts(response) == ["The sale is attributed to Fatima."]
    assert Allocation.objects.get(resolves=unattributed).maker == world.maker_x
    assert client_x.get(reverse("coordinator:unattributed")).context["page_obj"].paginator.count == 0


def test_shares_that_do_not_make_100_are_refused_before_the_service(world, client_x, unattributed):
    response = client_x.post(
        reverse("coordinator:unattributed-resolve", args=[unattributed.pk]),
        {
            "shares-TOTAL_FORMS": "3",
            "shares-INITIAL_FORMS": "0",
            "shares-MIN_NUM_FORMS": "3",
            "shares-MAX_NUM_FORMS": "10",
            "shares-0-maker": world.maker_x.pk,
            "shares-0-percent": "60",
        },
    )

    assert response.status_code == 200
    assert response.context["shares"].non_form_errors() == [
        "The shares add up to 60%; they must add up to exactly 100%."
    ]
    assert not Allocation.objects.filter(resolves=unattributed).exists()


def test_another_initiatives_coordinator_cannot_see_or_resolve_the_sale(world, unattributed):
    client = Client()
    client.force_login(world.coordinator_y)

    assert client.get(reverse("coordinator:unattributed")).context["page_obj"].paginator.count == 0
    response = client.post(
        reverse("coordinator:unattributed-resolve", args=[unattributed.pk]),
        {
            "shares-TOTAL_FORMS": "1",
            "shares-INITIAL_FORMS": "0",
            "shares-MIN_NUM_FORMS": "1",
            "shares-MAX_NUM_FORMS": "10",
            "shares-0-maker": world.maker_y.pk,
            "shares-0-percent": "100",
        },
    )
    assert response.status_code == 404
    assert not Allocation.objects.filter(resolves=unattributed).exists()


# -- positions and audit -------------------------------------------------------------------------------


def _position(maker: Maker, status: str, earned: str) -> Position:
    return Position.objects.create(
        maker=maker,
        month=timezone.localdate().replace(day=1),
        earned=Decimal(earned),
        status=status,
        free_amount=Decimal(0),
        deduction=Decimal(0),
        computed_at=timezone.now(),
    )


def test_positions_come_alerts_first_and_stay_in_the_initiative(world, client_x):
    _position(world.maker_x, "ok", "10.00")
    _position(make_maker(world.x, "Anouk"), "approaching", "180.00")
    _position(make_maker(world.x, "Bram"), "over", "400.00")
    _position(world.maker_y, "over", "999.00")

    response = client_x.get(reverse("coordinator:positions"))
    only_over = client_x.get(reverse("coordinator:positions"), {"status": "over"})

    assert [p.maker.display_name for p in response.context["page_obj"]] == ["Bram", "Anouk", "Fatima"]
    assert [p.maker.display_name for p in only_over.context["page_obj"]] == ["Bram"]
    makers = client_x.get(reverse("coordinator:makers")).content.decode()
    assert f'<a href="/coordinator/makers/{world.maker_x.pk}/">Fatima</a>' in makers
    assert '<span class="badge badge--over">over the threshold</span>' in makers


def test_positions_of_another_month(world, client_x):
    Position.objects.create(
        maker=world.maker_x,
        month=date(2026, 1, 1),
        earned=Decimal(5),
        status="ok",
        free_amount=Decimal(0),
        deduction=Decimal(0),
        computed_at=timezone.now(),
    )

    response = client_x.get(reverse("coordinator:positions"), {"month": "2026-01"})

    assert response.context["month"] == date(2026, 1, 1)
    assert [p.maker_id for p in response.context["page_obj"]] == [world.maker_x.pk]


def test_audit_log_shows_the_initiatives_events_only_and_filters(world, client_x):
    client_x.post(
        reverse("coordinator:maker-create"),
        {
            "display_name": "Anna",
            "internal_reference": "A-1",
            "email": "a@example.test",
            "preferred_language": "nl",
        },
    )
    client_y = Client()
    client_y.force_login(world.coordinator_y)
    client_y.post(
        reverse("coordinator:maker-create"),
        {
            "display_name": "Piet",
            "internal_reference": "P-1",
            "email": "p@example.test",
            "preferred_language": "nl",
        },
    )
    client_x.get(reverse("coordinator:maker-situation", args=[world.maker_x.pk]))

    everything = client_x.get(reverse("coordinator:audit"))
    created = client_x.get(reverse("coordinator:audit"), {"action": "maker.created"})
    future = client_x.get(reverse("coordinator:audit"), {"since": "2099-01-01"})

    anna = Maker.objects.get(display_name="Anna")
    assert [(e.action, e.subject_id) for e in everything.context["page_obj"]] == [
        ("benefit_situation.health_read", str(world.maker_x.pk)),
        ("maker.created", str(anna.pk)),
    ]
    assert [e.subject_id for e in created.context["page_obj"]] == [str(anna.pk)]
    assert future.context["page_obj"].paginator.count == 0


# -- the Dashboard's page ------------------------------------------------------------------------------


def test_the_app_page_starts_the_handshake_with_an_external_script(settings):
    settings.SALEOR_DASHBOARD_ORIGINS = ["https://dashboard.example.com"]

    response = Client().get(reverse("coordinator-home"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "coordinator/dashboard.js" in body
    assert "<script>" not in body  # no inline script: the CSP forbids it
    assert "frame-ancestors 'self' https://dashboard.example.com" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response


def test_workspace_pages_may_be_framed_by_the_dashboard_only(world, client_x, settings):
    settings.SALEOR_DASHBOARD_ORIGINS = ["https://dashboard.example.com"]

    framed = client_x.get(reverse("coordinator:makers"))
    settings.SALEOR_DASHBOARD_ORIGINS = []
    unframed = client_x.get(reverse("coordinator:makers"))

    assert "frame-ancestors 'self' https://dashboard.example.com" in framed["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in unframed["Content-Security-Policy"]
    assert unframed["X-Frame-Options"] == "DENY"
