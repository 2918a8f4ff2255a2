"""Two initiatives: maker A and B in X, coordinators of X and Y; login helpers for the portal."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from shop_extensions.ledger.models import EarningEntry
from shop_extensions.makers.models import Maker
from tests.makers.factories import make_coordinator, make_initiative, make_maker

_keys = iter(range(1, 10**6))


@pytest.fixture(autouse=True)
def _workers_run_at_once(eager_tasks):
    """The login-code mail is a worker's job: here it runs right after commit, in this process."""


def code_in(body: str) -> str:
    found = re.search(r"\b(\d{6})\b", body)
    assert found, body
    return found.group(1)


def add_entry(
    maker: Maker, amount: str, *, kind: str = "sale", at: datetime | None = None, **extra: Any
) -> EarningEntry:
    """An entry as the ledger posts it (month totals are not moved: use set_month_earnings for those)."""
    at = at or timezone.now()
    return EarningEntry.objects.create(
        maker=maker,
        initiative=maker.initiative,
        kind=kind,
        amount=Decimal(amount),
        currency="EUR",
        quantity=Decimal(1),
        effective_at=at,
        period=timezone.localtime(at).date().replace(day=1),
        idempotency_key=f"portal-test-{next(_keys)}",
        **extra,
    )


@pytest.fixture
def world(db):
    x = make_initiative("Atelier West")
    y = make_initiative("Moestuin Noord")
    coord_x, _ = make_coordinator(x, "coord-x")
    coord_x.email = "coord-x@example.test"
    coord_x.save()
    coord_y, _ = make_coordinator(y, "coord-y")
    maker_a = make_maker(x, "Fatima", email="fatima@example.test")
    maker_b = make_maker(x, "Bram", email="bram@example.test", preferred_language="en")
    return {"x": x, "y": y, "coord_x": coord_x, "coord_y": coord_y, "a": maker_a, "b": maker_b}


@pytest.fixture
def login_maker(client):
    """Log a maker in through the real code flow; returns the client."""
    from django.core import mail

    def login(maker: Maker, the_client=None):
        c = the_client or client
        c.post("/portal/login/", {"email": maker.email})
        code = code_in(mail.outbox[-1].body)
        response = c.post("/portal/login/code/", {"code": code})
        assert response.status_code == 302, response.content
        maker.refresh_from_db()
        return c

    return login
