"""A coordinator of initiative X reads and books nothing of initiative Y — at selector and service level."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shop_extensions.catalog import selectors as catalog_selectors
from shop_extensions.catalog import services as catalog_services
from shop_extensions.catalog.models import AttributionRule, ProductionLot
from shop_extensions.core.errors import NotFound, PermissionDenied
from shop_extensions.core.models import AuditEvent
from shop_extensions.makers import selectors, services
from shop_extensions.makers.models import Maker

from .factories import make_coordinator, make_initiative, make_lot, make_maker

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_initiatives():
    x = make_initiative("X", warehouse_id="V2FyZWhvdXNlOjE=")
    y = make_initiative("Y", warehouse_id="V2FyZWhvdXNlOjI=")
    user_x, actor_x = make_coordinator(x, "coord-x")
    maker_x = make_maker(x, "Xander")
    maker_y = make_maker(y, "Yara")
    lot_y = make_lot(y, maker_y, 10, variant="V-Y")
    return x, y, user_x, actor_x, maker_x, maker_y, lot_y


def test_initiatives_for_user_lists_only_own(two_initiatives):
    x, _y, user_x, *_ = two_initiatives

    assert list(selectors.initiatives_for_user(user=user_x)) == [x]


def test_makers_list_of_other_initiative_refused(two_initiatives):
    x, y, user_x, _, maker_x, *_ = two_initiatives

    assert list(selectors.makers_for_coordinator(user=user_x, initiative_id=x.pk)) == [maker_x]
    with pytest.raises(PermissionDenied):
        selectors.makers_for_coordinator(user=user_x, initiative_id=y.pk)


def test_unknown_initiative_refused_like_a_foreign_one(two_initiatives):
    _, _, user_x, *_ = two_initiatives

    with pytest.raises(PermissionDenied):
        selectors.coordinator_require(user=user_x, initiative_id=999_999)


def test_maker_of_other_initiative_is_not_found(two_initiatives):
    _, _, user_x, _, maker_x, maker_y, _ = two_initiatives

    assert selectors.maker_get_for_coordinator(user=user_x, maker_id=maker_x.pk) == maker_x
    with pytest.raises(NotFound):
        selectors.maker_get_for_coordinator(user=user_x, maker_id=maker_y.pk)
    with pytest.raises(NotFound):
        selectors.maker_get_for_coordinator(user=user_x, maker_id=999_999)


def test_lots_of_other_initiative_refused(two_initiatives):
    _, y, user_x, *_ = two_initiatives

    with pytest.raises(PermissionDenied):
        catalog_selectors.lots_for_variant(user=user_x, initiative_id=y.pk, saleor_variant_id="V-Y")


def test_booking_into_other_initiative_refused(two_initiatives):
    _, y, _, actor_x, _, maker_y, _ = two_initiatives
    lots_before = ProductionLot.objects.count()

    with pytest.raises(PermissionDenied):
        catalog_services.lot_book(
            initiative=y,
            maker=maker_y,
            saleor_variant_id="V-Y",
            quantity=5,
            actor=actor_x,
            idempotency_key="k1",
        )

    assert ProductionLot.objects.count() == lots_before
    assert not AuditEvent.objects.filter(actor=actor_x).exists()


def test_correcting_a_lot_of_other_initiative_refused(two_initiatives):
    *_, actor_x, _, _, lot_y = two_initiatives

    with pytest.raises(PermissionDenied):
        catalog_services.lot_correct(
            lot=lot_y, quantity=-1, reason="damaged", actor=actor_x, idempotency_key="c1"
        )

    assert not lot_y.corrections.exists()


def test_rule_for_other_initiative_refused(two_initiatives):
    _, y, _, actor_x, _, maker_y, _ = two_initiatives

    with pytest.raises(PermissionDenied):
        catalog_services.attribution_rule_set(
            initiative=y,
            actor=actor_x,
            saleor_variant_id="V-Y",
            shares=[(maker_y, Decimal("100.00"))],
            commission_percent=None,
        )

    assert not AttributionRule.objects.exists()


def test_maker_writes_in_other_initiative_refused(two_initiatives):
    _, y, _, actor_x, _, maker_y, _ = two_initiatives

    with pytest.raises(PermissionDenied):
        services.maker_create(
            initiative=y, actor=actor_x, display_name="Z", email="z@example.test", internal_reference="Z1"
        )
    with pytest.raises(PermissionDenied):
        services.maker_update(maker=maker_y, actor=actor_x, consent_public_name=True)

    maker_y.refresh_from_db()
    assert maker_y.consent_public_name is False
    assert Maker.objects.filter(initiative=y).count() == 1


def test_plain_coordinator_cannot_add_coordinators(two_initiatives):
    x, _, user_x, actor_x, *_ = two_initiatives

    with pytest.raises(PermissionDenied):
        services.coordinator_add(initiative=x, user=user_x, role="admin", actor=actor_x)
