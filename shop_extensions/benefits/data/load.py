"""Upsert the rows of ``data.rules`` by their natural keys. Used by data migrations, so it takes the model
classes (historical ones inside a migration)."""

from __future__ import annotations

from typing import Any

from shop_extensions.benefits.data.rules import NORMS, RULES

RULE_KEY = ("code", "municipality", "cap_period", "valid_from")
NORM_KEY = ("household_type", "valid_from")


def rules_sync(*, rule_model: Any, norm_model: Any) -> tuple[int, int]:
    for row in RULES:
        fields = {"municipality": "", "cap_period": "month", **row}
        key = {name: fields.pop(name) for name in RULE_KEY}
        rule_model.objects.update_or_create(**key, defaults=fields)
    for row in NORMS:
        fields = dict(row)
        key = {name: fields.pop(name) for name in NORM_KEY}
        norm_model.objects.update_or_create(**key, defaults=fields)
    return len(RULES), len(NORMS)


def migration_forward(apps: Any, schema_editor: Any) -> None:
    rules_sync(
        rule_model=apps.get_model("benefits", "BenefitRule"),
        norm_model=apps.get_model("benefits", "BijstandNorm"),
    )
