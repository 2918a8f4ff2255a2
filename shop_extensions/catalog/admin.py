"""Operator's view of rules and lots: read-only (a rule is never edited, a lot is corrected by a new row),
with actions that go through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from shop_extensions.catalog import services
from shop_extensions.catalog.models import (
    AttributionRule,
    AttributionShare,
    LotConsumption,
    ProductionLot,
    StockSync,
)
from shop_extensions.core.errors import ApplicationError


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttributionShareInline(admin.TabularInline):
    model = AttributionShare
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AttributionRule)
class AttributionRuleAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "initiative",
        "saleor_product_id",
        "saleor_variant_id",
        "commission_percent",
        "valid_from",
        "valid_to",
    ]
    list_filter = ["initiative"]
    search_fields = ["saleor_product_id", "saleor_variant_id"]
    inlines = [AttributionShareInline]


@admin.register(ProductionLot)
class ProductionLotAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "booked_at",
        "initiative",
        "maker",
        "saleor_variant_id",
        "kind",
        "quantity",
        "corrects",
        "stock_sync",
        "stock_sync_attempts",
    ]
    list_filter = ["initiative", "kind", "stock_sync"]
    search_fields = ["saleor_variant_id", "idempotency_key"]
    actions = ["sync_stock_now"]

    @admin.action(description="Sync stock with Saleor now (pending or failed lots)")
    def sync_stock_now(self, request: HttpRequest, queryset: QuerySet[ProductionLot]) -> None:
        synced = 0
        for lot in queryset.filter(stock_sync__in=[StockSync.PENDING, StockSync.FAILED]):
            try:
                synced += services.lot_stock_sync(lot_id=lot.pk).stock_sync == StockSync.SYNCED
            except ApplicationError as exc:
                self.message_user(request, f"lot {lot.pk}: {exc.message}", messages.ERROR)
        self.message_user(request, f"{synced} lot(s) synced")


@admin.register(LotConsumption)
class LotConsumptionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "lot", "order_line_key", "quantity"]
    search_fields = ["order_line_key"]
