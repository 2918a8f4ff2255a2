"""The workspace shows inside the Saleor Dashboard's iframe: its pages may be framed by the configured
Dashboard origins (CSP frame-ancestors) and by nobody else; without any configured, by nobody at all."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse


def allow_dashboard_framing(response: HttpResponse) -> HttpResponse:
    if settings.SALEOR_DASHBOARD_ORIGINS:
        response["Content-Security-Policy"] = "frame-ancestors 'self' " + " ".join(
            settings.SALEOR_DASHBOARD_ORIGINS
        )
        response.xframe_options_exempt = True
    return response
