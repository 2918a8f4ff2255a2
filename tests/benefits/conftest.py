from __future__ import annotations

import pytest

from shop_extensions.benefits.selectors import rulebook_cache_clear


@pytest.fixture(autouse=True)
def _fresh_rulebook_cache():
    """Rules and switches are cached per process; each test starts without that memory."""
    rulebook_cache_clear()
    yield
    rulebook_cache_clear()


@pytest.fixture
def eager_tasks():
    """Enqueued Celery tasks run at once, in this process (errors propagate), so a test sees what the
    worker would do after commit."""
    from backend.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before
