"""Reads the workspace needs beyond the apps' own selectors: the initiative's Saleor catalogue, its lots and
its audit trail. Each takes the acting user and is scoped with ``makers.selectors.coordinator_require``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Case, CharField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from shop_extensions.benefits import selectors as benefits_selectors
from shop_extensions.benefits.models import Level, Position
from shop_extensions.catalog.models import AttributionRule, ProductionLot
from shop_extensions.catalog.selectors import rules_for_many, with_availability
from shop_extensions.core.errors import ApplicationError, NotFound
from shop_extensions.core.models import AuditEvent
from shop_extensions.ledger.models import Allocation
from shop_extensions.makers.models import Initiative, Maker
from shop_extensions.makers.selectors import coordinator_require
from shop_extensions.payouts.models import Payout, PayoutRun
from shop_extensions.saleor_app import saleor
from shop_extensions.statements.models import Statement

# Saleor's catalogue is read in pages of 100; an initiative's shop is small, this bounds a huge one.
CATALOGUE_MAX_PAGES = 10
CATALOGUE_CACHE_SECONDS = 60


class CatalogueUnavailable(ApplicationError):
    status_code = 503


@dataclass(frozen=True)
class CatalogueVariant:
    id: str
    name: str
    sku: str


@dataclass(frozen=True)
class CatalogueProduct:
    id: str
    name: str
    variants: tuple[CatalogueVariant, ...]

    def label_of(self, variant: CatalogueVariant) -> str:
        parts = [self.name, variant.name, variant.sku]
        return " · ".join(part for part in parts if part)


def _fetch_catalogue(initiative: Initiative) -> list[CatalogueProduct]:
    installation = initiative.installation
    if installation is None or not installation.is_active:
        raise CatalogueUnavailable("the initiative is not linked to an active Saleor installation")
    channel = initiative.channels.order_by("pk").values_list("channel_slug", flat=True).first()
    products: list[CatalogueProduct] = []
    after: str | None = None
    try:
        with saleor.client(installation.api_url, installation.token) as client:
            for _ in range(CATALOGUE_MAX_PAGES):
                result = client.catalogue_products(first=100, after=after, channel=channel)
                if result.products is None:
                    break
                for edge in result.products.edges:
                    node = edge.node
                    products.append(
                        CatalogueProduct(
                            id=node.id,
                            name=node.name,
                            variants=tuple(
                                CatalogueVariant(id=v.id, name=v.name, sku=v.sku or "")
                                for v in node.variants or []
                            ),
                        )
                    )
                if not result.products.page_info.has_next_page:
                    break
                after = result.products.page_info.end_cursor
    except Exception as exc:
        translated = saleor.translate_errors(exc)
        if isinstance(translated, saleor.SaleorUnreachable | saleor.SaleorError | saleor.TokenRefused):
            raise CatalogueUnavailable(str(translated)) from exc
        raise
    return products


def catalogue_for_coordinator(*, user: Any, initiative_id: int, query: str = "") -> list[CatalogueProduct]:
    """The initiative's Saleor products (in its first sales channel), filtered by name or SKU. Kept for a
    minute, so paging and forms do not ask Saleor every time. CatalogueUnavailable when Saleor cannot say."""
    initiative = coordinator_require(user=user, initiative_id=initiative_id)
    key = f"coordinator:catalogue:{initiative.pk}:{initiative.installation_id}"
    products: list[CatalogueProduct] | None = cache.get(key)
    if products is None:
        products = _fetch_catalogue(initiative)
        cache.set(key, products, CATALOGUE_CACHE_SECONDS)
    needle = query.strip().casefold()
    if not needle:
        return products
    return [
        product
        for product in products
        if needle in product.name.casefold() or any(needle in v.sku.casefold() for v in product.variants)
    ]


def variant_labels(products: list[CatalogueProduct]) -> dict[str, str]:
    return {variant.id: product.label_of(variant) for product in products for variant in product.variants}


def open_rules_for(
    *, initiative: Initiative, products: list[CatalogueProduct]
) -> dict[str, AttributionRule | None]:
    """Per product id and per variant id, the rule in force now (a variant rule beats its product's)."""
    targets = [("", p.id) for p in products] + [(v.id, p.id) for p in products for v in p.variants]
    found = rules_for_many(initiative=initiative, targets=targets, at=timezone.now())
    return {variant or product: rule for (variant, product), rule in found.items()}


def lots_for_coordinator(
    *, user: Any, initiative_id: int, maker_id: int | None = None, sync: str = ""
) -> QuerySet[ProductionLot]:
    """Deliveries and corrections of the initiative, newest first; deliveries carry ``available``."""
    initiative = coordinator_require(user=user, initiative_id=initiative_id)
    lots = ProductionLot.objects.filter(initiative=initiative).select_related("maker")
    if maker_id is not None:
        lots = lots.filter(maker_id=maker_id)
    if sync:
        lots = lots.filter(stock_sync=sync)
    return with_availability(lots).order_by("-booked_at", "-pk")


def lot_get_for_coordinator(*, user: Any, initiative_id: int, lot_id: int) -> ProductionLot:
    initiative = coordinator_require(user=user, initiative_id=initiative_id)
    lot = ProductionLot.objects.select_related("maker").filter(pk=lot_id, initiative=initiative).first()
    if lot is None:
        raise NotFound("no such lot")
    return lot


_ALERT_ORDER = Case(
    When(status=Level.OVER, then=Value(0)),
    When(status=Level.REACHED, then=Value(1)),
    When(status=Level.APPROACHING, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def positions_alerts_first(
    *, user: Any, initiative_id: int, month: date, status: str = ""
) -> QuerySet[Position]:
    positions = benefits_selectors.positions_for_coordinator(
        user=user, initiative_id=initiative_id, month=month
    )
    if status:
        positions = positions.filter(status=status)
    return positions.annotate(alert_order=_ALERT_ORDER).order_by(
        "alert_order", "maker__display_name", "maker_id"
    )


def _ids_as_text(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.order_by().annotate(pk_text=Cast("pk", CharField())).values("pk_text")


def audit_events_for_coordinator(
    *,
    user: Any,
    initiative_id: int,
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """What happened in the initiative: events about it, its makers, lots, rules, sales, payouts and
    statements, newest first.
    ``until`` is inclusive (the whole day)."""
    initiative = coordinator_require(user=user, initiative_id=initiative_id)
    subjects = (
        Q(subject_type="initiative", subject_id=str(initiative.pk))
        | Q(data__initiative_id=initiative.pk)
        | Q(
            subject_type="maker",
            subject_id__in=_ids_as_text(Maker.objects.filter(initiative=initiative)),
        )
        | Q(
            subject_type="production_lot",
            subject_id__in=_ids_as_text(ProductionLot.objects.filter(initiative=initiative)),
        )
        | Q(
            subject_type="attribution_rule",
            subject_id__in=_ids_as_text(AttributionRule.objects.filter(initiative=initiative)),
        )
        | Q(
            subject_type="allocation",
            subject_id__in=_ids_as_text(Allocation.objects.filter(line__order__initiative=initiative)),
        )
        | Q(subject_type="payout", subject_id__in=_ids_as_text(Payout.objects.filter(initiative=initiative)))
        | Q(
            subject_type="payout_run",
            subject_id__in=_ids_as_text(PayoutRun.objects.filter(initiative=initiative)),
        )
        | Q(
            subject_type="statement",
            subject_id__in=_ids_as_text(Statement.objects.filter(initiative=initiative)),
        )
    )
    events = AuditEvent.objects.filter(subjects)
    if action:
        events = events.filter(action__icontains=action.strip())
    zone = timezone.get_current_timezone()
    if since:
        events = events.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until:
        events = events.filter(
            created_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
        )
    return events.order_by("-created_at", "-pk")
