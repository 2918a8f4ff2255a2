"""The monthly job: one run per initiative, fanned out; reruns issue nothing twice; a killed worker's rest is
completed on redelivery; a failing maker does not stop the others; delivery by e-mail without figures;
the coordinator's overview and ZIP."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import zipfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.utils import translation

from shop_extensions.core.errors import PermissionDenied
from shop_extensions.statements import selectors, services
from shop_extensions.statements.models import ItemStatus, Statement, StatementRunItem
from tests.makers.factories import make_coordinator, make_initiative

AMS = ZoneInfo("Europe/Amsterdam")
OCT = date(2026, 10, 1)


@pytest.fixture
def makers(shop, make_maker):
    made = []
    for n, name in enumerate(["Amal", "Bart", "Chen", "Dewi", "Eva"]):
        maker = make_maker(name)
        shop.sell(maker, datetime(2026, 10, 2 + n, 12, tzinfo=AMS), [(1 + n, "12.10")])
        made.append(maker)
    make_maker("Idle")  # no activity in October: no statement
    return made


def process(run) -> None:
    """What the workers do with the run's batches."""
    ids = list(
        StatementRunItem.objects.filter(run=run).order_by("maker_id").values_list("maker_id", flat=True)
    )
    services.run_batch_process(run_id=run.pk, maker_ids=ids)


@pytest.mark.django_db
def test_closing_the_month_twice_issues_each_statement_once(makers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        (first,) = services.statements_month_close(month=OCT)
    process(first)
    (second,) = services.statements_month_close(month=OCT)
    process(second)

    assert len(enqueued) == 1  # one batch of five makers (batch size 20)
    assert Statement.objects.count() == 5
    assert sorted(Statement.objects.values_list("version", flat=True)) == [1] * 5
    assert sorted(first.items.values_list("status", flat=True)) == [ItemStatus.ISSUED] * 5
    assert sorted(second.items.values_list("status", flat=True)) == [ItemStatus.UNCHANGED] * 5


@pytest.mark.django_db
def test_a_failing_maker_does_not_stop_the_others_and_is_retried(makers, make_maker):
    idle = make_maker("Zoe")  # named on demand but without activity: this one fails
    run = services.statement_run_start(
        initiative_id=makers[0].initiative_id,
        month=OCT,
        trigger="on_demand",
        actor="system:test",
        maker_ids=[idle.pk, *[m.pk for m in makers]],
        enqueue=False,
    )

    with translation.override("nl"):  # a worker runs in the site's language; the error is kept in it
        failed = services.run_batch_process(run_id=run.pk, maker_ids=[idle.pk, *[m.pk for m in makers]])
        retry = services.run_items_retryable(run_id=run.pk, maker_ids=failed, max_attempts=2)
        services.run_batch_process(run_id=run.pk, maker_ids=retry)
    retry_again = services.run_items_retryable(run_id=run.pk, maker_ids=failed, max_attempts=2)

    item = StatementRunItem.objects.get(run=run, maker=idle)
    assert failed == retry == [idle.pk]
    assert retry_again == []
    assert (item.status, item.attempts, item.error) == (
        ItemStatus.FAILED,
        2,
        "Bij deze maker is in die maand niets geboekt.",
    )
    assert Statement.objects.count() == 5
    (progress,) = selectors.statement_runs_for_coordinator(
        user=make_coordinator(makers[0].initiative, "coco")[0], initiative_id=makers[0].initiative_id
    )
    assert (progress.total, progress.issued, progress.failed, progress.pending) == (6, 5, 1, 0)
    assert progress.failures == [("Zoe", "Bij deze maker is in die maand niets geboekt.")]


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_leaves_the_rest_to_the_redelivered_batch(makers, statements_storage):
    (run,) = services.statements_month_close(month=OCT)
    ids = [m.pk for m in makers]
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "STATEMENTS_STORAGE_DIR": str(statements_storage),
        "DJANGO_SETTINGS_MODULE": "backend.settings.test",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.statements.worker", str(run.pk), ",".join(map(str, ids))],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        cwd=django_settings.BASE_DIR,
    )
    done = [worker.stdout.readline().strip(), worker.stdout.readline().strip()]
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    pending_after_kill = StatementRunItem.objects.filter(run=run, status=ItemStatus.PENDING).count()

    process(run)  # the unacknowledged batch is delivered again

    assert done == [str(ids[0]), str(ids[1])]
    assert 1 <= pending_after_kill <= 3
    assert sorted(Statement.objects.values_list("maker_id", "version")) == [(m, 1) for m in ids]
    assert list(run.items.values_list("status", flat=True)) == [ItemStatus.ISSUED] * 5


@pytest.mark.django_db
def test_the_maker_gets_one_message_with_a_link_and_no_figures(makers):
    statement, _ = services.statement_issue(maker_id=makers[4].pk, month=OCT, actor="system:test")

    sent = services.statement_notify(statement_id=statement.pk)
    again = services.statement_notify(statement_id=statement.pk)

    assert (sent, again) == (True, False)
    (message,) = mail.outbox
    assert message.to == ["eva@example.org"]
    assert message.subject == "Uw inkomstenoverzicht over oktober 2026 staat klaar"
    assert "http://testserver/portal/" in message.body
    assert message.attachments == []
    for figure in [statement.data["totals"]["earned"], "48,00", "48.00", "60,50", statement.code]:
        assert figure not in message.body


@pytest.mark.django_db
def test_the_beat_closes_the_previous_month_at_six_on_the_first_in_amsterdam():
    entry = django_settings.CELERY_BEAT_SCHEDULE["statements-month-close"]

    assert entry["task"] == "statements.month_close"
    assert entry["schedule"] == crontab(minute="0", hour="6", day_of_month="1")
    assert django_settings.CELERY_TIMEZONE == "Europe/Amsterdam"


@pytest.mark.django_db
def test_the_coordinator_sees_the_month_and_downloads_it_as_one_zip(makers, shop):
    initiative = makers[0].initiative
    coordinator, actor = make_coordinator(initiative, "coco")
    outsider, _ = make_coordinator(make_initiative("Elders"), "other")
    for maker in makers:
        services.statement_issue(maker_id=maker.pk, month=OCT, actor="system:test")
    corrected, created = services.statement_regenerate(
        maker_id=makers[0].pk, month=OCT, reason="adres betaler aangepast", actor=actor, force=True
    )

    rows = selectors.statements_month_overview_for_coordinator(
        user=coordinator, initiative_id=initiative.pk, month=OCT
    )
    name, payload = selectors.statements_zip_for_coordinator(
        user=coordinator, initiative_id=initiative.pk, month=OCT
    )

    assert created
    assert (corrected.version, corrected.reason) == (2, "adres betaler aangepast")
    assert [(r.maker.display_name, r.statement.version, r.versions) for r in rows] == [
        ("Amal", 2, 2),
        ("Bart", 1, 1),
        ("Chen", 1, 1),
        ("Dewi", 1, 1),
        ("Eva", 1, 1),
    ]
    names = sorted(zipfile.ZipFile(io.BytesIO(payload)).namelist())
    assert name == f"statements-{initiative.pk}-2026-10.zip"
    assert len(names) == 15
    assert "ref-Amal/statement-2026-10-v2.pdf" in names
    assert "ref-Amal/statement-2026-10-v1.pdf" not in names
    with pytest.raises(PermissionDenied):
        selectors.statements_zip_for_coordinator(user=outsider, initiative_id=initiative.pk, month=OCT)
    with pytest.raises(PermissionDenied):
        services.statement_regenerate(
            maker_id=makers[0].pk, month=OCT, reason="x", actor=f"user:{outsider.pk}"
        )
