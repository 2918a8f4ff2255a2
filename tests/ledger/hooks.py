"""Stands in for a Celery task in LEDGER_AFTER_POST_TASKS: records what it was asked to do."""

from __future__ import annotations


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[list[int], str]] = []

    def delay(self, maker_ids: list[int], month: str) -> None:
        self.calls.append((maker_ids, month))


positions = Recorder()
