"""Positions and warnings: each level is announced once per threshold and month, to maker and coordinator."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from shop_extensions.benefits import services
from shop_extensions.benefits.models import InitiativeBenefitPolicy, Notification, Position
from shop_extensions.benefits.selectors import positions_for_coordinator
from shop_extensions.benefits.tasks import (
    notifications_send_task,
    positions_refresh_all_task,
    positions_refresh_task,
)
from shop_extensions.core.errors import PermissionDenied
from tests.makers.factories import make_coordinator, make_initiative, make_maker

from .factories import make_situation, set_month_earnings

pytestmark = pytest.mark.django_db
JAN = date(2026, 1, 1)


@pytest.fixture(autouse=True)
def _tasks_run_inline(eager_tasks):
    """The mailing task runs as the worker would, right after commit."""


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


class SmtpDown(BaseEmailBackend):
    """Stands in for an unreachable mail server."""

    def send_messages(self, email_messages):
        raise ConnectionError("smtp down")


def test_a_failed_send_is_retried_without_announcing_again(
    atelier, django_capture_on_commit_callbacks, settings
):
    initiative, _ = atelier
    maker = make_maker(initiative, "Fatima")
    make_situation(maker)
    set_month_earnings(maker, JAN, "950.00")
    settings.EMAIL_BACKEND = "tests.benefits.test_positions.SmtpDown"

    refresh([maker.pk], django_capture_on_commit_callbacks)  # the mailing task fails after commit
    unsent = list(Notification.objects.filter(emailed_at__isnull=True).values_list("pk", flat=True))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notifications_send_task.run(unsent)  # the task's retry
    notifications_send_task.run(unsent)  # a duplicate delivery of the same task
    refresh([maker.pk], django_capture_on_commit_callbacks)

    assert len(unsent) == 1
    assert Notification.objects.count() == 1
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0
    assert len(mail.outbox) == 2


def test_refresh_only_records_and_enqueues_mailing_after_commit(atelier, django_capture_on_commit_callbacks):
    initiative, _ = atelier
    maker = make_maker(initiative, "Fatima")
    make_situation(maker)
    set_month_earnings(maker, JAN, "950.00")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.positions_refresh(maker_ids=[maker.pk], month=JAN)

        assert mail.outbox == []  # nothing mailed inside the transaction
    assert len(callbacks) == 1
    assert Notification.objects.get().emailed_at is None
    callbacks[0]()
    assert len(mail.outbox) == 2
    assert Notification.objects.get().emailed_at is not None


def test_unsent_warnings_are_enqueued_again_by_the_next_refresh_and_mailed_once(
    atelier, django_capture_on_commit_callbacks
):
    initiative, _ = atelier
    maker = make_maker(initiative, "Fatima")
    make_situation(maker)
    set_month_earnings(maker, JAN, "950.00")
    with django_capture_on_commit_callbacks(execute=False):
        services.positions_refresh(maker_ids=[maker.pk], month=JAN)  # the broker lost this task

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


def test_tasks_are_registered_under_their_names():
    assert positions_refresh_task.name == "benefits.positions_refresh"
    assert notifications_send_task.name == "benefits.notifications_send"


@pytest.mark.parametrize(
    ("started", "level"),
    [(date(2025, 9, 1), "approaching"), (date(2025, 8, 1), "reached")],
    ids=["pw-31-2-n-month-5-of-6-approaching", "pw-31-2-n-month-6-of-6-reached"],
)
def test_end_of_the_free_period_is_announced_once(
    atelier, django_capture_on_commit_callbacks, started, level
):
    initiative, _ = atelier
    maker = make_maker(initiative, "Fatima")
    make_situation(maker, free_period_started=started)
    set_month_earnings(maker, JAN, "100.00")  # far below every euro threshold

    refresh([maker.pk], django_capture_on_commit_callbacks)
    refresh([maker.pk], django_capture_on_commit_callbacks)

    assert list(Notification.objects.values_list("threshold", "level", "threshold_limit")) == [
        ("free_period_end", level, Decimal(6))
    ]
    assert Position.objects.get(maker=maker).status == "ok"  # the status is about earnings
    assert len(mail.outbox) == 2
    expected = "Volgende maand is de laatste maand" if level == "approaching" else "Deze maand is de laatste"
    assert expected in mail.outbox[0].body


def test_no_period_end_for_a_rule_without_a_time_limit(atelier, django_capture_on_commit_callbacks):
    initiative, _ = atelier
    maker = make_maker(initiative, "Fatima")
    make_situation(maker, medically_limited=True, free_period_started=date(2023, 1, 1))  # y, no limit
    set_month_earnings(maker, JAN, "100.00")

    refresh([maker.pk], django_capture_on_commit_callbacks)

    assert Position.objects.get(maker=maker).rule_code == "pw-31-2-y"
    assert not Notification.objects.exists()


def test_the_daily_refresh_reaches_makers_whose_ledger_did_not_move(
    atelier, django_capture_on_commit_callbacks
):
    initiative, _ = atelier
    quiet = make_maker(initiative, "Fatima")
    make_situation(quiet, free_period_started=date(2025, 9, 1))  # no ledger entry this month
    make_maker(initiative, "Noor")  # no situation: nothing to compute
    inactive = make_maker(initiative, "Sam", is_active=False)
    make_situation(inactive, free_period_started=date(2025, 9, 1))

    with django_capture_on_commit_callbacks(execute=True):
        computed = positions_refresh_all_task.run("2026-01-20", chunk=1)
    with django_capture_on_commit_callbacks(execute=True):
        positions_refresh_all_task.run("2026-01-21")

    assert computed == 1
    assert list(Notification.objects.values_list("maker_id", "threshold", "level")) == [
        (quiet.pk, "free_period_end", "approaching")
    ]
    assert len(mail.outbox) == 2
