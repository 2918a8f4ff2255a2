"""Access to ../shared (the Saleor schema and recorded deliveries), which lives beside the repo, not in it.

Tests that read it skip with a clear reason where it is absent (a user's clone); under CI=true they fail."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RODE_DRAAD_SHARED_DIR") or ROOT.parent / "shared")


def _require(path: Path) -> Path:
    if path.exists():
        return path
    message = (
        f"{path} is absent: these tests need ../shared beside the repository (Saleor schema, recordings)"
    )
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message + " — and CI=true, so they must run")
    pytest.skip(message)


def schema_path() -> Path:
    return _require(Path(os.environ.get("SALEOR_SCHEMA_PATH") or SHARED / "saleor" / "schema.graphql"))


def recorded_dir() -> Path:
    return _require(SHARED / "saleor" / "recorded")


@dataclass(frozen=True)
class RecordedDelivery:
    name: str
    path: str  # the recording app's webhook path, e.g. order-fully-paid
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> str:
        return self.headers["Saleor-Event"]

    @property
    def api_url(self) -> str:
        return self.headers["Saleor-Api-Url"]


@cache
def recorded_deliveries() -> tuple[RecordedDelivery, ...]:
    base = recorded_dir()
    index = json.loads((base / "deliveries.json").read_text())
    out = []
    for item in index:
        meta = json.loads((base / "deliveries" / f"{item['file']}.headers.json").read_text())
        body = (base / "deliveries" / f"{item['file']}.body").read_bytes()
        out.append(RecordedDelivery(name=item["file"], path=meta["path"], headers=meta["headers"], body=body))
    return tuple(out)


def recorded_jwks() -> dict[str, object]:
    return json.loads((recorded_dir() / "jwks.json").read_text())
