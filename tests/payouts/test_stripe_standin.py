"""The real stripe-python client against the stand-in: Stripe's idempotency rules, rate limit and faults,
as the adapter reports them to the payout flow."""

from __future__ import annotations

import threading
from decimal import Decimal as D

import pytest

from shop_extensions.core.money import Money
from shop_extensions.payouts.standin.server import DAY, Standin
from shop_extensions.payouts.stripe_adapter import (
    KeyReused,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    StripeGateway,
)
from shop_extensions.payouts.throttle import Throttle, backoff
from tests.payouts.conftest import API_KEY


@pytest.fixture
def account(standin) -> str:
    with standin.state.lock:
        created = standin.state.account_create({"country": "NL"})
        created["capabilities"]["transfers"] = "active"
    return created["id"]


def _send(gateway: StripeGateway, account: str, amount: str, key: str):
    return gateway.transfer_create(
        money=Money(D(amount), "EUR"),
        destination=account,
        transfer_group="payout-x",
        metadata={"payout_id": "x"},
        idempotency_key=key,
    )


def test_the_same_key_and_parameters_give_the_same_transfer(gateway, account, standin):
    first = _send(gateway, account, "12.34", "key-same")
    again = _send(gateway, account, "12.34", "key-same")

    assert again == first
    assert first.money == Money(D("12.34"), "EUR")
    assert [t["id"] for t in standin.state.transfers.values() if t["destination"] == account] == [first.id]


def test_the_same_key_with_other_parameters_is_refused(gateway, account, standin):
    _send(gateway, account, "12.34", "key-other")

    with pytest.raises(KeyReused) as refused:
        _send(gateway, account, "12.35", "key-other")

    assert refused.value.status == 400
    assert len([t for t in standin.state.transfers.values() if t["destination"] == account]) == 1


def test_a_key_is_forgotten_after_24_hours(gateway, account, standin):
    first = _send(gateway, account, "5.00", "key-expiry")
    standin.state.clock_offset += DAY + 1
    try:
        second = _send(gateway, account, "5.00", "key-expiry")
    finally:
        standin.state.clock_offset -= DAY + 1

    assert second.id != first.id  # why the flow looks transfers up by group after its window


def test_429_500_timeouts_and_lost_answers_reach_the_flow_as_stripe_says_them(gateway, account, standin):
    standin.state.faults.queue.extend(["429", "500", "timeout", "lost"])
    seen = []
    for n in range(4):
        with pytest.raises((RateLimited, OutcomeUnknown)) as caught:
            _send(gateway, account, "1.00", f"key-fault-{n}")
        seen.append((type(caught.value).__name__, caught.value.status))

    assert seen == [
        ("RateLimited", 429),
        ("OutcomeUnknown", 500),
        ("OutcomeUnknown", None),
        ("OutcomeUnknown", None),
    ]
    keys = {k for k in standin.state.idempotency if k.startswith("key-fault-")}
    assert keys == {"key-fault-2", "key-fault-3"}  # carried out, the answers never arrived


def test_an_account_without_the_transfers_capability_is_a_definite_refusal(gateway, standin):
    with standin.state.lock:
        pending = standin.state.account_create({"country": "NL"})["id"]

    with pytest.raises(Rejected) as refused:
        _send(gateway, pending, "1.00", "key-pending")

    assert refused.value.code == "insufficient_capabilities_for_transfer"


def test_the_rate_limit_answers_429_beyond_its_rate():
    with Standin(rate=5) as limited:
        gateway = StripeGateway(api_key=API_KEY, api_base=limited.url, timeout=2)
        answers = []
        for _ in range(8):
            try:
                gateway.account_retrieve("acct_missing")
            except RateLimited:
                answers.append(429)
            except Rejected as exc:
                answers.append(exc.status)

    assert answers.count(404) in (5, 6)
    assert answers.count(429) == 8 - answers.count(404)


def test_the_throttle_spaces_calls_at_its_rate_across_threads():
    clock = [0.0]
    slept: list[float] = []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            slept.append(seconds)

    throttle = Throttle(20, clock=lambda: clock[0], sleep=sleep)
    for _ in range(5):
        throttle.wait()

    assert slept == pytest.approx([0.05, 0.10, 0.15, 0.20])
    assert all(0 <= backoff(n) <= min(8.0, 0.25 * 2**n) for n in range(10))
