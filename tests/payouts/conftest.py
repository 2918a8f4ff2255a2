"""Payouts are tested against the Stripe stand-in over HTTP with the real stripe-python client: only
Stripe (outside the project) is replaced, never our own code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.db import transaction
from django.utils import timezone

from shop_extensions.ledger.models import EarningEntry, EntryKind
from shop_extensions.ledger.services import entries_post
from shop_extensions.makers.models import Initiative, Maker
from shop_extensions.payouts.models import ConnectedAccount, PayoutPolicy
from shop_extensions.payouts.services import Caller
from shop_extensions.payouts.standin.server import Standin
from shop_extensions.payouts.stripe_adapter import StripeGateway
from shop_extensions.payouts.throttle import Throttle

API_KEY = "sk_test_standin_payouts_tests"
_keys = count()


@pytest.fixture(scope="session")
def standin() -> Iterator[Standin]:
    with Standin(rate=10_000, seed=7) as server:
        yield server


@pytest.fixture(autouse=True)
def _stripe_settings(settings, standin):
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_API_BASE = standin.url
    settings.STRIPE_TIMEOUT_SECONDS = 1.0
    standin.state.faults.queue.clear()
    standin.state.faults.p429 = standin.state.faults.p500 = 0.0
    standin.state.faults.ptimeout = standin.state.faults.plost = 0.0
    standin.state.faults.timeout_seconds = 1.5
    standin.state.webhooks.clear()


@pytest.fixture
def gateway(standin) -> StripeGateway:
    return StripeGateway(api_key=API_KEY, api_base=standin.url, timeout=1.0)


@pytest.fixture
def caller(gateway) -> Caller:
    """No real waiting between tries: tests inject faults one by one."""
    return Caller(
        gateway=gateway, throttle=Throttle(10_000, sleep=lambda s: None), tries=3, sleep=lambda s: None
    )


@pytest.fixture
def initiative() -> Initiative:
    return Initiative.objects.create(name=f"Atelier {next(_keys)}", legal_name="Stichting Atelier")


@pytest.fixture
def make_maker(initiative):
    def make(name: str = "", initiative_=None, **fields) -> Maker:
        n = next(_keys)
        return Maker.objects.create(
            initiative=initiative_ or initiative,
            display_name=name or f"Maker {n}",
            email=f"maker{n}@example.org",
            internal_reference=f"ref-{n}",
            **fields,
        )

    return make


@pytest.fixture
def ready_account(standin):
    """A connected account that finished onboarding at the stand-in (Stripe's side set up directly)."""

    def make(maker: Maker) -> ConnectedAccount:
        with standin.state.lock:
            account = standin.state.account_create({"country": "NL", "metadata": {"maker_id": str(maker.pk)}})
            account.update(capabilities={"transfers": "active"}, payouts_enabled=True, details_submitted=True)
        return ConnectedAccount.objects.create(
            maker=maker,
            stripe_account_id=account["id"],
            status="ready",
            transfers_active=True,
            payouts_enabled=True,
            details_submitted=True,
        )

    return make


def earn(maker: Maker, amount: str, *, days_ago: int = 30, kind: str = EntryKind.SALE) -> EarningEntry:
    when = timezone.now() - timedelta(days=days_ago)
    with transaction.atomic():
        (entry,) = entries_post(
            entries=[
                EarningEntry(
                    maker=maker,
                    initiative=maker.initiative,
                    kind=kind,
                    amount=Decimal(amount),
                    currency="EUR",
                    effective_at=when,
                    period=timezone.localtime(when).date().replace(day=1),
                    idempotency_key=f"test:{next(_keys)}",
                )
            ]
        )
    return entry


def policy(initiative: Initiative, **fields) -> PayoutPolicy:
    row, _ = PayoutPolicy.objects.update_or_create(initiative=initiative, defaults=fields)
    return row


def transfers_for(
    standin: Standin, *, group: str | None = None, destination: str | None = None
) -> list[dict]:
    with standin.state.lock:
        return [
            t
            for t in standin.state.transfers.values()
            if (group is None or t["transfer_group"] == group)
            and (destination is None or t["destination"] == destination)
        ]


def at(days: int = 0, **kwargs) -> datetime:
    return timezone.now() + timedelta(days=days, **kwargs)
