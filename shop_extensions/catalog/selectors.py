"""Reads of attribution rules and production lots."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from shop_extensions.catalog.models import (
    AttributionRule,
    AttributionShare,
    LotConsumption,
    LotKind,
    ProductionLot,
)
from shop_extensions.makers.models import Initiative
from shop_extensions.makers.selectors import coordinator_require


def rule_for(
    *, initiative: Initiative, saleor_variant_id: str, saleor_product_id: str, at: datetime
) -> AttributionRule | None:
    """The rule valid at ``at`` (valid_from <= at < valid_to, or open): a variant rule beats a product rule.
    Shares come prefetched with their makers."""
    targets = Q()
    if saleor_variant_id:
        targets |= Q(saleor_variant_id=saleor_variant_id)
    if saleor_product_id:
        targets |= Q(saleor_product_id=saleor_product_id)
    if not targets:
        return None
    return (
        AttributionRule.objects.filter(targets, initiative=initiative, valid_from__lte=at)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        .annotate(
            specificity=Case(When(~Q(saleor_variant_id=""), then=Value(0)), default=Value(1)),
        )
        .order_by("specificity", "-valid_from", "-pk")
        .prefetch_related(
            Prefetch("shares", queryset=AttributionShare.objects.select_related("maker").order_by("pk"))
        )
        .first()
    )


def with_availability(lots: QuerySet[ProductionLot]) -> QuerySet[ProductionLot]:
    """Annotate delivery lots with ``corrected`` (sum of corrections), ``sold`` (net consumptions) and
    ``available`` = quantity + corrected - sold, as correlated subqueries: one query for any number of lots.

    Do not combine with ``select_for_update``: under READ COMMITTED the subqueries would see the snapshot
    taken before the lock was granted. Lock first, then read the annotations in a new statement."""
    corrected = (
        ProductionLot.objects.filter(corrects=OuterRef("pk"))
        .order_by()
        .values("corrects")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    sold = (
        LotConsumption.objects.filter(lot=OuterRef("pk"))
        .order_by()
        .values("lot")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return lots.annotate(
        corrected=Coalesce(Subquery(corrected, output_field=IntegerField()), Value(0)),
        sold=Coalesce(Subquery(sold, output_field=IntegerField()), Value(0)),
    ).annotate(available=F("quantity") + F("corrected") - F("sold"))


def lot_available(*, lot: ProductionLot) -> int:
    """Pieces of a delivery lot not sold yet (corrections count toward their lot)."""
    target_pk = lot.corrects_id or lot.pk
    row = with_availability(ProductionLot.objects.filter(pk=target_pk)).first()
    return available_of(row) if row else 0


def available_of(lot: ProductionLot) -> int:
    """The ``available`` annotation of a lot from ``with_availability``."""
    return int(getattr(lot, "available"))  # noqa: B009 - an annotation the type checker cannot see


def lots_for_variant(*, user: Any, initiative_id: int, saleor_variant_id: str) -> QuerySet[ProductionLot]:
    """The initiative's delivery lots of a variant, oldest first, with ``corrected``, ``sold`` and
    ``available``. Only for a coordinator of the initiative (PermissionDenied otherwise)."""
    initiative = coordinator_require(user=user, initiative_id=initiative_id)
    return with_availability(
        ProductionLot.objects.filter(
            initiative=initiative, saleor_variant_id=saleor_variant_id, kind=LotKind.DELIVERY
        )
        .select_related("maker")
        .order_by("booked_at", "pk")
    )


def rules_for_many(
    *, initiative: Initiative, targets: list[tuple[str, str]], at: datetime
) -> dict[tuple[str, str], AttributionRule | None]:
    """``rule_for`` for many (variant id, product id) pairs in two queries: the rules valid at ``at`` for any
    of them, with shares and makers; then the same choice per pair (variant rule first, newest first)."""
    variant_ids = {variant for variant, _ in targets if variant}
    product_ids = {product for _, product in targets if product}
    if not variant_ids and not product_ids:
        return dict.fromkeys(targets)
    candidates = list(
        AttributionRule.objects.filter(
            Q(saleor_variant_id__in=variant_ids) | Q(saleor_product_id__in=product_ids),
            initiative=initiative,
            valid_from__lte=at,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        .order_by("-valid_from", "-pk")
        .prefetch_related(
            Prefetch("shares", queryset=AttributionShare.objects.select_related("maker").order_by("pk"))
        )
    )
    by_variant: dict[str, AttributionRule] = {}
    by_product: dict[str, AttributionRule] = {}
    for rule in candidates:  # newest first: keep the first seen
        if rule.saleor_variant_id:
            by_variant.setdefault(rule.saleor_variant_id, rule)
        else:
            by_product.setdefault(rule.saleor_product_id, rule)
    return {
        (variant, product): by_variant.get(variant) or by_product.get(product) for variant, product in targets
    }


@dataclass(frozen=True, slots=True)
class ShareTerms:
    maker_id: int
    percent: Decimal


@dataclass(frozen=True, slots=True)
class RuleTerms:
    """What a sale needs of an attribution rule: its key, commission and shares (in share order)."""

    pk: int
    commission_percent: Decimal | None
    valid_from: datetime
    valid_to: datetime | None
    shares: tuple[ShareTerms, ...]


def rules_for_sales(
    *, initiative: Initiative, wanted: Iterable[tuple[str, str, datetime]]
) -> dict[tuple[str, str, datetime], RuleTerms | None]:
    """``rule_for`` for many (variant id, product id, moment of sale) at once, in one query: every rule of
    those variants and products valid at some moment between the earliest and the latest sale, with its
    shares, then per sale the one valid at its moment (variant rule first, newest first), as
    ``rules_for_many`` chooses. Plain terms, not model instances: a batch of sales reads hundreds."""
    wanted = set(wanted)
    variant_ids = {variant for variant, _, _ in wanted if variant}
    product_ids = {product for _, product, _ in wanted if product}
    if not variant_ids and not product_ids:
        return dict.fromkeys(wanted)
    moments = [at for _, _, at in wanted]
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT r.id, r.saleor_variant_id, r.saleor_product_id, r.commission_percent, r.valid_from,
                      r.valid_to, s.maker_id, s.percent
               FROM catalog_attributionrule r LEFT JOIN catalog_attributionshare s ON s.rule_id = r.id
               WHERE (r.saleor_variant_id = ANY(%s) OR r.saleor_product_id = ANY(%s))
                 AND r.initiative_id = %s AND r.valid_from <= %s
                 AND (r.valid_to IS NULL OR r.valid_to > %s)
               ORDER BY r.valid_from DESC, r.id DESC, s.id""",
            [sorted(variant_ids), sorted(product_ids), initiative.pk, max(moments), min(moments)],
        )
        rows = cursor.fetchall()
    shares: dict[int, list[ShareTerms]] = defaultdict(list)
    for rule_id, *_, maker_id, percent in rows:
        if maker_id is not None:
            shares[rule_id].append(ShareTerms(maker_id, percent))
    by_variant: dict[str, list[RuleTerms]] = defaultdict(list)
    by_product: dict[str, list[RuleTerms]] = defaultdict(list)
    seen: set[int] = set()
    for rule_id, variant_id, product_id, commission, valid_from, valid_to, *_ in rows:  # newest first
        if rule_id in seen:
            continue
        seen.add(rule_id)
        rule = RuleTerms(rule_id, commission, valid_from, valid_to, tuple(shares[rule_id]))
        if variant_id:
            by_variant[variant_id].append(rule)
        else:
            by_product[product_id].append(rule)

    def valid(rules: list[RuleTerms], at: datetime) -> RuleTerms | None:
        return next(
            (r for r in rules if r.valid_from <= at and (r.valid_to is None or r.valid_to > at)), None
        )

    return {
        (variant, product, at): (valid(by_variant[variant], at) if variant else None)
        or (valid(by_product[product], at) if product else None)
        for variant, product, at in wanted
    }


def variants_with_lots(*, initiative: Initiative, saleor_variant_ids: set[str]) -> set[str]:
    """Which of these variants have delivery lots at all (the rest skip first-in-first-out)."""
    if not saleor_variant_ids:
        return set()
    return set(
        ProductionLot.objects.filter(
            initiative=initiative, saleor_variant_id__in=saleor_variant_ids, kind=LotKind.DELIVERY
        )
        .values_list("saleor_variant_id", flat=True)
        .distinct()
    )


def line_pieces_returned(*, order_line_key: str) -> int:
    """Pieces of an order line already given back to lots (the negative consumptions)."""
    total = LotConsumption.objects.filter(order_line_key=order_line_key, quantity__lt=0).aggregate(
        total=Sum("quantity")
    )["total"]
    return -int(total or 0)
