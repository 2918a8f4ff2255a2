"""Locate /work/shared-style Saleor files: skip when absent, fail loudly when ``CI=true``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared" / "saleor"


def _missing(what: Path) -> None:
    message = f"Saleor shared file missing: {what} (set SALEOR_SCHEMA_PATH or provide ../shared/saleor)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def shared_path(*parts: str) -> Path:
    """A path under ``<repo>/../shared/saleor``; ``shared_path("schema.graphql")`` honours SALEOR_SCHEMA_PATH."""
    if parts == ("schema.graphql",) and os.environ.get("SALEOR_SCHEMA_PATH"):
        path = Path(os.environ["SALEOR_SCHEMA_PATH"])
    else:
        path = SHARED.joinpath(*parts)
    if not path.exists():
        _missing(path)
    return path


APP_GRAPHQL = REPO / "shop_extensions" / "saleor_app" / "graphql"
