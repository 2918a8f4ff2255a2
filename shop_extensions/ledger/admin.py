from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shop_extensions.ledger.models import Allocation, EarningEntry, MakerPeriodTotal, SaleLine, SaleOrder


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger is written by its services only; the admin shows it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SaleOrder)
class SaleOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "saleor_order_id", "initiative", "paid_at", "snapshot_at", "note"]


@admin.register(SaleLine)
class SaleLineAdmin(ReadOnlyAdmin):
    list_display = ["order", "sku", "quantity", "base_amount", "commission_amount", "status"]
    list_filter = ["status"]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["line", "maker", "lot", "rule", "quantity", "amount"]


@admin.register(EarningEntry)
class EarningEntryAdmin(ReadOnlyAdmin):
    list_display = ["effective_at", "maker", "kind", "amount", "currency", "order", "lot"]
    list_filter = ["kind", "initiative"]


@admin.register(MakerPeriodTotal)
class MakerPeriodTotalAdmin(ReadOnlyAdmin):
    list_display = ["maker", "period", "currency", "amount", "entries"]
