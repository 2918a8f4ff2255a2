"""HTTP interface of payouts: Stripe's webhooks (signed) and the onboarding redirects (maker, coordinator)."""

from __future__ import annotations

import contextlib
import json
import logging
from decimal import Decimal

import stripe
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from shop_extensions.core.access import Audience, access
from shop_extensions.core.actors import user_actor
from shop_extensions.core.errors import ApplicationError
from shop_extensions.makers import selectors as makers_selectors
from shop_extensions.payouts import services
from shop_extensions.payouts.stripe_adapter import StripeProblem

logger = logging.getLogger(__name__)


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"message": message}}, status=status)


def _webhook(request: HttpRequest, endpoint: str) -> HttpResponse:
    secret = settings.STRIPE_WEBHOOK_SECRETS.get(endpoint)
    if not secret:
        return _error("this endpoint is not configured", 404)
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _error("bad Content-Length", 400)
    if length > settings.WEBHOOK_MAX_BODY_BYTES:
        return _error("body too large", 413)
    raw = request.body
    # The signature covers the raw bytes: verified before anything is parsed; a failure stores nothing.
    try:
        stripe.WebhookSignature.verify_header(
            raw.decode("utf-8"),
            request.headers.get("Stripe-Signature", ""),
            secret,
            settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError):
        logger.warning("stripe webhook rejected: signature did not verify (%s endpoint)", endpoint)
        return _error("signature did not verify", 400)
    try:
        event = json.loads(raw, parse_float=Decimal)
    except ValueError:
        return _error("the body is not JSON", 400)
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or "type" not in event:
        return _error("not a Stripe event", 400)
    try:
        _, created = services.stripe_event_record(endpoint=endpoint, event=event)
    except DatabaseError:
        logger.exception("stripe webhook could not be stored")
        return _error("could not store the event; retry", 503)
    return JsonResponse({"received": True, "duplicate": not created})


@access(Audience.SIGNED)
@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    return _webhook(request, "platform")


@access(Audience.SIGNED)
@csrf_exempt
@require_POST
def stripe_connect_webhook(request: HttpRequest) -> HttpResponse:
    return _webhook(request, "connect")


def _link(
    request: HttpRequest, maker: object, return_name: str, again_name: str, **kwargs: int
) -> HttpResponse:
    try:
        url = services.account_onboarding_link(
            maker=maker,  # type: ignore[arg-type]
            actor=user_actor(request.user),
            return_url=request.build_absolute_uri(reverse(return_name, kwargs=kwargs)),
            refresh_url=request.build_absolute_uri(reverse(again_name, kwargs=kwargs)),
        )
    except StripeProblem as exc:
        logger.warning("onboarding link failed: %s", exc.message)
        return _error(_("Stripe cannot be reached right now. Try again in a minute."), 503)
    except ApplicationError as exc:
        return _error(exc.message, exc.status_code)
    return HttpResponseRedirect(url)


@access(Audience.MAKER)
@require_GET
def maker_onboarding(request: HttpRequest) -> HttpResponse:
    """Opened from the portal (and Stripe's refresh_url): a fresh single-use link on every visit."""
    return _link(request, request.user.maker, "payouts:maker_onboarding_return", "payouts:maker_onboarding")  # type: ignore[union-attr]


@access(Audience.MAKER)
@require_GET
def maker_onboarding_return(request: HttpRequest) -> HttpResponse:
    with contextlib.suppress(StripeProblem):  # the account.updated webhook brings the status anyway
        services.account_refresh(maker=request.user.maker)  # type: ignore[union-attr]
    return HttpResponseRedirect(settings.PAYOUTS_MAKER_RETURN_URL)


@access(Audience.COORDINATOR)
@require_GET
def coordinator_onboarding(request: HttpRequest, maker_id: int) -> HttpResponse:
    try:
        maker = makers_selectors.maker_get_for_coordinator(user=request.user, maker_id=maker_id)
    except ApplicationError as exc:
        return _error(exc.message, exc.status_code)
    return _link(
        request,
        maker,
        "payouts:coordinator_onboarding_return",
        "payouts:coordinator_onboarding",
        maker_id=maker_id,
    )


@access(Audience.COORDINATOR)
@require_GET
def coordinator_onboarding_return(request: HttpRequest, maker_id: int) -> HttpResponse:
    try:
        maker = makers_selectors.maker_get_for_coordinator(user=request.user, maker_id=maker_id)
    except ApplicationError as exc:
        return _error(exc.message, exc.status_code)
    with contextlib.suppress(StripeProblem):
        services.account_refresh(maker=maker)
    return HttpResponseRedirect(settings.PAYOUTS_COORDINATOR_RETURN_URL)
