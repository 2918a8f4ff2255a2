"""Makers' connected accounts: created at Stripe on first use, onboarded through fresh Account Links, and
their status kept in plain words from Stripe's ``account.updated`` (out of order safe)."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction

from shop_extensions.core.services import audit_event_record
from shop_extensions.makers import selectors as makers_selectors
from shop_extensions.makers.models import Maker
from shop_extensions.payouts.models import (
    AccountStatus,
    ConnectedAccount,
)
from shop_extensions.payouts.stripe_adapter import (
    AccountInfo,
    StripeGateway,
)
from shop_extensions.payouts.stripe_adapter import gateway as default_gateway

# --- connected accounts -------------------------------------------------------------------------------


def _status_of(info: AccountInfo) -> str:
    if info.disabled_reason.startswith("rejected"):
        return AccountStatus.BLOCKED
    if info.transfers_active:
        return AccountStatus.READY
    if not info.details_submitted:
        return AccountStatus.NEW
    return AccountStatus.DETAILS_NEEDED if info.currently_due else AccountStatus.IN_REVIEW


def account_state_apply(account: ConnectedAccount, info: AccountInfo, stripe_time: int) -> bool:
    """Out-of-order safe: a state older than the one applied is ignored."""
    if stripe_time < account.stripe_updated_at:
        return False
    old = account.status
    account.status = _status_of(info)
    account.transfers_active = info.transfers_active
    account.payouts_enabled = info.payouts_enabled
    account.details_submitted = info.details_submitted
    account.currently_due = info.currently_due
    account.disabled_reason = info.disabled_reason
    account.stripe_updated_at = stripe_time
    account.save()
    if old != account.status:
        audit_event_record(
            actor="system:stripe",
            action="stripe_account.status",
            subject_type="maker",
            subject_id=str(account.maker_id),
            data={"old": old, "new": account.status, "currently_due": info.currently_due},
        )
    return True


def account_ensure(*, maker: Maker, actor: str, gateway: StripeGateway | None = None) -> ConnectedAccount:
    """The maker's connected account, created at Stripe on first use (the key makes a repeat harmless)."""
    existing = ConnectedAccount.objects.filter(maker=maker).first()
    if existing is not None:
        return existing
    info = (gateway or default_gateway()).account_create(
        email=maker.email,
        country=maker.initiative.country or settings.STRIPE_CONNECT_COUNTRY,
        metadata={"maker_id": str(maker.pk), "initiative_id": str(maker.initiative_id)},
        idempotency_key=f"rd-account-maker-{maker.pk}",
    )
    with transaction.atomic():
        account, created = ConnectedAccount.objects.get_or_create(
            maker=maker, defaults={"stripe_account_id": info.id}
        )
        if created:
            account_state_apply(account, info, int(time.time()))
            audit_event_record(
                actor=actor,
                action="stripe_account.create",
                subject_type="maker",
                subject_id=str(maker.pk),
                data={"account": info.id},
            )
    return account


def account_onboarding_link(
    *, maker: Maker, actor: str, return_url: str, refresh_url: str, gateway: StripeGateway | None = None
) -> str:
    """A fresh Account Link on every visit (links are single-use and expire within minutes). The maker
    themselves (``user:`` of the maker) or a coordinator of the maker's initiative may ask for one."""
    if not (maker.user_id is not None and actor == f"user:{maker.user_id}"):
        makers_selectors.actor_may_act_for(actor=actor, initiative_id=maker.initiative_id)
    gw = gateway or default_gateway()
    account = account_ensure(maker=maker, actor=actor, gateway=gw)
    url = gw.account_link_create(
        account_id=account.stripe_account_id, return_url=return_url, refresh_url=refresh_url
    )
    audit_event_record(
        actor=actor,
        action="stripe_account.onboarding_link",
        subject_type="maker",
        subject_id=str(maker.pk),
        data={"account": account.stripe_account_id},
    )
    return url


def account_refresh(*, maker: Maker, gateway: StripeGateway | None = None) -> ConnectedAccount | None:
    """After the maker returns from onboarding: read the account now rather than wait for the webhook."""
    account = ConnectedAccount.objects.filter(maker=maker).first()
    if account is None:
        return None
    info = (gateway or default_gateway()).account_retrieve(account.stripe_account_id)
    with transaction.atomic():
        locked = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
        account_state_apply(locked, info, int(time.time()))
    return locked
