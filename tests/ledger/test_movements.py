"""Payouts and pot spending as ledger movements: signed, idempotent, split out in the month totals."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from shop_extensions.core.errors import ValidationFailed
from shop_extensions.core.money import Money
from shop_extensions.ledger import selectors
from shop_extensions.ledger.models import EarningEntry, EntryKind, MakerPeriodTotal
from shop_extensions.ledger.services import entries_post, movement_post

pytestmark = pytest.mark.django_db(transaction=True)
AMS = ZoneInfo("Europe/Amsterdam")


def _earn(maker, amount: str, when: datetime, key: str) -> None:
    with transaction.atomic():
        entries_post(
            entries=[
                EarningEntry(
                    maker=maker,
                    initiative=maker.initiative,
                    kind=EntryKind.SALE,
                    amount=D(amount),
                    currency="EUR",
                    effective_at=when,
                    period=when.date().replace(day=1),
                    idempotency_key=key,
                )
            ]
        )


def _pay(maker, kind: str, amount: str, key: str, when: datetime):
    with transaction.atomic():
        return movement_post(
            maker_id=maker.pk,
            initiative_id=maker.initiative_id,
            kind=kind,
            money=Money(D(amount), "EUR"),
            effective_at=when,
            idempotency_key=key,
            reference="payout:1",
        )


def test_a_payout_lowers_the_balance_but_not_the_months_earnings(make_maker):
    maker = make_maker("Fatima")
    _earn(maker, "40.00", datetime(2026, 3, 5, 12, tzinfo=AMS), "sale:1")
    _pay(maker, EntryKind.PAYOUT, "-30.00", "payout:1", datetime(2026, 4, 1, 9, tzinfo=AMS))

    assert selectors.maker_balance(maker=maker, currency="EUR") == D("10.00")
    assert selectors.maker_month_earnings(maker=maker, currency="EUR", month=date(2026, 3, 1)) == D("40.00")
    assert selectors.maker_month_earnings(maker=maker, currency="EUR", month=date(2026, 4, 1)) == D("0")
    april = selectors.maker_month_totals(maker=maker, currency="EUR", month=date(2026, 4, 1))
    assert (april.earned, april.paid_out, april.pot_spent) == (D("0"), D("30.00"), D("0"))
    row = MakerPeriodTotal.objects.get(maker=maker, period=date(2026, 4, 1))
    assert (row.amount, row.earned, row.paid_out, row.pot_spent) == (D("-30.00"), 0, D("-30.00"), 0)


def test_a_repeated_movement_is_booked_once_and_a_different_one_under_the_same_key_is_refused(make_maker):
    maker = make_maker("Fatima")
    when = datetime(2026, 4, 1, 9, tzinfo=AMS)
    first, created = _pay(maker, EntryKind.PAYOUT, "-30.00", "payout:1", when)
    again, created_again = _pay(maker, EntryKind.PAYOUT, "-30.00", "payout:1", when)

    assert (created, created_again, again.pk) == (True, False, first.pk)
    with pytest.raises(ValidationFailed):
        _pay(maker, EntryKind.PAYOUT, "-31.00", "payout:1", when)
    assert EarningEntry.objects.filter(maker=maker).count() == 1
    assert selectors.maker_balance(maker=maker, currency="EUR") == D("-30.00")


def test_a_returned_payout_and_pot_spending_move_their_own_columns(make_maker):
    maker = make_maker("Fatima")
    when = datetime(2026, 4, 2, 9, tzinfo=AMS)
    _earn(maker, "50.00", when, "sale:1")
    _pay(maker, EntryKind.PAYOUT, "-20.00", "payout:1", when)
    _pay(maker, EntryKind.PAYOUT_RETURN, "20.00", "payout:1:returned", when)
    _pay(maker, EntryKind.POT_SPEND, "-12.50", "pot:1", when)

    april = selectors.maker_month_totals(maker=maker, currency="EUR", month=date(2026, 4, 1))
    assert (april.earned, april.paid_out, april.pot_spent) == (D("50.00"), D("0.00"), D("12.50"))
    assert april.balance_change == selectors.maker_balance(maker=maker, currency="EUR") == D("37.50")


def test_a_movement_with_the_wrong_sign_is_refused_by_the_database(make_maker):
    maker = make_maker("Fatima")
    with pytest.raises(IntegrityError):
        _pay(maker, EntryKind.PAYOUT, "30.00", "payout:1", datetime(2026, 4, 1, tzinfo=AMS))
    assert not EarningEntry.objects.exists()
    assert not MakerPeriodTotal.objects.exists()


def test_movements_outside_a_transaction_or_of_an_earning_kind_are_refused(make_maker):
    maker = make_maker("Fatima")
    with pytest.raises(RuntimeError):
        movement_post(
            maker_id=maker.pk,
            initiative_id=maker.initiative_id,
            kind=EntryKind.PAYOUT,
            money=Money(D("-1.00"), "EUR"),
            effective_at=datetime(2026, 4, 1, tzinfo=AMS),
            idempotency_key="k",
            reference="r",
        )
    with pytest.raises(ValidationFailed):
        _pay(maker, EntryKind.SALE, "1.00", "k2", datetime(2026, 4, 1, tzinfo=AMS))
    assert not EarningEntry.objects.exists()


def test_two_transactions_posting_the_same_movement_at_once_book_it_once(make_maker):
    """No lock in common: the second insert waits for the first transaction's key, and when that commits
    the second takes its entry (created False) instead of failing or booking twice."""
    maker = make_maker("Fatima")
    when = datetime(2026, 4, 1, 9, tzinfo=AMS)
    first_posted, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = movement_post(
                    maker_id=maker.pk, initiative_id=maker.initiative_id, kind=EntryKind.PAYOUT,
                    money=Money(D("-30.00"), "EUR"), effective_at=when, idempotency_key="payout:9",
                    reference="payout:9",
                )  # fmt: skip
                first_posted.set()
                release.wait(10)
        finally:
            connection.close()

    def second() -> None:
        try:
            first_posted.wait(10)
            with transaction.atomic():
                # Its own read does not see the first's uncommitted entry; its insert waits on the key.
                results["second"] = movement_post(
                    maker_id=maker.pk, initiative_id=maker.initiative_id, kind=EntryKind.PAYOUT,
                    money=Money(D("-30.00"), "EUR"), effective_at=when, idempotency_key="payout:9",
                    reference="payout:9",
                )  # fmt: skip
                results["second_still_usable"] = EarningEntry.objects.filter(maker=maker).count()
        except Exception as exc:
            results["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_posted.wait(10)
    _wait_until_blocked_on_a_lock()
    release.set()
    for thread in threads:
        thread.join(20)

    (entry, created), second = results["first"], results["second"]
    assert created is True
    assert not isinstance(second, Exception), second
    assert second == (entry, False) or (second[0].pk, second[1]) == (entry.pk, False)
    assert results["second_still_usable"] == 1
    assert EarningEntry.objects.filter(idempotency_key="payout:9").count() == 1
    assert selectors.maker_balance(maker=maker, currency="EUR") == D("-30.00")
    assert MakerPeriodTotal.objects.get(maker=maker).entries == 1


def _wait_until_blocked_on_a_lock(timeout: float = 10.0) -> None:
    """Until another session of this database waits for a lock (the second insert on the first's key)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the second transaction never waited for the first one's key")
