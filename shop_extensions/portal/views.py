"""Participant portal pages: validate input, call one service or the selectors, render. Every page is for
the logged-in maker only; no URL carries a maker id."""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shop_extensions.benefits import services as benefits_services
from shop_extensions.core.access import Audience, access
from shop_extensions.core.errors import ApplicationError, NotFound
from shop_extensions.makers.models import Maker
from shop_extensions.payouts import selectors as payouts_selectors
from shop_extensions.portal import selectors, services, texts
from shop_extensions.portal.forms import CodeForm, DeletionForm, EmailForm, ShareForm, WhatIfForm
from shop_extensions.statements import selectors as statements_selectors
from shop_extensions.statements import services as statements_services

SESSION_EMAIL = "portal_login_email"
SESSION_SEEN = "portal_seen"
SESSION_NEW_LINK = "portal_new_share_link"
PAGE_SIZE = 20


def _client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is set by clients too; the proxy in front rewrites REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR") or None


def _maker(request: HttpRequest) -> Maker:
    """The logged-in maker. Keeps the idle timeout sliding without writing the session on every request."""
    now = int(time.time())
    if now - int(request.session.get(SESSION_SEEN, 0)) > 60:
        request.session[SESSION_SEEN] = now
        request.session.set_expiry(settings.PORTAL_SESSION_IDLE_SECONDS)
    return selectors.maker_for_user(user=request.user)


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, template, context, status=status)


@access(Audience.PUBLIC)
@require_http_methods(["GET", "POST"])
def login_start(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.login_code_request(email=form.cleaned_data["email"], ip=_client_ip(request))
        except services.TooManyAttempts:
            form.add_error(None, _("You asked for a code too often. Wait 15 minutes and try again."))
            return _page(request, "portal/login.html", {"form": form}, status=429)
        request.session[SESSION_EMAIL] = services.email_normalize(form.cleaned_data["email"])
        return redirect("portal:login_code")
    return _page(request, "portal/login.html", {"form": form})


@access(Audience.PUBLIC)
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    email = request.session.get(SESSION_EMAIL)
    if not email:
        return redirect("portal:login")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            maker = services.login_code_verify(
                email=email, code=form.cleaned_data["code"], ip=_client_ip(request)
            )
        except services.TooManyAttempts:
            form.add_error(None, _("Too many wrong codes. Wait 15 minutes and ask for a new code."))
            status = 429
        except ApplicationError:
            form.add_error(
                "code", _("This code is wrong or no longer valid. Check the e-mail or ask for a new code.")
            )
            status = 400
        else:
            login(request, maker.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session.set_expiry(settings.PORTAL_SESSION_IDLE_SECONDS)
            request.session[SESSION_SEEN] = int(time.time())
            translation.activate(maker.preferred_language)
            response = redirect("portal:home")
            # The maker's preferred language is the default after login; the switch can still change it.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                maker.preferred_language,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Lax",
                httponly=True,
            )
            return response
    return _page(request, "portal/login_code.html", {"form": form, "email": email}, status=status)


@access(Audience.MAKER)
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:login")


@access(Audience.MAKER)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    maker = _maker(request)
    month = selectors.this_month(maker=maker, today=timezone.localdate())
    form = WhatIfForm(request.GET if "extra" in request.GET else None)
    what_if = None
    if form.is_bound and form.is_valid():
        what_if = benefits_services.what_if(maker=maker, extra=form.cleaned_data["extra"], month=month.month)
    return _page(
        request,
        "portal/home.html",
        {
            "maker": maker,
            "m": month,
            "form": form,
            "what_if": what_if,
            "bar_label": texts.label(texts.THRESHOLD_LABELS, month.bar.kind) if month.bar else "",
            "status_label": texts.label(texts.STATUS_LABELS, month.status.status),
            "nav": "home",
        },
    )


@access(Audience.MAKER)
@require_GET
def sales(request: HttpRequest) -> HttpResponse:
    maker = _maker(request)
    page = Paginator(selectors.sales_for_maker(maker=maker), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(entry, texts.label(texts.ENTRY_KIND_LABELS, entry.kind)) for entry in page]
    return _page(request, "portal/sales.html", {"maker": maker, "page": page, "rows": rows, "nav": "sales"})


@access(Audience.MAKER)
@require_GET
def payouts(request: HttpRequest) -> HttpResponse:
    maker = _maker(request)
    money = payouts_selectors.maker_money(maker=maker)
    account = payouts_selectors.account_for_maker(maker=maker)
    page = Paginator(payouts_selectors.payouts_for_maker(maker=maker), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(payout, texts.label(texts.PAYOUT_STATE_LABELS, payout.state)) for payout in page]
    return _page(
        request,
        "portal/payouts.html",
        {
            "maker": maker,
            "money": money,
            "account_status": account.status if account else "new",
            "account_label": texts.label(texts.ACCOUNT_STATUS_LABELS, account.status if account else "new"),
            "page": page,
            "rows": rows,
            "nav": "payouts",
        },
    )


@access(Audience.MAKER)
@require_GET
def statements(request: HttpRequest) -> HttpResponse:
    maker = _maker(request)
    page = Paginator(statements_selectors.statements_for_maker(maker=maker), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    shares = [
        share
        for share in statements_selectors.statement_shares_for_maker(maker=maker)
        if share.revoked_at is None and share.expires_at > now
    ]
    return _page(
        request,
        "portal/statements.html",
        {
            "maker": maker,
            "page": page,
            "rows": [(statement, ShareForm(prefix=f"s{statement.pk}")) for statement in page],
            "shares": shares,
            "new_link": request.session.pop(SESSION_NEW_LINK, None),
            "nav": "statements",
        },
    )


@access(Audience.MAKER)
@require_POST
def statement_share(request: HttpRequest, statement_id: int) -> HttpResponse:
    maker = _maker(request)
    try:  # another maker's statement is a 404 before anything else is looked at
        statements_selectors.statement_get_for_maker(maker=maker, statement_id=statement_id)
    except NotFound as exc:
        raise Http404 from exc
    form = ShareForm(request.POST, prefix=f"s{statement_id}")
    if not form.is_valid():
        messages.error(request, _("Choose how many days the link works: 1 to 90."))
        return redirect("portal:statements")
    try:
        _share, url = statements_services.statement_share_create(
            maker=maker, statement_id=statement_id, days=form.cleaned_data["days"]
        )
    except NotFound as exc:
        raise Http404 from exc
    except ApplicationError:
        messages.error(request, _("We could not make the link. Try again."))
        return redirect("portal:statements")
    # Shown once on the next page: only the token's hash is stored.
    request.session[SESSION_NEW_LINK] = url
    messages.success(request, _("The link is ready. Copy it and send it to your client manager."))
    return redirect("portal:statements")


@access(Audience.MAKER)
@require_POST
def statement_share_revoke(request: HttpRequest, share_id: int) -> HttpResponse:
    maker = _maker(request)
    try:
        statements_services.statement_share_revoke(maker=maker, share_id=share_id)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("The link no longer works."))
    return redirect("portal:statements")


def _situation_words(situation: dict[str, Any] | None) -> dict[str, str]:
    if situation is None:
        return {}
    return {
        "regime": texts.label(texts.REGIME_LABELS, situation["regime"]),
        "household": texts.label(texts.HOUSEHOLD_LABELS, situation["household_type"]),
        "income_basis": texts.label(texts.INCOME_BASIS_LABELS, situation["income_basis"]),
    }


@access(Audience.MAKER)
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    maker = _maker(request)
    data = services.my_data_collect(maker=maker)
    return _page(
        request,
        "portal/my_data.html",
        {
            "maker": maker,
            "data": data,
            "entries_count": len(data["ledger_entries"]),
            "situation_words": _situation_words(data["benefit_situation"]),
            "form": DeletionForm(),
            "open_request": any(r["handled_at"] is None for r in data["deletion_requests"]),
            "nav": "my_data",
        },
    )


@access(Audience.MAKER)
@require_GET
def my_data_export(request: HttpRequest) -> HttpResponse:
    maker = _maker(request)
    data = services.my_data_collect(maker=maker)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="rode-draad-my-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@access(Audience.MAKER)
@require_POST
def my_data_delete(request: HttpRequest) -> HttpResponse:
    maker = _maker(request)
    form = DeletionForm(request.POST)
    if not form.is_valid():
        return redirect("portal:my_data")
    _request, created = services.deletion_request_create(maker=maker, note=form.cleaned_data["note"])
    if created:
        messages.success(request, _("We have your request. Your coordinator will contact you."))
    else:
        messages.info(request, _("You already asked for this. Your coordinator will contact you."))
    return redirect("portal:my_data")
