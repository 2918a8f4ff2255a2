"""The only place that talks to Stripe. Money becomes integer cents here and nowhere else; every create sends
the caller's idempotency key; stripe-python's own retries are off (``max_network_retries=0``) because the
payout flow owns retries, with keys it stored before calling."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings

from shop_extensions.core.money import Money, minor_units


class StripeProblem(Exception):
    def __init__(self, message: str, *, code: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


class RateLimited(StripeProblem):
    """429: nothing happened; back off and send the same request again."""


class OutcomeUnknown(StripeProblem):
    """Timeout, lost connection, 5xx or a concurrent request with the same key: Stripe may or may not have
    acted. Only the same key (within 24 h) or a look-up may decide."""


class Rejected(StripeProblem):
    """A 4xx Stripe answered definitively: nothing was created."""


class KeyReused(StripeProblem):
    """The same idempotency key was sent with other parameters: a bug on our side, never retried blindly."""


@dataclass(frozen=True)
class AccountInfo:
    id: str
    transfers_active: bool
    payouts_enabled: bool
    details_submitted: bool
    currently_due: list[str]
    disabled_reason: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TransferInfo:
    id: str
    money: Money
    destination: str
    transfer_group: str
    reversed_money: Money
    metadata: dict[str, str]
    created: int


def _money(cents: int, currency: str) -> Money:
    return Money(Decimal(cents).scaleb(-minor_units(currency)), currency.upper())


def _account(obj: Any) -> AccountInfo:
    capabilities = obj.get("capabilities") or {}
    requirements = obj.get("requirements") or {}
    return AccountInfo(
        id=obj["id"],
        transfers_active=capabilities.get("transfers") == "active",
        payouts_enabled=bool(obj.get("payouts_enabled")),
        details_submitted=bool(obj.get("details_submitted")),
        currently_due=list(requirements.get("currently_due") or []),
        disabled_reason=requirements.get("disabled_reason") or "",
        metadata=dict(obj.get("metadata") or {}),
    )


def account_from_payload(obj: dict[str, Any]) -> AccountInfo:
    """An account object from a webhook body (already verified and parsed)."""
    return _account(obj)


def _transfer(obj: Any) -> TransferInfo:
    currency = obj["currency"]
    return TransferInfo(
        id=obj["id"],
        money=_money(int(obj["amount"]), currency),
        destination=obj.get("destination") or "",
        transfer_group=obj.get("transfer_group") or "",
        reversed_money=_money(int(obj.get("amount_reversed") or 0), currency),
        metadata=dict(obj.get("metadata") or {}),
        created=int(obj.get("created") or 0),
    )


def transfer_from_payload(obj: dict[str, Any]) -> TransferInfo:
    return _transfer(obj)


def _translate(exc: stripe.StripeError) -> StripeProblem:
    status = exc.http_status
    code = getattr(exc, "code", None) or ""
    message = exc.user_message or str(exc)
    if isinstance(exc, stripe.RateLimitError):
        return RateLimited(message, code=code, status=status)
    if isinstance(exc, stripe.IdempotencyError):
        return KeyReused(message, code=code, status=status)
    if isinstance(exc, stripe.APIConnectionError) or status is None or status >= 500 or status == 409:
        return OutcomeUnknown(message, code=code, status=status)
    return Rejected(message, code=code, status=status)


class StripeGateway:
    def __init__(self, *, api_key: str, api_base: str = "", timeout: float = 20.0, http_client: Any = None):
        base: dict[str, Any] = {"api": api_base, "connect": api_base} if api_base else {}
        self.client = stripe.StripeClient(
            api_key,
            base_addresses=base,  # type: ignore[arg-type]
            max_network_retries=0,
            http_client=http_client or stripe.RequestsClient(timeout=timeout),
        )

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            result = fn(*args, **kwargs)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return result.to_dict() if hasattr(result, "to_dict") else result

    def account_create(
        self, *, email: str, country: str, metadata: dict[str, str], idempotency_key: str
    ) -> AccountInfo:
        """A v1 account that only receives transfers: Stripe collects the requirements (hosted onboarding),
        the platform pays fees and carries losses, the recipient service agreement (docs/adr/0006)."""
        params: dict[str, Any] = {
            "country": country,
            "controller": {
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "requirement_collection": "stripe",
                "stripe_dashboard": {"type": "express"},
            },
            "capabilities": {"transfers": {"requested": True}},
            "tos_acceptance": {"service_agreement": "recipient"},
            "metadata": metadata,
        }
        if email:
            params["email"] = email
        obj = self._call(self.client.v1.accounts.create, params, options={"idempotency_key": idempotency_key})
        return _account(obj)

    def account_retrieve(self, account_id: str) -> AccountInfo:
        return _account(self._call(self.client.v1.accounts.retrieve, account_id))

    def account_link_create(self, *, account_id: str, return_url: str, refresh_url: str) -> str:
        """Links are single-use and expire within minutes: made fresh on every visit, never stored. A repeat
        is harmless (a new link), so the key only guards stripe-python's own request."""
        obj = self._call(
            self.client.v1.account_links.create,
            {
                "account": account_id,
                "type": "account_onboarding",
                "return_url": return_url,
                "refresh_url": refresh_url,
            },
        )
        return str(obj["url"])

    def transfer_create(
        self,
        *,
        money: Money,
        destination: str,
        transfer_group: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> TransferInfo:
        if money.amount <= 0:
            raise ValueError("a transfer moves a positive amount")
        obj = self._call(
            self.client.v1.transfers.create,
            {
                "amount": money.to_minor(),
                "currency": money.currency.lower(),
                "destination": destination,
                "transfer_group": transfer_group,
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
        return _transfer(obj)

    def transfer_retrieve(self, transfer_id: str) -> TransferInfo:
        return _transfer(self._call(self.client.v1.transfers.retrieve, transfer_id))

    def transfers_in_group(self, transfer_group: str) -> list[TransferInfo]:
        page = self._call(self.client.v1.transfers.list, {"transfer_group": transfer_group, "limit": 100})
        return [_transfer(obj) for obj in page["data"]]

    def transfer_reverse(
        self, *, transfer_id: str, money: Money, metadata: dict[str, str], idempotency_key: str
    ) -> str:
        obj = self._call(
            self.client.v1.transfers.reversals.create,
            transfer_id,
            {"amount": money.to_minor(), "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
        return str(obj["id"])


@functools.lru_cache(maxsize=4)
def _gateway(api_key: str, api_base: str, timeout: float) -> StripeGateway:
    return StripeGateway(api_key=api_key, api_base=api_base, timeout=timeout)


def gateway() -> StripeGateway:
    """One client per process and configuration (tests point STRIPE_API_BASE at a stand-in)."""
    if not settings.STRIPE_SECRET_KEY:
        raise RuntimeError("STRIPE_SECRET_KEY is not set: payouts cannot reach Stripe")
    return _gateway(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, settings.STRIPE_TIMEOUT_SECONDS)
