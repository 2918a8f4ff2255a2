"""Stripe's webhooks: the signature is checked over the raw body before anything is parsed or stored;
events are stored once per event id and processed once, in any order."""

from __future__ import annotations

import json
import time
from decimal import Decimal as D

import pytest
from django.core import mail
from django.urls import reverse

from shop_extensions.ledger import selectors as ledger_selectors
from shop_extensions.payouts import services
from shop_extensions.payouts.models import AccountStatus, EventStatus, Payout, PayoutState, StripeEvent
from shop_extensions.payouts.standin.server import sign
from tests.payouts.conftest import earn

pytestmark = pytest.mark.django_db
PLATFORM_SECRET = "whsec_test_platform_not_a_secret"
CONNECT_SECRET = "whsec_test_connect_not_a_secret"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.STRIPE_WEBHOOK_SECRETS = {"platform": PLATFORM_SECRET, "connect": CONNECT_SECRET}


def _event(
    type_: str, obj: dict, *, account: str | None = None, event_id: str = "evt_1", created: int | None = None
):
    event = {
        "id": event_id,
        "object": "event",
        "type": type_,
        "created": created or int(time.time()),
        "data": {"object": obj},
    }
    if account:
        event["account"] = account
    return event


def _post(client, endpoint: str, body: bytes, *, secret: str, timestamp: int | None = None):
    url = reverse("payouts:stripe_connect_webhook" if endpoint == "connect" else "payouts:stripe_webhook")
    header = sign(body, secret, timestamp if timestamp is not None else int(time.time()))
    return client.post(url, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def _account_obj(account_id: str, *, active: bool, due: list[str] | None = None) -> dict:
    return {
        "id": account_id,
        "object": "account",
        "capabilities": {"transfers": "active" if active else "inactive"},
        "payouts_enabled": active,
        "details_submitted": True,
        "requirements": {"currently_due": due or [], "disabled_reason": None},
    }


def test_a_signed_account_update_is_stored_and_sets_the_status(client, make_maker, ready_account):
    account = ready_account(make_maker())
    body = json.dumps(
        _event(
            "account.updated",
            _account_obj(account.stripe_account_id, active=False, due=["external_account"]),
            account=account.stripe_account_id,
        )
    ).encode()

    response = _post(client, "connect", body, secret=CONNECT_SECRET)
    (row,) = StripeEvent.objects.all()
    services.stripe_event_process(event_pk=row.pk)

    account.refresh_from_db()
    row.refresh_from_db()
    assert response.status_code == 200
    assert (row.event_id, row.endpoint, row.status) == ("evt_1", "connect", EventStatus.PROCESSED)
    assert (account.status, account.transfers_active, account.currently_due) == (
        AccountStatus.DETAILS_NEEDED,
        False,
        ["external_account"],
    )


@pytest.mark.parametrize(
    "case",
    ["wrong_secret", "old_timestamp", "tampered_body", "no_header", "other_endpoints_secret"],
)
def test_a_request_that_does_not_verify_is_rejected_and_nothing_is_stored(client, case):
    body = json.dumps(_event("charge.refunded", {"id": "ch_1", "object": "charge"})).encode()
    url = reverse("payouts:stripe_webhook")
    if case == "wrong_secret":
        response = _post(client, "platform", body, secret="whsec_wrong")
    elif case == "old_timestamp":
        response = _post(client, "platform", body, secret=PLATFORM_SECRET, timestamp=int(time.time()) - 301)
    elif case == "tampered_body":
        header = sign(body, PLATFORM_SECRET, int(time.time()))
        tampered = body.replace(b"ch_1", b"ch_2")
        response = client.post(
            url, data=tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )
    elif case == "no_header":
        response = client.post(url, data=body, content_type="application/json")
    else:
        response = _post(client, "platform", body, secret=CONNECT_SECRET)

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_a_duplicate_event_is_stored_and_processed_once(
    client, make_maker, ready_account, caller, initiative, standin
):
    maker = make_maker()
    ready_account(maker)
    earn(maker, "30.00")
    run = services.payout_run_create(initiative_id=initiative.pk, actor="system:test")
    services.payout_run_approve(run_id=run.pk, actor="system:test")
    services.payout_run_execute(run_id=run.pk, caller=caller)
    payout = Payout.objects.get(run=run)
    transfer = dict(standin.state.transfers[payout.transfer_id], amount_reversed=1000)
    body = json.dumps(_event("transfer.reversed", transfer, event_id="evt_rev")).encode()

    first = _post(client, "platform", body, secret=PLATFORM_SECRET)
    second = _post(client, "platform", body, secret=PLATFORM_SECRET)
    (row,) = StripeEvent.objects.all()
    assert services.stripe_event_process(event_pk=row.pk) == EventStatus.PROCESSED
    assert services.stripe_event_process(event_pk=row.pk) == "skipped"

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {"received": True, "duplicate": True}
    assert ledger_selectors.maker_balance(maker=maker, currency="EUR") == D("10.00")
    payout.refresh_from_db()
    assert (payout.reversed_amount, payout.state) == (D("10.00"), PayoutState.SUBMITTED)


def test_a_full_reversal_marks_the_payout_reversed_and_gives_the_money_back(
    make_maker, ready_account, caller, initiative, standin, django_capture_on_commit_callbacks
):
    maker = make_maker()
    ready_account(maker)
    earn(maker, "30.00")
    run = services.payout_run_create(initiative_id=initiative.pk, actor="system:test")
    services.payout_run_approve(run_id=run.pk, actor="system:test")
    services.payout_run_execute(run_id=run.pk, caller=caller)
    payout = Payout.objects.get(run=run)
    transfer = dict(standin.state.transfers[payout.transfer_id], amount_reversed=3000, reversed=True)
    row, _ = services.stripe_event_record(
        endpoint="platform", event=_event("transfer.reversed", transfer, event_id="evt_full")
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.stripe_event_process(event_pk=row.pk)

    payout.refresh_from_db()
    assert payout.state == PayoutState.REVERSED
    assert ledger_selectors.maker_balance(maker=maker, currency="EUR") == D("30.00")
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([maker.email], "Rode Draad: er is geld teruggehaald")
    ]
    assert "€ 30,00" in mail.outbox[0].body  # Dutch notation for a Dutch maker


def test_an_older_account_state_arriving_late_is_ignored(make_maker, ready_account):
    account = ready_account(make_maker())
    now = int(time.time())
    newer = _event(
        "account.updated",
        _account_obj(account.stripe_account_id, active=True),
        event_id="evt_new",
        created=now,
    )
    older = _event(
        "account.updated",
        _account_obj(account.stripe_account_id, active=False, due=["individual.dob.day"]),
        event_id="evt_old",
        created=now - 60,
    )
    for event in (newer, older):
        row, _ = services.stripe_event_record(endpoint="connect", event=event)
        services.stripe_event_process(event_pk=row.pk)

    account.refresh_from_db()
    assert (account.status, account.transfers_active) == (AccountStatus.READY, True)


def test_payout_paid_and_failed_of_a_connected_account_are_told_in_plain_words(
    make_maker, ready_account, caller, initiative, django_capture_on_commit_callbacks, django_user_model
):
    coordinator = django_user_model.objects.create_user("coord", email="coord@example.org")
    initiative.coordinators.create(user=coordinator)
    maker = make_maker("Ahmed", preferred_language="en")
    account = ready_account(maker)
    earn(maker, "30.00")
    run = services.payout_run_create(initiative_id=initiative.pk, actor="system:test")
    services.payout_run_approve(run_id=run.pk, actor="system:test")
    services.payout_run_execute(run_id=run.pk, caller=caller)
    mail.outbox.clear()
    later = int(time.time()) + 5
    failed = _event(
        "payout.failed",
        {
            "id": "po_1",
            "object": "payout",
            "amount": 3000,
            "created": later,
            "failure_message": "Account closed",
        },
        account=account.stripe_account_id,
        event_id="evt_po_failed",
        created=later,
    )
    paid = _event(
        "payout.paid",
        {"id": "po_2", "object": "payout", "amount": 3000, "created": later + 1},
        account=account.stripe_account_id,
        event_id="evt_po_paid",
        created=later + 1,
    )

    with django_capture_on_commit_callbacks(execute=True):
        for event in (failed, paid):
            row, _ = services.stripe_event_record(endpoint="connect", event=event)
            services.stripe_event_process(event_pk=row.pk)

    payout = Payout.objects.get(run=run)
    assert payout.state == PayoutState.PAID
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([maker.email], "Rode Draad: your bank did not accept the payment"),
        (["coord@example.org"], "Rode Draad: uitbetaling aan Ahmed"),
        ([maker.email], "Rode Draad: your money is in your bank account"),
        (["coord@example.org"], "Rode Draad: uitbetaling aan Ahmed"),
    ]
    assert "Account closed" in mail.outbox[0].body


def test_charge_refunded_looks_for_reversals_only_where_the_policy_asks(
    initiative, django_capture_on_commit_callbacks
):
    from tests.payouts.conftest import policy

    policy(initiative, reverse_transfers_on_refund=True)
    row, _ = services.stripe_event_record(
        endpoint="platform", event=_event("charge.refunded", {"id": "ch_1"}, event_id="evt_ch")
    )

    with django_capture_on_commit_callbacks() as callbacks:
        assert services.stripe_event_process(event_pk=row.pk) == EventStatus.PROCESSED

    assert len(callbacks) == 1
