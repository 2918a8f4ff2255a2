"""``manage.py payout_run [--initiative ID]``: an on-demand payout run per initiative, sent now (drafts
are approved when the policy auto-approves; otherwise they wait for a coordinator)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from shop_extensions.core.errors import ValidationFailed
from shop_extensions.makers.models import Initiative
from shop_extensions.payouts import selectors, services
from shop_extensions.payouts.models import Payout


class Command(BaseCommand):
    help = "Create and send a payout run for one initiative (or all)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--initiative", type=int, help="initiative id (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        initiatives = Initiative.objects.order_by("pk")
        if options["initiative"]:
            initiatives = initiatives.filter(pk=options["initiative"])
        for initiative in initiatives:
            try:
                run = services.payout_run_create(initiative_id=initiative.pk, actor="system:cli")
            except ValidationFailed as exc:
                self.stdout.write(f"{initiative.name}: {exc.message}")
                continue
            report = services.payout_run_execute(run_id=run.pk)
            self.stdout.write(f"{initiative.name}: run {run.pk}: {vars(report)}")
            for payout in Payout.objects.filter(run=run).select_related("maker").order_by("pk"):
                self.stdout.write(
                    f"  {payout.maker.display_name:<10} {payout.currency} {payout.amount} "
                    f"{selectors.state_label(payout.state)} {payout.transfer_id}"
                )
