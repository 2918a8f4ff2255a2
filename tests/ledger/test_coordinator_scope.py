"""A coordinator of initiative X can neither read nor book anything in initiative Y's ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from shop_extensions.core.errors import NotFound, PermissionDenied
from shop_extensions.ledger import selectors
from shop_extensions.ledger.models import EarningEntry
from shop_extensions.ledger.services import unattributed_resolve
from shop_extensions.makers.models import Coordinator, Initiative, Maker
from tests.ledger.builders import Line, Order, Step, payload

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def other_coordinator():
    other = Initiative.objects.create(name="Moestuin Noord", legal_name="Stichting Moestuin Noord")
    user = get_user_model().objects.create_user("noord", "noord@example.org", "x")
    Coordinator.objects.create(user=user, initiative=other)
    return user


@pytest.fixture
def own_coordinator(initiative):
    user = get_user_model().objects.create_user("west", "west@example.org", "x")
    Coordinator.objects.create(user=user, initiative=initiative)
    return user


@pytest.fixture
def queued(initiative, apply):
    order = Order("T3JkZXI6c2NvcGU=", [Line("L1", "UHJvZHVjdFZhcmlhbnQ6OTk=", 1, D("12.10"))])
    apply(payload(order, Step("order_fully_paid", charged=order.total)), "order_fully_paid")
    return selectors.unattributed_queue(initiative_id=initiative.pk).get()


def test_reading_another_initiatives_maker_ledger_is_not_found(initiative, make_maker, other_coordinator):
    fatima = make_maker("Fatima")
    with pytest.raises(NotFound):
        selectors.maker_ledger_for_coordinator(user=other_coordinator, maker_id=fatima.pk)


def test_reading_another_initiatives_queue_is_refused(initiative, queued, other_coordinator, own_coordinator):
    with pytest.raises(PermissionDenied):
        selectors.unattributed_queue_for_coordinator(user=other_coordinator, initiative_id=initiative.pk)
    assert list(
        selectors.unattributed_queue_for_coordinator(user=own_coordinator, initiative_id=initiative.pk)
    ) == [queued]


def test_booking_into_another_initiatives_queue_is_refused(initiative, queued, make_maker, other_coordinator):
    fatima = make_maker("Fatima")
    with pytest.raises(PermissionDenied):
        unattributed_resolve(
            allocation_id=queued.pk,
            initiative_id=initiative.pk,
            shares=[(fatima, D(100))],
            actor=f"user:{other_coordinator.pk}",
        )
    assert not EarningEntry.objects.exists()


def test_a_maker_of_another_initiative_cannot_be_given_the_pieces(initiative, queued, own_coordinator):
    other = Initiative.objects.create(name="Elders", legal_name="Elders")
    stranger = Maker.objects.create(
        initiative=other, display_name="S", email="s@x.org", internal_reference="s"
    )
    from shop_extensions.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        unattributed_resolve(
            allocation_id=queued.pk, initiative_id=initiative.pk, shares=[(stranger, D(100))],
            actor=f"user:{own_coordinator.pk}",
        )  # fmt: skip
    assert not EarningEntry.objects.exists()


def test_own_coordinator_reads_the_ledger(initiative, make_maker, make_rule, apply, own_coordinator):
    fatima = make_maker("Fatima")
    make_rule("UHJvZHVjdFZhcmlhbnQ6MzAw", [(fatima, "100")])
    order = Order("T3JkZXI6b3du", [Line("L1", "UHJvZHVjdFZhcmlhbnQ6MzAw", 1, D("12.10"))])
    apply(payload(order, Step("order_fully_paid", charged=order.total)), "order_fully_paid")

    view = selectors.maker_ledger_for_coordinator(user=own_coordinator, maker_id=fatima.pk)

    assert view["balance"] == D("8.00")
    assert len(view["entries"]) == 1
