"""Reads for the portal, the coordinator workspace and statements. Coordinator reads are scoped to the
initiatives the user coordinates (another initiative's id is refused without telling whether it exists)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shop_extensions.ledger import selectors as ledger_selectors
from shop_extensions.makers import selectors as makers_selectors
from shop_extensions.makers.models import Maker
from shop_extensions.payouts.models import (
    AccountStatus,
    ConnectedAccount,
    Payout,
    PayoutPolicy,
    PayoutRun,
    PayoutState,
    PolicyMode,
)


def state_label(state: str) -> str:
    """Plain words for a payout's state, in the active language."""
    return str(PayoutState(state).label)


def account_status_label(status: str | None) -> str:
    if status is None:
        return _("No Stripe account yet: start the onboarding")
    return str(AccountStatus(status).label)


def payouts_for_maker(*, maker: Maker) -> QuerySet[Payout]:
    """The maker's own payouts, newest first (drafts and cancelled ones are not shown to makers)."""
    return (
        Payout.objects.filter(maker=maker)
        .exclude(state__in=[PayoutState.DRAFT, PayoutState.CANCELLED])
        .order_by("-created_at", "-pk")
    )


def payouts_for_coordinator(
    *, user: Any, initiative_id: int, state: str | None = None, run_id: int | None = None
) -> QuerySet[Payout]:
    makers_selectors.coordinator_require(user=user, initiative_id=initiative_id)
    payouts = Payout.objects.filter(initiative_id=initiative_id).select_related("maker", "run")
    if state:
        payouts = payouts.filter(state=state)
    if run_id is not None:
        payouts = payouts.filter(run_id=run_id)
    return payouts.order_by("-created_at", "-pk")


def runs_for_coordinator(*, user: Any, initiative_id: int) -> QuerySet[PayoutRun]:
    makers_selectors.coordinator_require(user=user, initiative_id=initiative_id)
    return PayoutRun.objects.filter(initiative_id=initiative_id).order_by("-created_at", "-pk")


def account_for_maker(*, maker: Maker) -> ConnectedAccount | None:
    return ConnectedAccount.objects.filter(maker=maker).first()


def accounts_for_coordinator(*, user: Any, initiative_id: int) -> dict[int, ConnectedAccount]:
    """Per maker id, the connected account (makers without one are absent)."""
    makers_selectors.coordinator_require(user=user, initiative_id=initiative_id)
    return {a.maker_id: a for a in ConnectedAccount.objects.filter(maker__initiative_id=initiative_id)}


def policy_for_initiative(*, initiative_id: int) -> PayoutPolicy:
    """The stored policy, or the defaults (alert only, 14 days hold, EUR 10 minimum) without storing them."""
    return PayoutPolicy.objects.filter(initiative_id=initiative_id).first() or PayoutPolicy(
        initiative_id=initiative_id
    )


@dataclass(frozen=True)
class MakerMoney:
    """Where a maker's money is: on the balance, in a payout on its way, or (pot initiatives) in the pot."""

    balance: Decimal
    on_its_way: Decimal
    in_pot: bool
    account_status: str


def maker_money(*, maker: Maker) -> MakerMoney:
    currency = maker.initiative.currency
    balance = ledger_selectors.maker_balance(maker=maker, currency=currency)
    on_its_way = sum(
        (
            p.amount
            for p in Payout.objects.filter(
                maker=maker,
                state__in=[PayoutState.SUBMITTING, PayoutState.SUBMITTED, PayoutState.OUTCOME_UNKNOWN],
            )
        ),
        Decimal(0),
    )
    account = account_for_maker(maker=maker)
    return MakerMoney(
        balance=balance,
        on_its_way=on_its_way,
        in_pot=policy_for_initiative(initiative_id=maker.initiative_id).mode == PolicyMode.POT,
        account_status=account_status_label(account.status if account else None),
    )
