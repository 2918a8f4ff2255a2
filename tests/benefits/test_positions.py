"""Positions and warnings: each level is announced once per threshold and month, to maker and coordinator."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from shop_extensions.benefits import services
from shop_extensions.benefits.models import InitiativeBenefitPolicy, Notification, Position
from shop_extensions.benefits.selectors import positions_for_coordinator
from shop_extensions.benefits.tasks import positions_refresh_task
from shop_extensions.core.errors import PermissionDenied
from tests.makers.factories import make_coordinator, make_initiative, make_maker

from .factories import make_situation, set_month_earnings

pytestmark = pytest.mark.django_db
JAN = date(2026, 1, 1)


@pytest.fixture
def atelier():
    initiative = make_initiative("Atelier West")
    user, _ = make_coordinator(initiative, "coord")
    user.email = "coord@example.test"
    user.save()
    return initiative, user


def refresh(maker_ids, captured):
    with captured(execute=True):
        return services.positions_refresh(maker_ids=maker_ids, month=JAN)


def test_repeated_refresh_never_warns_twice(atelier, django_capture_on_commit_callbacks):
    initiative, _ = atelier
    maker = make_maker(initiative, "Fatima")
    make_situation(maker)
    set_month_earnings(maker, JAN, "950.00")  # 83% of the 1,140 that uses the 2026-01 cap of 285 at 25%

    refresh([maker.pk], django_capture_on_commit_callbacks)
    refresh([maker.pk], django_capture_on_commit_callbacks)
    positions_refresh_task.run([maker.pk], "2026-01-15")

    assert list(Notification.objects.values_list("threshold", "level")) == [("free_cap", "approaching")]
    assert len(mail.outbox) == 2  # one to the maker, one to the coordinators
    assert mail.outbox[0].to == ["fatima@example.test"]
    assert "schatting, geen besluit" in mail.outbox[0].body
    assert mail.outbox[1].to == ["coord@example.test"]
    position = Position.objects.get(maker=maker, month=JAN)
    assert (position.status, position.threshold, position.room_left) == (
        "approaching",
        "free_cap",
        Decimal("190.00"),
    )
    assert position.free_amount == Decimal("237.50")
    assert position.verified is True


def test_each_new_level_is_announced_once(atelier, django_capture_on_commit_callbacks):
    initiative, _ = atelier
    maker = make_maker(initiative, "Sam", preferred_language="en")
    make_situation(maker)

    set_month_earnings(maker, JAN, "950.00")
    refresh([maker.pk], django_capture_on_commit_callbacks)
    set_month_earnings(maker, JAN, "1200.00")
    refresh([maker.pk], django_capture_on_commit_callbacks)
    refresh([maker.pk], django_capture_on_commit_callbacks)

    assert sorted(Notification.objects.values_list("level", flat=True)) == ["approaching", "over"]
    assert len(mail.outbox) == 4
    assert "estimate, not a decision" in mail.outbox[2].body
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_below_the_warning_percent_nothing_is_sent(atelier, django_capture_on_commit_callbacks):
    initiative, _ = atelier
    InitiativeBenefitPolicy.objects.create(initiative=initiative, approaching_percent=Decimal("90"))
    maker = make_maker(initiative, "Fatima")
    make_situation(maker)
    set_month_earnings(maker, JAN, "950.00")  # 83% < 90%

    refresh([maker.pk], django_capture_on_commit_callbacks)

    assert Position.objects.get(maker=maker).status == "ok"
    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_maker_without_situation_gets_no_position(atelier, django_capture_on_commit_callbacks):
    initiative, _ = atelier
    maker = make_maker(initiative, "Fatima")
    set_month_earnings(maker, JAN, "950.00")

    assert refresh([maker.pk], django_capture_on_commit_callbacks) == 0
    assert not Position.objects.exists()


def test_coordinator_overview_is_scoped_and_set_based(
    atelier, django_capture_on_commit_callbacks, django_assert_num_queries
):
    initiative, user = atelier
    other = make_initiative("Elders")
    makers = [make_maker(initiative, f"M{i}") for i in range(5)]
    stranger = make_maker(other, "Stranger")
    for maker in [*makers, stranger]:
        make_situation(maker)
        set_month_earnings(maker, JAN, "100.00")
    refresh([m.pk for m in [*makers, stranger]], django_capture_on_commit_callbacks)

    with django_assert_num_queries(2):  # the access check, then the positions with their makers
        rows = list(positions_for_coordinator(user=user, initiative_id=initiative.pk, month=JAN))
        names = [row.maker.display_name for row in rows]

    assert names == ["M0", "M1", "M2", "M3", "M4"]
    with pytest.raises(PermissionDenied):
        positions_for_coordinator(user=user, initiative_id=other.pk, month=JAN)


def test_refresh_query_count_does_not_grow_with_makers(
    atelier, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    initiative, _ = atelier
    makers = [make_maker(initiative, f"M{i}") for i in range(30)]
    for maker in makers:
        make_situation(maker)
        set_month_earnings(maker, JAN, "100.00")

    with django_assert_max_num_queries(10):
        services.positions_refresh(maker_ids=[m.pk for m in makers], month=JAN)

    assert Position.objects.count() == 30


def test_what_if_shows_what_an_extra_amount_leaves(atelier):
    initiative, _ = atelier
    maker = make_maker(initiative, "Fatima")
    make_situation(maker, free_period_started=date(2026, 1, 1))
    set_month_earnings(maker, date(2026, 1, 1), "1000.00")

    result = services.what_if(maker=maker, extra=Decimal("200.00"), month=date(2026, 1, 20))

    # free 250.00 before; 25% of 1,200 = 300 is capped at 285: 35.00 of the 200 is kept
    assert result.kept == Decimal("35.00")
    assert result.deducted == Decimal("165.00")
    assert result.indication is True


def test_a_failed_send_is_retried_once_by_the_next_refresh(
    atelier, django_capture_on_commit_callbacks, monkeypatch
):
    initiative, _ = atelier
    maker = make_maker(initiative, "Fatima")
    make_situation(maker)
    set_month_earnings(maker, JAN, "950.00")

    class Down:
        def send_messages(self, messages):
            raise ConnectionError("smtp down")

    monkeypatch.setattr(services, "get_connection", Down)
    with pytest.raises(ConnectionError):
        refresh([maker.pk], django_capture_on_commit_callbacks)
    monkeypatch.undo()
    refresh([maker.pk], django_capture_on_commit_callbacks)
    refresh([maker.pk], django_capture_on_commit_callbacks)

    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 2


def test_what_if_without_a_known_benefit_says_nothing(atelier):
    initiative, _ = atelier
    maker = make_maker(initiative, "Fatima")

    result = services.what_if(maker=maker, extra=Decimal("200.00"), month=JAN)

    assert result.kept is None
    assert result.verified is False


def test_task_is_registered_under_its_name():
    assert positions_refresh_task.name == "benefits.positions_refresh"
