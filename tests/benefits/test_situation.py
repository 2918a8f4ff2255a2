"""The benefit situation: the health flag only for that maker's coordinators, every read and change audited."""

from __future__ import annotations

from datetime import date

import pytest

from shop_extensions.benefits import selectors, services
from shop_extensions.benefits.models import BenefitSituation
from shop_extensions.core.errors import NotFound, PermissionDenied, ValidationFailed
from shop_extensions.core.models import AuditEvent
from tests.makers.factories import make_coordinator, make_initiative, make_maker

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    x = make_initiative("X")
    y = make_initiative("Y")
    user_x, actor_x = make_coordinator(x, "coord-x")
    _user_y, actor_y = make_coordinator(y, "coord-y")
    maker = make_maker(x, "Fatima")
    return user_x, actor_x, actor_y, maker


def test_health_flag_change_is_audited_without_its_value(setup):
    _user, actor_x, _, maker = setup

    services.situation_set(
        actor=actor_x, maker=maker, regime="bijstand", municipality=" Amsterdam ", medically_limited=True
    )
    services.situation_set(
        actor=actor_x, maker=maker, regime="bijstand", municipality="amsterdam", medically_limited=False
    )

    events = list(
        AuditEvent.objects.filter(subject_id=str(maker.pk)).order_by("pk").values_list("action", "data")
    )
    assert [a for a, _ in events] == [
        "benefit_situation.created",
        "benefit_situation.health_changed",
        "benefit_situation.changed",
        "benefit_situation.health_changed",
    ]
    assert events[2][1] == {"changed": ["medically_limited"], "old": {}, "new": {}}
    assert "medically_limited" not in events[0][1]["new"]
    assert BenefitSituation.objects.get(maker=maker).municipality == "amsterdam"


def test_other_initiatives_coordinator_can_neither_set_nor_read(setup):
    _user, actor_x, actor_y, maker = setup
    services.situation_set(actor=actor_x, maker=maker, regime="bijstand", medically_limited=True)
    from django.contrib.auth import get_user_model

    user_y = get_user_model().objects.get(username="coord-y")

    with pytest.raises(PermissionDenied):
        services.situation_set(actor=actor_y, maker=maker, regime="none")
    with pytest.raises(NotFound):
        selectors.situation_get_for_coordinator(user=user_y, maker_id=maker.pk)
    assert not AuditEvent.objects.filter(action="benefit_situation.health_read").exists()


def test_coordinator_read_is_audited(setup):
    user_x, actor_x, _, maker = setup
    services.situation_set(
        actor=actor_x,
        maker=maker,
        regime="bijstand",
        medically_limited=True,
        free_period_started=date(2026, 1, 17),
    )

    situation = selectors.situation_get_for_coordinator(user=user_x, maker_id=maker.pk)

    assert situation is not None
    assert situation.medically_limited is True
    assert situation.free_period_started == date(2026, 1, 1)
    read = AuditEvent.objects.get(action="benefit_situation.health_read")
    assert (read.actor, read.subject_id) == (f"user:{user_x.pk}", str(maker.pk))


def test_unknown_regime_refused(setup):
    _user, actor_x, _, maker = setup

    with pytest.raises(ValidationFailed):
        services.situation_set(actor=actor_x, maker=maker, regime="bijstnd")
    assert not BenefitSituation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_municipality_switch_only_by_operator(setup):
    _user, actor_x, _, _maker = setup

    with pytest.raises(PermissionDenied):
        services.municipality_switch_set(
            actor=actor_x,
            municipality="Amsterdam",
            rule_code="pw-34a",
            enabled=True,
            valid_from=date(2026, 1, 1),
        )
    switch = services.municipality_switch_set(
        actor="system:test",
        municipality="Amsterdam",
        rule_code="pw-34a",
        enabled=True,
        valid_from=date(2026, 1, 1),
    )

    assert selectors.switches_on(municipalities={"amsterdam"}, month=date(2026, 3, 1)) == {
        "amsterdam": frozenset({"pw-34a"})
    }
    assert switch.municipality == "amsterdam"
