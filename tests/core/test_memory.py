import gc

import pytest

from shop_extensions.core.memory import collector_paused


def test_the_collector_is_paused_inside_and_enabled_again_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still runs
    assert gc.isenabled()


def test_the_collector_is_enabled_again_when_the_block_raises():
    with pytest.raises(ValueError, match="the batch failed"), collector_paused():
        raise ValueError("the batch failed")
    assert gc.isenabled()


def test_a_collector_that_was_disabled_stays_disabled():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_model_new_builds_what_the_keyword_constructor_builds():
    from datetime import UTC, datetime

    from shop_extensions.core.memory import model_new
    from shop_extensions.ledger.models import SaleOrder

    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    values = {"id": 7, "installation_id": 3, "saleor_order_id": "O1", "number": "12", "created_at": now}
    fast, slow = model_new(SaleOrder, **values), SaleOrder(**values)
    for field in SaleOrder._meta.concrete_fields:
        assert getattr(fast, field.attname) == getattr(slow, field.attname), field.attname
    assert fast._state.adding
    assert fast._state.db is None
    # A mutable default is fresh for every row, as with the keyword constructor.
    other = model_new(SaleOrder, **values)
    fast.snapshot["seen"] = True
    assert other.snapshot == {}


def test_model_new_refuses_a_name_that_is_not_a_field_attribute():
    from shop_extensions.core.memory import model_new
    from shop_extensions.ledger.models import SaleOrder

    with pytest.raises(TypeError, match="installation"):
        model_new(SaleOrder, installation=None)  # the relation's name, not its attribute (installation_id)


def test_model_new_goes_through_the_constructor_when_a_model_has_init_receivers():
    from django.db.models.signals import post_init

    from shop_extensions.core.memory import model_new
    from shop_extensions.ledger.models import SaleOrder

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=SaleOrder)
    try:
        made = model_new(SaleOrder, saleor_order_id="O2")
    finally:
        post_init.disconnect(receiver, sender=SaleOrder)
    assert seen == [made]
    assert model_new(SaleOrder, saleor_order_id="O3") not in seen  # without receivers: the fast way
