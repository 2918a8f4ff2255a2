"""Operator's view. Makers are read-only here: their changes go through the services (audited, consent
old/new) from the coordinator workspace. Contact details show on a maker's page only, not in lists."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shop_extensions.makers.models import Coordinator, Initiative, Maker, SalesChannel


class SalesChannelInline(admin.TabularInline):
    model = SalesChannel
    extra = 0


class CoordinatorInline(admin.TabularInline):
    model = Coordinator
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Initiative)
class InitiativeAdmin(admin.ModelAdmin):
    list_display = ["name", "legal_name", "kvk_number", "city", "currency", "default_commission_percent"]
    search_fields = ["name", "legal_name", "kvk_number"]
    inlines = [SalesChannelInline, CoordinatorInline]


@admin.register(Coordinator)
class CoordinatorAdmin(admin.ModelAdmin):
    list_display = ["user", "initiative", "role"]
    list_filter = ["role", "initiative"]
    autocomplete_fields = ["user"]


@admin.register(SalesChannel)
class SalesChannelAdmin(admin.ModelAdmin):
    list_display = ["channel_slug", "initiative", "installation"]
    list_filter = ["initiative"]


@admin.register(Maker)
class MakerAdmin(admin.ModelAdmin):
    list_display = [
        "display_name",
        "initiative",
        "internal_reference",
        "preferred_language",
        "consent_public_name",
        "consent_share_statements",
        "is_active",
    ]
    list_filter = ["initiative", "is_active", "preferred_language"]
    search_fields = ["display_name", "internal_reference"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
