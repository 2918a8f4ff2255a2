from __future__ import annotations

import pytest

from shop_extensions.core.actors import user_actor
from shop_extensions.core.errors import PermissionDenied, ValidationFailed
from shop_extensions.core.models import AuditEvent
from shop_extensions.makers import selectors, services
from shop_extensions.makers.models import Coordinator, CoordinatorRole, Maker, SalesChannel

from .factories import make_coordinator, make_initiative, make_maker, make_user

pytestmark = pytest.mark.django_db


def test_initiative_create_by_operator_audited():
    initiative = services.initiative_create(actor="system:seed", name="Atelier", legal_name="Stichting A")

    event = AuditEvent.objects.get(action="initiative.created")
    assert (event.actor, event.subject_id) == ("system:seed", str(initiative.pk))


def test_initiative_create_refused_for_plain_user():
    user = make_user("u")

    with pytest.raises(PermissionDenied):
        services.initiative_create(actor=user_actor(user), name="A", legal_name="B")


def test_initiative_create_validates_kvk():
    with pytest.raises(ValidationFailed):
        services.initiative_create(actor="system:seed", name="A", legal_name="B", kvk_number="123")


def test_coordinator_add_by_admin_audited_and_scopes_reads():
    initiative = make_initiative()
    _, admin_actor = make_coordinator(initiative, "boss", role=CoordinatorRole.ADMIN)
    newcomer = make_user("newcomer")

    services.coordinator_add(
        initiative=initiative, user=newcomer, role=CoordinatorRole.COORDINATOR, actor=admin_actor
    )

    assert Coordinator.objects.get(user=newcomer).role == CoordinatorRole.COORDINATOR
    assert list(selectors.initiatives_for_user(user=newcomer)) == [initiative]
    event = AuditEvent.objects.get(action="coordinator.added")
    assert (event.actor, event.data["user_id"]) == (admin_actor, newcomer.pk)


def test_maker_create_audited_without_contact_details():
    initiative = make_initiative()
    _, actor = make_coordinator(initiative, "c")

    maker = services.maker_create(
        initiative=initiative,
        actor=actor,
        display_name="Fatima",
        email="fatima@example.test",
        phone="",
        preferred_language="en",
        internal_reference="F-1",
        consent_public_name=True,
        consent_share_statements=False,
    )

    event = AuditEvent.objects.get(action="maker.created")
    assert (event.actor, event.subject_id) == (actor, str(maker.pk))
    assert "fatima@example.test" not in str(event.data)


def test_maker_needs_contact_and_unique_reference():
    initiative = make_initiative()
    _, actor = make_coordinator(initiative, "c")
    make_maker(initiative, "A", internal_reference="R-1")

    with pytest.raises(ValidationFailed):
        services.maker_create(initiative=initiative, actor=actor, display_name="B", internal_reference="R-2")
    with pytest.raises(ValidationFailed):
        services.maker_create(
            initiative=initiative,
            actor=actor,
            display_name="B",
            email="b@example.test",
            internal_reference="R-1",
        )
    assert Maker.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_maker_update_audits_consent_old_and_new():
    initiative = make_initiative()
    _, actor = make_coordinator(initiative, "c")
    maker = make_maker(initiative, "Fatima")

    services.maker_update(maker=maker, actor=actor, consent_share_statements=True, phone="0612345678")

    maker.refresh_from_db()
    assert (maker.consent_share_statements, maker.phone) == (True, "0612345678")
    event = AuditEvent.objects.get(action="maker.updated")
    assert event.data == {
        "fields": ["consent_share_statements", "phone"],
        "consent": {"consent_share_statements": {"old": False, "new": True}},
    }


def test_maker_update_without_change_writes_nothing():
    initiative = make_initiative()
    _, actor = make_coordinator(initiative, "c")
    maker = make_maker(initiative, "Fatima")

    services.maker_update(maker=maker, actor=actor, display_name="Fatima")

    assert not AuditEvent.objects.exists()


def test_sales_channel_link_and_lookup(make_installation):
    installation = make_installation(api_url="https://a.saleor.test/graphql/", jwks={})
    other = make_initiative("Other")
    initiative = make_initiative()
    _, admin_actor = make_coordinator(initiative, "boss", role=CoordinatorRole.ADMIN)

    services.sales_channel_link(
        initiative=initiative, installation=installation, channel_slug="west", actor=admin_actor
    )
    services.sales_channel_link(
        initiative=initiative, installation=installation, channel_slug="west", actor=admin_actor
    )

    assert SalesChannel.objects.count() == 1
    assert AuditEvent.objects.filter(action="sales_channel.linked").count() == 1
    assert (
        selectors.initiative_for_channel(installation_id=installation.pk, channel_slug="west") == initiative
    )
    assert selectors.initiative_for_channel(installation_id=installation.pk, channel_slug="east") is None
    with pytest.raises(ValidationFailed):
        services.sales_channel_link(
            initiative=other, installation=installation, channel_slug="west", actor="system:seed"
        )
