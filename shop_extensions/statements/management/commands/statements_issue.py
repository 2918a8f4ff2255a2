"""``manage.py statements_issue [--month YYYY-MM] [--initiative ID]``: issue the month's statements now, in
this process, for every maker with activity (the monthly job fans the same out to the workers). Issuing is
idempotent: unchanged figures give the existing version, changed ones a new version."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from shop_extensions.makers.models import Initiative
from shop_extensions.statements import selectors, services


class Command(BaseCommand):
    help = "Issue the month's income statements now for every maker with activity."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: the previous month)")
        parser.add_argument("--initiative", type=int, help="initiative id (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["month"]:
            try:
                month = date.fromisoformat(options["month"] + "-01")
            except ValueError as exc:
                raise CommandError("--month must look like 2026-10") from exc
        else:
            month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
        initiatives = Initiative.objects.order_by("pk")
        if options["initiative"]:
            initiatives = initiatives.filter(pk=options["initiative"])
        for initiative in initiatives:
            for maker_id in selectors.makers_with_activity(initiative_id=initiative.pk, month=month):
                statement, created = services.statement_issue(
                    maker_id=maker_id, month=month, actor="system:cli"
                )
                self.stdout.write(
                    f"  {statement.maker.display_name:<10} {month:%Y-%m} version {statement.version}"
                    f"{'' if created else ' (unchanged)'}  code {statement.code}"
                )
