"""Payouts (start and approve runs, follow states, retry) and statements (month overview, regenerate with a
reason, download the month as a ZIP), through the payouts and statements apps' services and selectors."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shop_extensions.coordinator.forms import MonthForm, PayoutFilterForm, ReasonForm
from shop_extensions.coordinator.views.common import (
    current_initiative,
    maker_in_initiative,
    page,
    paginate,
    report_error,
)
from shop_extensions.core.access import Audience, access
from shop_extensions.core.actors import user_actor
from shop_extensions.core.errors import ApplicationError
from shop_extensions.payouts import selectors as payouts_selectors
from shop_extensions.payouts import services as payouts_services
from shop_extensions.payouts.models import PayoutState
from shop_extensions.statements import selectors as statements_selectors
from shop_extensions.statements import services as statements_services

# What a coordinator may do with a payout in each state (the services check it again).
PAYOUT_ACTIONS = {
    "approve": (PayoutState.DRAFT,),
    "cancel": (PayoutState.DRAFT, PayoutState.APPROVED),
    "retry": (PayoutState.FAILED, PayoutState.OUTCOME_UNKNOWN),
}


@access(Audience.COORDINATOR)
def payout_list(request: HttpRequest) -> HttpResponse:
    initiative = current_initiative(request)
    form = PayoutFilterForm(request.GET or None)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    payouts = payouts_selectors.payouts_for_coordinator(
        user=request.user, initiative_id=initiative.pk, state=state or None
    )
    runs = payouts_selectors.runs_for_coordinator(user=request.user, initiative_id=initiative.pk).annotate(
        drafts=Count("payouts", filter=Q(payouts__state=PayoutState.DRAFT)), total=Count("payouts")
    )[:5]
    page_obj = paginate(request, payouts)
    for payout in page_obj:
        payout.state_text = payouts_selectors.state_label(payout.state)
        payout.actions = [name for name, states in PAYOUT_ACTIONS.items() if payout.state in states]
    return page(
        request,
        "coordinator/payouts/list.html",
        "payouts",
        form=form,
        page_obj=page_obj,
        runs=runs,
        policy=payouts_selectors.policy_for_initiative(initiative_id=initiative.pk),
    )


@access(Audience.COORDINATOR)
@require_POST
def payout_run_start(request: HttpRequest) -> HttpResponse:
    initiative = current_initiative(request)
    try:
        run = payouts_services.payout_run_create(initiative_id=initiative.pk, actor=user_actor(request.user))
    except ApplicationError as exc:
        report_error(request, exc)
    else:
        count = run.payouts.count()
        messages.success(
            request,
            _("A payout run is made with %(count)s payouts. Check and approve them.") % {"count": count},
        )
    return redirect("coordinator:payouts")


@access(Audience.COORDINATOR)
@require_POST
def payout_run_approve(request: HttpRequest, run_id: int) -> HttpResponse:
    initiative = current_initiative(request)
    run = payouts_selectors.runs_for_coordinator(user=request.user, initiative_id=initiative.pk).filter(
        pk=run_id
    )
    if not run.exists():
        raise Http404
    try:
        count = payouts_services.payout_run_approve(run_id=run_id, actor=user_actor(request.user))
    except ApplicationError as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("%(count)s payouts are approved and will be sent.") % {"count": count})
    return redirect("coordinator:payouts")


@access(Audience.COORDINATOR)
@require_POST
def payout_action(request: HttpRequest, payout_id: int, action: str) -> HttpResponse:
    if action not in PAYOUT_ACTIONS:
        raise Http404
    initiative = current_initiative(request)
    payout = (
        payouts_selectors.payouts_for_coordinator(user=request.user, initiative_id=initiative.pk)
        .filter(pk=payout_id)
        .first()
    )
    if payout is None:
        raise Http404
    actor = user_actor(request.user)
    values = {"name": payout.maker.display_name, "amount": payout.amount}
    try:
        if action == "approve":
            payouts_services.payout_approve(payout_id=payout.pk, actor=actor)
            messages.success(request, _("The payout of € %(amount)s to %(name)s is approved.") % values)
        elif action == "cancel":
            payouts_services.payout_cancel(
                payout_id=payout.pk, actor=actor, reason=_("cancelled by a coordinator")
            )
            messages.success(request, _("The payout of € %(amount)s to %(name)s is cancelled.") % values)
        else:
            result = payouts_services.payout_retry(payout_id=payout.pk, actor=actor)
            values["state"] = payouts_selectors.state_label(result.state)
            messages.success(request, _("The payout to %(name)s is tried again. Now: %(state)s") % values)
    except ApplicationError as exc:
        report_error(request, exc)
    return redirect("coordinator:payouts")


def _month(request: HttpRequest) -> tuple[MonthForm, date]:
    form = MonthForm(request.GET or None)
    chosen = form.cleaned_data.get("month") if form.is_valid() else None
    if chosen is None:  # last month: the one statements are made for
        chosen = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    return form, chosen.replace(day=1)


@access(Audience.COORDINATOR)
def statement_list(request: HttpRequest) -> HttpResponse:
    initiative = current_initiative(request)
    form, month = _month(request)
    rows = statements_selectors.statements_month_overview_for_coordinator(
        user=request.user, initiative_id=initiative.pk, month=month
    )
    runs = statements_selectors.statement_runs_for_coordinator(
        user=request.user, initiative_id=initiative.pk, month=month
    )[:3]
    return page(
        request,
        "coordinator/statements/list.html",
        "statements",
        form=form,
        month=month,
        page_obj=paginate(request, rows),
        runs=runs,
    )


def _posted_month(request: HttpRequest) -> date | None:
    form = MonthForm(request.POST)
    return (
        form.cleaned_data["month"].replace(day=1) if form.is_valid() and form.cleaned_data["month"] else None
    )


def _statements_url(month: date) -> str:
    return f"{reverse('coordinator:statements')}?month={month:%Y-%m}"


@access(Audience.COORDINATOR)
@require_POST
def statement_generate(request: HttpRequest) -> HttpResponse:
    initiative = current_initiative(request)
    month = _posted_month(request)
    if month is None:
        raise Http404
    try:
        statements_services.statements_generate(
            initiative_id=initiative.pk, month=month, actor=user_actor(request.user)
        )
    except ApplicationError as exc:
        report_error(request, exc)
    else:
        messages.success(
            request,
            _("The statements of %(month)s are being made. Reload this page to follow them.")
            % {"month": f"{month:%m-%Y}"},
        )
    return redirect(_statements_url(month))


@access(Audience.COORDINATOR)
@require_http_methods(["GET", "POST"])
def statement_regenerate(request: HttpRequest, maker_id: int) -> HttpResponse:
    maker = maker_in_initiative(request, maker_id)
    month_form = MonthForm(request.POST or request.GET or None)
    month = month_form.cleaned_data.get("month") if month_form.is_valid() else None
    if month is None:
        raise Http404
    month = month.replace(day=1)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            statements_services.statement_regenerate(
                maker_id=maker.pk,
                month=month,
                reason=form.cleaned_data["reason"],
                actor=user_actor(request.user),
                force=True,
            )
        except ApplicationError as exc:
            report_error(request, exc)
        else:
            values = {"name": maker.display_name, "month": f"{month:%m-%Y}"}
            messages.success(request, _("A new statement of %(month)s for %(name)s is made.") % values)
            return redirect(_statements_url(month))
    return page(
        request, "coordinator/statements/regenerate.html", "statements", form=form, maker=maker, month=month
    )


@access(Audience.COORDINATOR)
@require_GET
def statement_zip(request: HttpRequest) -> HttpResponse:
    initiative = current_initiative(request)
    _form, month = _month(request)
    name, payload = statements_selectors.statements_zip_for_coordinator(
        user=request.user, initiative_id=initiative.pk, month=month
    )
    response = HttpResponse(payload, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
