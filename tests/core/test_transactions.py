"""A robust after-commit side effect that fails is logged; what was committed stands."""

from __future__ import annotations

import logging
from functools import partial

import pytest
from django.db import transaction

from shop_extensions.core.models import AuditEvent
from shop_extensions.core.services import audit_event_record
from shop_extensions.core.transactions import after_commit

pytestmark = pytest.mark.django_db(transaction=True)


class BrokerDown(Exception):
    pass


def enqueue(*args: object) -> None:
    raise BrokerDown(f"broker unreachable for {args}")


def test_a_failing_robust_side_effect_is_logged_and_the_commit_stands(caplog):
    caplog.set_level(logging.ERROR, logger="django.db.backends.base")
    with transaction.atomic():
        audit_event_record(actor="system:test", action="x", subject_type="t", subject_id="1")
        after_commit(partial(enqueue, [1, 2]), robust=True)

    assert AuditEvent.objects.count() == 1
    assert "broker unreachable" in caplog.text


def test_arguments_reach_the_side_effect_once_committed():
    seen: list[tuple[object, ...]] = []
    with transaction.atomic():
        after_commit(lambda *a, **k: seen.append((a, k)), [3], "2026-01-01", flag=True)
        assert seen == []
    assert seen == [(([3], "2026-01-01"), {"flag": True})]


def test_nothing_runs_when_the_transaction_rolls_back():
    seen: list[int] = []

    def work() -> None:
        with transaction.atomic():
            after_commit(seen.append, 1)
            raise BrokerDown

    with pytest.raises(BrokerDown):
        work()
    assert seen == []
