"""Demo payouts for `make demo`: the atelier pays its makers through Stripe (the local stand-in unless real
test keys are set). Idempotent: a second run finds the accounts and the policy and adds nothing twice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from django.conf import settings

from shop_extensions.makers.models import Initiative, Maker
from shop_extensions.payouts import services
from shop_extensions.payouts.models import PayoutPolicy

ACTOR = "system:demo"


def seed(*, stdout: Any, saleor_api_url: str | None = None, **_: Any) -> None:
    if not saleor_api_url or not settings.STRIPE_SECRET_KEY:
        return
    initiative = Initiative.objects.filter(installation__api_url=saleor_api_url).first()
    if initiative is None:
        return
    # The demo's orders are minutes old: no refund hold, a low minimum, sent without waiting for approval.
    PayoutPolicy.objects.update_or_create(
        initiative=initiative,
        defaults={"hold_days": 0, "minimum_amount": Decimal("1.00"), "auto_approve": True},
    )
    standin = settings.STRIPE_API_BASE
    for maker in Maker.objects.filter(initiative=initiative).order_by("internal_reference"):
        account = services.account_ensure(maker=maker, actor=ACTOR)
        if standin and account.status != "ready":
            # The stand-in's hosted onboarding, done for the maker; it sends account.updated to the app.
            httpx.post(f"{standin}/_standin/accounts/{account.stripe_account_id}/complete", timeout=10)
            account = services.account_refresh(maker=maker) or account
        stdout.write(
            f"Stripe account of {maker.display_name}: {account.stripe_account_id} ({account.status})"
        )
