"""The app manifest Saleor fetches on install (Saleor 3.20+, camelCase)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from shop_extensions.saleor_app.webhooks import WEBHOOKS

APP_ID = "nl.rodedraad.app"
VERSION = "0.1.0"
PERMISSIONS = ["MANAGE_ORDERS", "MANAGE_PRODUCTS"]
REQUIRED_SALEOR_VERSION = ">=3.20 <4"


def absolute_url(path: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{path}"


def build_manifest() -> dict[str, Any]:
    return {
        "id": APP_ID,
        "name": "Rode Draad",
        "version": VERSION,
        "about": (
            "Rode Draad attributes every sale to the participant who made it, keeps their earnings, "
            "warns before earnings affect a benefit, pays makers out and produces monthly income statements."
        ),
        "author": "Rode Draad",
        "permissions": PERMISSIONS,
        "appUrl": absolute_url(reverse("coordinator-home")),
        "tokenTargetUrl": absolute_url(reverse("saleor-register")),
        "homepageUrl": absolute_url("/"),
        "supportUrl": absolute_url("/"),
        "dataPrivacyUrl": absolute_url("/"),
        "requiredSaleorVersion": REQUIRED_SALEOR_VERSION,
        "brand": {"logo": {"default": absolute_url(reverse("saleor-logo"))}},
        "extensions": [],
        "webhooks": [
            {
                "name": definition.name,
                "targetUrl": absolute_url(reverse("saleor-webhook", kwargs={"slug": definition.slug})),
                "query": definition.query,
                "asyncEvents": [definition.event],
                "isActive": True,
            }
            for definition in WEBHOOKS
        ],
    }
