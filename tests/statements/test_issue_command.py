"""`manage.py statements_issue`: the month's statements now, idempotent on a rerun."""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from shop_extensions.statements.models import Statement

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


def test_issuing_twice_gives_one_version_per_maker_with_activity(shop, make_maker):
    amal, bart = make_maker("Amal"), make_maker("Bart")
    make_maker("Idle")  # no activity: no statement
    shop.sell(amal, datetime(2026, 10, 2, 12, tzinfo=AMS), [(1, "12.10")])
    shop.sell(bart, datetime(2026, 10, 31, 23, 30, tzinfo=AMS), [(2, "12.10")])
    first, second = StringIO(), StringIO()

    call_command("statements_issue", "--month", "2026-10", stdout=first)
    call_command("statements_issue", "--month", "2026-10", stdout=second)

    assert sorted(Statement.objects.values_list("maker__display_name", "month", "version")) == [
        ("Amal", date(2026, 10, 1), 1),
        ("Bart", date(2026, 10, 1), 1),
    ]
    assert first.getvalue().count("version 1") == 2
    assert "(unchanged)" not in first.getvalue()
    assert second.getvalue().count("(unchanged)") == 2


def test_a_malformed_month_is_refused():
    with pytest.raises(CommandError):
        call_command("statements_issue", "--month", "oktober")
    assert not Statement.objects.exists()


def test_without_the_font_issuing_says_what_to_install(shop, make_maker, settings, tmp_path):
    from shop_extensions.statements import formatting, rendering

    settings.STATEMENTS_FONT_DIR = str(tmp_path)  # an empty folder: no DejaVu Sans
    formatting._advances.cache_clear()
    rendering._compiler.cache_clear()
    amal = make_maker("Amal")
    shop.sell(amal, datetime(2026, 10, 2, 12, tzinfo=AMS), [(1, "12.10")])
    try:
        with pytest.raises(formatting.FontsMissing, match="fonts-dejavu-core"):
            call_command("statements_issue", "--month", "2026-10", stdout=StringIO())
    finally:
        formatting._advances.cache_clear()
        rendering._compiler.cache_clear()
    assert not Statement.objects.exists()
