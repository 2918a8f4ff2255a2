"""HTTP interface of the Saleor App: validate input, call one service, map errors to responses."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from shop_extensions.coordinator.framing import allow_dashboard_framing
from shop_extensions.core.access import Audience, access
from shop_extensions.core.errors import ApplicationError
from shop_extensions.core.logging import log_context
from shop_extensions.saleor_app import intake, services
from shop_extensions.saleor_app.manifest import build_manifest
from shop_extensions.saleor_app.webhooks import BY_SLUG

logger = logging.getLogger(__name__)


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"message": message}}, status=status)


@access(Audience.PUBLIC)
@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    return JsonResponse(build_manifest())


@access(Audience.SIGNED)
@csrf_exempt
@require_POST
def register(request: HttpRequest) -> JsonResponse:
    api_url = request.headers.get("Saleor-Api-Url")
    with log_context(saleor_api_url=api_url, event="register"):
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return _error("the body must be JSON with an auth_token", 400)
        token = body.get("auth_token") if isinstance(body, dict) else None
        if not isinstance(token, str):
            return _error("the body must be JSON with an auth_token", 400)
        try:
            services.installation_register(
                api_url=api_url,
                domain=request.headers.get("Saleor-Domain", ""),
                schema_version=request.headers.get("Saleor-Schema-Version", ""),
                auth_token=token,
            )
        except ApplicationError as exc:
            logger.warning("register failed: %s", exc.message)
            return _error(exc.message, exc.status_code)
        except DatabaseError:
            logger.exception("register failed: database error")
            return _error("the app could not store the installation; try again", 503)
    return JsonResponse({"success": True})


@access(Audience.SIGNED)
@csrf_exempt
def webhook(request: HttpRequest, slug: str) -> HttpResponse:
    definition = BY_SLUG.get(slug)
    if definition is None:
        return _error("unknown webhook", 404)
    if request.method != "POST":
        return _error("webhooks are POSTed", 405)
    with log_context(event=definition.header_value, saleor_api_url=request.headers.get("Saleor-Api-Url")):
        # Size first, from the header, so an oversized body is never read into memory.
        try:
            length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            return _error("bad Content-Length", 400)
        if length > settings.WEBHOOK_MAX_BODY_BYTES:
            logger.warning("webhook rejected: body of %s bytes is too large", length)
            return _error("body too large", 413)
        body = request.body
        if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
            return _error("body too large", 413)
        try:
            result = intake.delivery_receive(
                slug_event=definition.header_value,
                header_event=request.headers.get("Saleor-Event", ""),
                api_url=request.headers.get("Saleor-Api-Url", ""),
                signature=request.headers.get("Saleor-Signature", ""),
                body=body,
            )
        except ApplicationError as exc:
            level = logging.ERROR if exc.status_code >= 500 else logging.WARNING
            logger.log(level, "webhook rejected: %s", exc.message, extra={"status": exc.status_code})
            return _error(exc.message, exc.status_code)
        except DatabaseError:
            logger.exception("webhook not stored: database error; Saleor will retry")
            return _error("temporarily unavailable", 503)
    if result.failed:
        return _error("the signed body is not valid JSON; stored for inspection", 400)
    return JsonResponse({"accepted": True, "duplicate": not result.created}, status=200)


@access(Audience.PUBLIC)  # it only starts the AppBridge handshake; the workspace checks the token
@require_GET
def coordinator_home(request: HttpRequest) -> HttpResponse:
    """The app's page (appUrl), shown by the Saleor Dashboard in an iframe: a static script takes the user
    token from the AppBridge handshake and opens the coordinator workspace with it. Framing is allowed for
    the configured Dashboard origins only (CSP frame-ancestors); without any, for nobody."""
    response = render(
        request,
        "coordinator/dashboard_entry.html",
        {"dashboard_origins": " ".join(settings.SALEOR_DASHBOARD_ORIGINS)},
    )
    return allow_dashboard_framing(response)


LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" aria-label="Rode Draad">'
    '<rect width="64" height="64" rx="12" fill="#fff"/>'
    '<path d="M8 40c10-20 22 8 32-8s12-10 16-6" stroke="#b3001b" stroke-width="5" fill="none" '
    'stroke-linecap="round"/></svg>'
)


@access(Audience.PUBLIC)
@require_GET
def logo(request: HttpRequest) -> HttpResponse:
    return HttpResponse(LOGO_SVG, content_type="image/svg+xml")
