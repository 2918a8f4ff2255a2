"""Upsert the rows of ``data.rules`` by their natural keys. Used by data migrations, so it takes the model
classes (historical ones inside a migration)."""

from __future__ import annotations

from typing import Any

from shop_extensions.benefits.data.rules import NORMS, REFERENCE_AMOUNTS, RULES

RULE_KEY = ("code", "municipality", "cap_period", "valid_from")
NORM_KEY = ("household_type", "valid_from")
REFERENCE_KEY = ("code", "valid_from")


def _fits(model: Any, fields: dict[str, Any]) -> bool:
    """Whether a (historical) model can hold the row: an early migration skips rows that need a choice
    added later; the migration that added it loads them."""
    for name, value in fields.items():
        choices = model._meta.get_field(name).choices
        if choices and value not in {choice for choice, _ in choices}:
            return False
    return True


def _upsert(model: Any, rows: list[dict[str, Any]], key_names: tuple[str, ...], **defaults: Any) -> None:
    for row in rows:
        fields = {**defaults, **row}
        if not _fits(model, fields):
            continue
        key = {name: fields.pop(name) for name in key_names}
        model.objects.update_or_create(**key, defaults=fields)


def rules_sync(*, rule_model: Any, norm_model: Any, reference_model: Any = None) -> tuple[int, int, int]:
    """Idempotent. ``reference_model`` is None in migrations that run before its table exists."""
    _upsert(rule_model, RULES, RULE_KEY, municipality="", cap_period="month")
    _upsert(norm_model, NORMS, NORM_KEY)
    if reference_model is not None:
        _upsert(reference_model, REFERENCE_AMOUNTS, REFERENCE_KEY)
    return len(RULES), len(NORMS), len(REFERENCE_AMOUNTS) if reference_model is not None else 0


def migration_forward(apps: Any, schema_editor: Any) -> None:
    try:
        reference_model = apps.get_model("benefits", "ReferenceAmount")
    except LookupError:  # migrations before 0003 have no such table yet
        reference_model = None
    rules_sync(
        rule_model=apps.get_model("benefits", "BenefitRule"),
        norm_model=apps.get_model("benefits", "BijstandNorm"),
        reference_model=reference_model,
    )
