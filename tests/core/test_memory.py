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
