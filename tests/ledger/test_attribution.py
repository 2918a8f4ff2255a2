"""Order snapshots to ledger entries: shares, lots FIFO, commission, refunds, cancellations, reordering."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from shop_extensions.core.models import AuditEvent
from shop_extensions.ledger import selectors
from shop_extensions.ledger.models import EarningEntry, EntryKind, LineStatus, SaleLine
from shop_extensions.ledger.services import unattributed_resolve
from shop_extensions.makers.models import Coordinator
from tests.ledger.builders import Line, Order, Step, payload

pytestmark = pytest.mark.django_db
D = Decimal
MASK = "UHJvZHVjdFZhcmlhbnQ6MzAw"
BAG = "UHJvZHVjdFZhcmlhbnQ6MzAx"


def held(order_id: str) -> dict[int, Decimal]:
    return selectors.order_summary(saleor_order_id=order_id)


def test_a_paid_line_is_split_over_shares_after_commission_to_the_cent(make_maker, make_rule, apply):
    fatima, jan, ali = make_maker("Fatima"), make_maker("Jan"), make_maker("Ali")
    make_rule(MASK, [(fatima, "33.34"), (jan, "33.33"), (ali, "33.33")])
    order = Order("T3JkZXI6MQ==", [Line("L1", MASK, 1, D("12.10"))])  # net 10.00

    apply(payload(order, Step("order_fully_paid", charged=order.total)), "order_fully_paid")

    line = SaleLine.objects.get()
    assert (line.base_amount, line.commission_amount) == (D("10.00"), D("2.00"))
    assert held(order.id) == {fatima.pk: D("2.67"), jan.pk: D("2.67"), ali.pk: D("2.66")}
    assert sum(held(order.id).values()) + line.commission_amount == line.base_amount
    assert {e.kind for e in EarningEntry.objects.all()} == {EntryKind.SALE}
    rule_id = line.rule_id
    assert rule_id is not None
    for entry in EarningEntry.objects.all():
        assert entry.detail == {
            "saleor_order_id": order.id, "saleor_line_id": "L1", "rule_id": rule_id, "lot_id": None,
            "commission_percent": "20.00", "snapshot": entry.detail["snapshot"],
        }  # fmt: skip
        assert entry.detail["snapshot"].startswith("order_fully_paid")
    # One audit event for the payment: the lines it recorded and the entries it posted.
    (event,) = AuditEvent.objects.filter(subject_type="sale_order")
    assert event.action == "order.attributed"
    assert event.data["lines"] == ["L1"]
    assert sorted(event.data["entries"]) == sorted(
        [[fatima.pk, "sale", "2.67"], [jan.pk, "sale", "2.67"], [ali.pk, "sale", "2.66"]]
    )


def test_gross_base_and_a_rule_commission_override(initiative, make_maker, make_rule, apply):
    initiative.attribution_base = "gross"
    initiative.save()
    fatima = make_maker("Fatima")
    make_rule(MASK, [(fatima, "100")], commission="10")
    order = Order("T3JkZXI6Mg==", [Line("L1", MASK, 2, D("9.95"))])

    apply(payload(order, Step("order_fully_paid", charged=order.total)), "order_fully_paid")

    assert held(order.id) == {fatima.pk: D("17.91")}  # 19.90 - 1.99


def test_fifo_over_lots_of_several_makers_and_a_sale_larger_than_the_oldest_lot(
    make_maker, make_lot, make_rule, apply
):
    fatima, jan, ali = make_maker("Fatima"), make_maker("Jan"), make_maker("Ali")
    oldest = make_lot(fatima, MASK, 2, minutes_ago=90)
    newer = make_lot(jan, MASK, 5, minutes_ago=30)
    make_rule(MASK, [(ali, "100")])
    order = Order("T3JkZXI6Mw==", [Line("L1", MASK, 3, D("12.10"))])  # net 30.00 → makers 24.00

    apply(payload(order, Step("order_fully_paid", charged=order.total)), "order_fully_paid")

    assert held(order.id) == {fatima.pk: D("16.00"), jan.pk: D("8.00")}
    lots = {e.lot_id: e.quantity for e in EarningEntry.objects.all()}
    assert lots == {oldest.pk: D("2"), newer.pk: D("1")}
    # The entry's record names its lot, and no rule (the pieces came from lots).
    assert {(e.detail["lot_id"], e.detail["rule_id"]) for e in EarningEntry.objects.all()} == {
        (oldest.pk, None),
        (newer.pk, None),
    }


def test_pieces_beyond_all_lots_fall_back_to_the_share_rule(make_maker, make_lot, make_rule, apply):
    fatima, ali = make_maker("Fatima"), make_maker("Ali")
    make_lot(fatima, MASK, 1)
    make_rule(MASK, [(ali, "100")])
    order = Order("T3JkZXI6NA==", [Line("L1", MASK, 3, D("12.10"))])

    apply(payload(order, Step("order_fully_paid", charged=order.total)), "order_fully_paid")

    assert held(order.id) == {fatima.pk: D("8.00"), ali.pk: D("16.00")}


def test_partial_refund_by_grant_then_full_refund_brings_makers_to_zero(make_maker, make_rule, apply):
    fatima = make_maker("Fatima")
    make_rule(MASK, [(fatima, "100")])
    order = Order("T3JkZXI6NQ==", [Line("L1", MASK, 2, D("45.00"), vat_percent=D(0))])

    apply(payload(order, Step("order_fully_paid", charged=D(90))), "order_fully_paid")
    assert held(order.id) == {fatima.pk: D("72.00")}

    apply(payload(order, Step("order_refunded", charged=D(45), refunded=D(45), granted=[("L1", 1)], at=5)),
          "order_refunded")  # fmt: skip
    assert held(order.id) == {fatima.pk: D("36.00")}

    apply(payload(order, Step("order_fully_refunded", charged=D(0), refunded=D(90), granted=[("L1", 1), ("L1", 1)],
                              at=9)), "order_fully_refunded")  # fmt: skip
    assert held(order.id) == {fatima.pk: D("0.00")}
    assert [e.kind for e in EarningEntry.objects.order_by("pk")] == [
        EntryKind.SALE,
        EntryKind.REVERSAL,
        EntryKind.REVERSAL,
    ]


def test_an_amount_only_refund_is_spread_pro_rata_over_lines_and_shipping(make_maker, make_rule, apply):
    fatima, jan = make_maker("Fatima"), make_maker("Jan")
    make_rule(MASK, [(fatima, "100")])
    make_rule(BAG, [(jan, "100")])
    order = Order(
        "T3JkZXI6Ng==",
        [Line("L1", MASK, 1, D("30.00"), vat_percent=D(0)), Line("L2", BAG, 1, D("60.00"), vat_percent=D(0))],
        shipping_gross=D("10.00"),
    )
    apply(payload(order, Step("order_fully_paid", charged=D(100))), "order_fully_paid")

    apply(payload(order, Step("order_refunded", charged=D(75), refunded=D(25), at=5)), "order_refunded")

    # 25 of 100 refunded: every line keeps 75% of its makers' amount (24.00 → 18.00, 48.00 → 36.00).
    assert held(order.id) == {fatima.pk: D("18.00"), jan.pk: D("36.00")}


def test_a_refund_arriving_before_its_payment_event_is_applied_when_payment_arrives(
    make_maker, make_rule, apply
):
    fatima = make_maker("Fatima")
    make_rule(MASK, [(fatima, "100")])
    order = Order("T3JkZXI6Nw==", [Line("L1", MASK, 2, D("45.00"), vat_percent=D(0))])
    paid = payload(order, Step("order_fully_paid", charged=D(90)))
    refunded = payload(
        order, Step("order_refunded", charged=D(45), refunded=D(45), granted=[("L1", 1)], at=5)
    )

    apply(refunded, "order_refunded")
    apply(paid, "order_fully_paid")

    assert held(order.id) == {fatima.pk: D("36.00")}


def test_an_unpaid_order_waits_and_nothing_is_posted(make_maker, make_rule, apply):
    fatima = make_maker("Fatima")
    make_rule(MASK, [(fatima, "100")])
    order = Order("T3JkZXI6OA==", [Line("L1", MASK, 2, D("45.00"))])

    result = apply(payload(order, Step("order_updated", charged=D(0))), "order_updated")

    assert result.attributed_at is None
    assert not EarningEntry.objects.exists()


def test_partial_payment_waits_unless_the_initiative_chooses_otherwise(
    initiative, make_maker, make_rule, apply
):
    fatima = make_maker("Fatima")
    make_rule(MASK, [(fatima, "100")])
    order = Order("T3JkZXI6OQ==", [Line("L1", MASK, 2, D("45.00"), vat_percent=D(0))])
    partly = payload(order, Step("order_paid", charged=D(40)))

    apply(partly, "order_paid")
    assert not EarningEntry.objects.exists()

    initiative.attribute_partial_payments = True
    initiative.save()
    apply(payload(order, Step("order_paid", charged=D(50), at=3)), "order_paid")
    assert held(order.id) == {fatima.pk: D("72.00")}


def test_cancelling_a_paid_order_reverses_it_and_a_later_refund_changes_nothing(make_maker, make_rule, apply):
    fatima = make_maker("Fatima")
    make_rule(MASK, [(fatima, "100")])
    order = Order("T3JkZXI6MTA=", [Line("L1", MASK, 2, D("45.00"), vat_percent=D(0))])
    apply(payload(order, Step("order_fully_paid", charged=D(90))), "order_fully_paid")

    apply(payload(order, Step("order_cancelled", charged=D(90), status="CANCELED", at=4)), "order_cancelled")
    assert held(order.id) == {fatima.pk: D("0.00")}
    apply(
        payload(order, Step("order_refunded", charged=D(0), refunded=D(90), status="CANCELED", at=8)),
        "order_refunded",
    )
    assert held(order.id) == {fatima.pk: D("0.00")}
    assert EarningEntry.objects.count() == 2


def test_gift_and_zero_priced_lines_post_nothing(make_maker, make_rule, apply):
    fatima = make_maker("Fatima")
    make_rule(MASK, [(fatima, "100")])
    make_rule(BAG, [(fatima, "100")])
    order = Order(
        "T3JkZXI6MTE=",
        [Line("L1", MASK, 1, D("0.00"), is_gift=True), Line("L2", BAG, 1, D("0.00"))],
    )

    apply(payload(order, Step("order_fully_paid", charged=D(0))), "order_fully_paid")

    assert dict(SaleLine.objects.values_list("saleor_line_id", "status")) == {
        "L1": LineStatus.GIFT,
        "L2": LineStatus.ZERO,
    }
    assert not EarningEntry.objects.exists()


def test_a_line_with_no_lot_and_no_rule_waits_in_the_queue_until_a_coordinator_resolves_it(
    initiative, make_maker, apply
):
    fatima, jan = make_maker("Fatima"), make_maker("Jan")
    order = Order("T3JkZXI6MTI=", [Line("L1", MASK, 2, D("12.10"))])  # net 20.00 → makers 16.00
    apply(payload(order, Step("order_fully_paid", charged=order.total)), "order_fully_paid")
    assert not EarningEntry.objects.exists()
    queue = list(selectors.unattributed_queue(initiative_id=initiative.pk))
    assert [(q.amount, q.quantity) for q in queue] == [(D("16.00"), D("2"))]
    assert SaleLine.objects.get().status == LineStatus.UNATTRIBUTED

    coordinator = get_user_model().objects.create_user("coordinator", "c@example.org", "x")
    Coordinator.objects.create(user=coordinator, initiative=initiative)
    unattributed_resolve(
        allocation_id=queue[0].pk,
        initiative_id=initiative.pk,
        shares=[(fatima, D(50)), (jan, D(50))],
        actor=f"user:{coordinator.pk}",
    )

    assert held(order.id) == {fatima.pk: D("8.00"), jan.pk: D("8.00")}
    assert not selectors.unattributed_queue(initiative_id=initiative.pk).exists()
    assert AuditEvent.objects.filter(action="unattributed.resolved").count() == 1
    # A refund after resolution reverses the resolved makers' entries too.
    apply(
        payload(order, Step("order_fully_refunded", charged=D(0), refunded=order.total, at=9)),
        "order_fully_refunded",
    )
    assert held(order.id) == {fatima.pk: D("0.00"), jan.pk: D("0.00")}


def test_changed_shares_never_rewrite_past_sales(make_maker, make_rule, apply):
    from shop_extensions.catalog.models import AttributionRule

    fatima, jan = make_maker("Fatima"), make_maker("Jan")
    old = make_rule(MASK, [(fatima, "100")])
    order = Order("T3JkZXI6MTM=", [Line("L1", MASK, 1, D("12.10"))])
    apply(payload(order, Step("order_fully_paid", charged=order.total)), "order_fully_paid")

    from tests.ledger.builders import BASE_TIME

    AttributionRule.objects.filter(pk=old.pk).update(valid_to=BASE_TIME)
    make_rule(MASK, [(jan, "100")], valid_from=BASE_TIME)
    apply(payload(order, Step("order_refunded", charged=D(0), refunded=order.total, at=5)), "order_refunded")

    assert held(order.id) == {fatima.pk: D("0.00")}  # the reversal follows the sale's rule, not the new one


@pytest.mark.parametrize(("policy", "back_after_refund"), [(False, 0), (True, 1)])
def test_pieces_come_back_to_their_lots_on_cancellation_and_on_refund_by_policy(
    initiative, make_maker, make_lot, apply, policy, back_after_refund
):
    from shop_extensions.catalog.selectors import lot_available

    initiative.return_refunded_pieces_to_lots = policy
    initiative.save()
    fatima = make_maker("Fatima")
    lot = make_lot(fatima, MASK, 5)
    order = Order("T3JkZXI6MTQ=", [Line("L1", MASK, 2, D("45.00"), vat_percent=D(0))])
    apply(payload(order, Step("order_fully_paid", charged=D(90))), "order_fully_paid")
    assert lot_available(lot=lot) == 3

    apply(payload(order, Step("order_refunded", charged=D(45), refunded=D(45), granted=[("L1", 1)], at=5)),
          "order_refunded")  # fmt: skip
    assert lot_available(lot=lot) == 3 + back_after_refund
    apply(payload(order, Step("order_refunded", charged=D(45), refunded=D(45), granted=[("L1", 1)], at=5),
                  issued_offset_ms=50), "order_updated")  # fmt: skip
    assert lot_available(lot=lot) == 3 + back_after_refund  # the same snapshot again returns nothing more

    apply(payload(order, Step("order_cancelled", charged=D(45), refunded=D(45), status="CANCELED", at=9)),
          "order_cancelled")  # fmt: skip
    assert lot_available(lot=lot) == 5
    assert AuditEvent.objects.filter(action="order.reconciled").count() >= 2


def test_followers_hear_which_makers_months_moved_after_commit(
    settings, make_maker, make_rule, apply, django_capture_on_commit_callbacks
):
    from tests.ledger import hooks

    settings.LEDGER_AFTER_POST_TASKS = ["tests.ledger.hooks.positions"]
    hooks.positions.calls.clear()
    fatima, jan = make_maker("Fatima"), make_maker("Jan")
    make_rule(MASK, [(fatima, "50"), (jan, "50")])
    order = Order("T3JkZXI6aG9vaw==", [Line("L1", MASK, 1, D("12.10"))])

    with django_capture_on_commit_callbacks(execute=True):
        apply(payload(order, Step("order_fully_paid", charged=order.total)), "order_fully_paid")
        assert hooks.positions.calls == []  # nothing before the commit

    assert hooks.positions.calls == [(sorted([fatima.pk, jan.pk]), "2026-11-01")]
