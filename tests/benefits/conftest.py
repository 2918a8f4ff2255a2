from __future__ import annotations

import pytest

from shop_extensions.benefits.selectors import rulebook_cache_clear


@pytest.fixture(autouse=True)
def _fresh_rulebook_cache():
    """Rules and switches are cached per process; each test starts without that memory."""
    rulebook_cache_clear()
    yield
    rulebook_cache_clear()
