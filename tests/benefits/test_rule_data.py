"""The data migration loaded every version, and unknown amounts stay unknown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest

from shop_extensions.benefits.data import rules as data
from shop_extensions.benefits.data.load import rules_sync
from shop_extensions.benefits.models import BenefitRule, BijstandNorm

pytestmark = pytest.mark.django_db


def test_all_versions_loaded_and_reload_is_idempotent():
    before = (BenefitRule.objects.count(), BijstandNorm.objects.count())

    rules_sync(rule_model=BenefitRule, norm_model=BijstandNorm)

    assert before == (len(data.RULES), len(data.NORMS))
    assert (BenefitRule.objects.count(), BijstandNorm.objects.count()) == before


def test_n_cap_history_bwbr0015703():
    caps = list(
        BenefitRule.objects.filter(code="pw-31-2-n")
        .order_by("valid_from")
        .values_list("valid_from", "cap_amount")
    )

    assert caps == [
        (date(2024, 1, 1), Decimal("264.00")),
        (date(2024, 7, 1), Decimal("269.00")),
        (date(2025, 1, 1), Decimal("273.00")),
        (date(2025, 7, 1), Decimal("278.00")),
        (date(2026, 1, 1), Decimal("285.00")),
        (date(2026, 7, 1), None),
    ]


def test_uncertain_facts_are_unverified():
    unverified = set(BenefitRule.objects.filter(verified=False).values_list("code", "valid_from"))

    assert ("pw-31-2-k", date(2026, 1, 1)) in unverified
    assert ("pw-34a", date(2026, 1, 1)) in unverified
    assert ("wajong", date(2021, 1, 1)) in unverified
    assert not BenefitRule.objects.filter(cap_kind="unknown", verified=True).exists()
    assert not BijstandNorm.objects.filter(amount__isnull=True, verified=True).exists()


def test_versions_of_a_rule_never_overlap():
    rows = list(BenefitRule.objects.order_by("code", "municipality", "cap_period", "valid_from"))
    for earlier, later in pairwise(rows):
        if (earlier.code, earlier.municipality, earlier.cap_period) == (
            later.code,
            later.municipality,
            later.cap_period,
        ):
            assert earlier.valid_to is not None
            assert earlier.valid_to < later.valid_from
