"""Onboarding end to end: the portal hands the maker a fresh Account Link, the maker completes it at the
stand-in (Stripe's hosted page), which sends a signed ``account.updated`` to the running app."""

from __future__ import annotations

import httpx
import pytest
from django.urls import reverse

from shop_extensions.core.models import AuditEvent
from shop_extensions.payouts import services
from shop_extensions.payouts.models import AccountStatus, ConnectedAccount, StripeEvent

pytestmark = pytest.mark.django_db(transaction=True)
CONNECT_SECRET = "whsec_test_connect_onboarding"


def test_a_maker_onboards_from_the_portal_and_the_webhook_makes_the_account_ready(
    client, live_server, standin, settings, make_maker, django_user_model
):
    settings.STRIPE_WEBHOOK_SECRETS = {"platform": "", "connect": CONNECT_SECRET}
    standin.state.webhooks["connect"] = (
        live_server.url + reverse("payouts:stripe_connect_webhook"),
        CONNECT_SECRET,
    )
    maker = make_maker("Fatima")
    maker.user = django_user_model.objects.create_user("fatima")
    maker.save()
    client.force_login(maker.user)

    first = client.get(reverse("payouts:maker_onboarding"))
    second = client.get(reverse("payouts:maker_onboarding"))
    account = ConnectedAccount.objects.get(maker=maker)
    assert account.status == AccountStatus.NEW
    assert first.status_code == second.status_code == 302
    assert first["Location"].startswith(f"{standin.url}/_standin/onboarding/")
    assert first["Location"] != second["Location"]  # a fresh link on every visit

    page = httpx.get(first["Location"])
    reused = httpx.get(first["Location"])
    (event,) = StripeEvent.objects.filter(type="account.updated", account=account.stripe_account_id)
    services.stripe_event_process(event_pk=event.pk)
    back = client.get(reverse("payouts:maker_onboarding_return"))

    account.refresh_from_db()
    assert "details are complete" in page.text
    assert "expired" in reused.text  # single use
    assert (account.status, account.transfers_active, account.currently_due) == (
        AccountStatus.READY,
        True,
        [],
    )
    assert (back.status_code, back["Location"]) == (302, settings.PAYOUTS_MAKER_RETURN_URL)
    assert (
        AuditEvent.objects.filter(action="stripe_account.onboarding_link", subject_id=str(maker.pk)).count()
        == 2
    )


def test_a_coordinator_of_another_initiative_gets_no_link(client, make_maker, initiative, django_user_model):
    from shop_extensions.makers.models import Initiative

    other = Initiative.objects.create(name="Moestuin", legal_name="Stichting Moestuin")
    outsider = django_user_model.objects.create_user("outsider")
    other.coordinators.create(user=outsider)
    maker = make_maker()
    client.force_login(outsider)

    response = client.get(reverse("payouts:coordinator_onboarding", kwargs={"maker_id": maker.pk}))

    assert response.status_code == 404
    assert ConnectedAccount.objects.count() == 0
