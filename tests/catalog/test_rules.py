from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from shop_extensions.catalog import selectors, services
from shop_extensions.catalog.models import AttributionRule
from shop_extensions.core.errors import ValidationFailed
from shop_extensions.core.models import AuditEvent

from ..makers.factories import make_coordinator, make_initiative, make_maker

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def world():
    initiative = make_initiative()
    _, actor = make_coordinator(initiative, "c")
    return initiative, actor, make_maker(initiative, "Ann"), make_maker(initiative, "Bo")


@pytest.mark.parametrize("shares", [["60.00", "30.00"], ["60.00", "40.01"], ["50.005", "49.995"]])
def test_shares_must_sum_to_exactly_100(world, shares):
    initiative, actor, ann, bo = world

    with pytest.raises(ValidationFailed):
        services.attribution_rule_set(
            initiative=initiative,
            actor=actor,
            saleor_product_id="P1",
            shares=[(ann, D(shares[0])), (bo, D(shares[1]))],
            commission_percent=None,
        )
    assert not AttributionRule.objects.exists()


def test_maker_of_other_initiative_refused(world):
    initiative, actor, ann, _ = world
    stranger = make_maker(make_initiative("Other"), "Stranger")

    with pytest.raises(ValidationFailed):
        services.attribution_rule_set(
            initiative=initiative,
            actor=actor,
            saleor_product_id="P1",
            shares=[(ann, D("50.00")), (stranger, D("50.00"))],
            commission_percent=None,
        )


def test_exactly_one_of_product_or_variant(world):
    initiative, actor, ann, _ = world
    for ids in ({}, {"saleor_product_id": "P1", "saleor_variant_id": "V1"}):
        with pytest.raises(ValidationFailed):
            services.attribution_rule_set(
                initiative=initiative,
                actor=actor,
                shares=[(ann, D("100.00"))],
                commission_percent=None,
                **ids,
            )


def test_effective_dating_keeps_the_old_rule_for_earlier_sales(world):
    initiative, actor, ann, bo = world
    t0 = timezone.now() - timedelta(days=30)
    change = t0 + timedelta(days=10)
    old = services.attribution_rule_set(
        initiative=initiative,
        actor=actor,
        saleor_product_id="P1",
        shares=[(ann, D("100.00"))],
        commission_percent=D("25.00"),
        valid_from=t0,
    )

    new = services.attribution_rule_set(
        initiative=initiative,
        actor=actor,
        saleor_product_id="P1",
        shares=[(ann, D("40.00")), (bo, D("60.00"))],
        commission_percent=None,
        valid_from=change,
    )

    old.refresh_from_db()
    assert old.valid_to == change
    at = {"initiative": initiative, "saleor_variant_id": "V9", "saleor_product_id": "P1"}
    assert selectors.rule_for(at=t0 - timedelta(seconds=1), **at) is None
    assert selectors.rule_for(at=change - timedelta(microseconds=1), **at) == old
    assert selectors.rule_for(at=change, **at) == new
    resolved = selectors.rule_for(at=timezone.now(), **at)
    assert [(s.maker.display_name, s.percent) for s in resolved.shares.all()] == [
        ("Ann", D("40.00")),
        ("Bo", D("60.00")),
    ]
    assert AttributionRule.objects.filter(valid_to__isnull=True).count() == 1
    events = AuditEvent.objects.filter(action="attribution_rule.set").order_by("pk")
    assert [e.data["closed_rule_id"] for e in events] == [None, old.pk]


def test_change_must_start_after_the_current_rule(world):
    initiative, actor, ann, _ = world
    now = timezone.now()
    services.attribution_rule_set(
        initiative=initiative,
        actor=actor,
        saleor_product_id="P1",
        shares=[(ann, D("100.00"))],
        commission_percent=None,
        valid_from=now,
    )

    with pytest.raises(ValidationFailed):
        services.attribution_rule_set(
            initiative=initiative,
            actor=actor,
            saleor_product_id="P1",
            shares=[(ann, D("100.00"))],
            commission_percent=None,
            valid_from=now - timedelta(days=1),
        )
    assert AttributionRule.objects.count() == 1


def test_variant_rule_beats_product_rule(world):
    initiative, actor, ann, bo = world
    start = timezone.now() - timedelta(days=1)
    product_rule = services.attribution_rule_set(
        initiative=initiative,
        actor=actor,
        saleor_product_id="P1",
        shares=[(ann, D("100.00"))],
        commission_percent=None,
        valid_from=start,
    )
    variant_rule = services.attribution_rule_set(
        initiative=initiative,
        actor=actor,
        saleor_variant_id="V1",
        shares=[(bo, D("100.00"))],
        commission_percent=D("10.00"),
        valid_from=start + timedelta(hours=1),
    )
    now = timezone.now()

    assert (
        selectors.rule_for(initiative=initiative, saleor_variant_id="V1", saleor_product_id="P1", at=now)
        == variant_rule
    )
    assert (
        selectors.rule_for(initiative=initiative, saleor_variant_id="V2", saleor_product_id="P1", at=now)
        == product_rule
    )
    # Before the variant rule started, the product rule applies to that variant too.
    assert (
        selectors.rule_for(
            initiative=initiative,
            saleor_variant_id="V1",
            saleor_product_id="P1",
            at=start + timedelta(minutes=1),
        )
        == product_rule
    )


def test_rules_of_another_initiative_do_not_apply(world):
    initiative, actor, ann, _ = world
    services.attribution_rule_set(
        initiative=initiative,
        actor=actor,
        saleor_product_id="P1",
        shares=[(ann, D("100.00"))],
        commission_percent=None,
    )

    assert (
        selectors.rule_for(
            initiative=make_initiative("Other"),
            saleor_variant_id="V1",
            saleor_product_id="P1",
            at=timezone.now(),
        )
        is None
    )
