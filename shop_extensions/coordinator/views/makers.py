"""Makers: list, register, edit, benefit situation; Stripe onboarding is the payouts app's own page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shop_extensions.benefits import services as benefits_services
from shop_extensions.benefits.models import Level, Position
from shop_extensions.benefits.selectors import situation_get_for_coordinator
from shop_extensions.coordinator.forms import MakerEditForm, MakerFilterForm, MakerForm, SituationForm
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
from shop_extensions.ledger.selectors import maker_ledger_for_coordinator
from shop_extensions.makers import services as makers_services
from shop_extensions.makers.selectors import makers_for_coordinator
from shop_extensions.payouts import selectors as payouts_selectors

MAKER_FIELDS = (
    "display_name",
    "internal_reference",
    "email",
    "phone",
    "preferred_language",
    "consent_public_name",
    "consent_share_statements",
)


@access(Audience.COORDINATOR)
def maker_list(request: HttpRequest) -> HttpResponse:
    initiative = current_initiative(request)
    form = MakerFilterForm(request.GET or None)
    makers = makers_for_coordinator(user=request.user, initiative_id=initiative.pk)
    query, show = "", ""
    if form.is_valid():
        query, show = form.cleaned_data["q"].strip(), form.cleaned_data["active"]
    if show == "inactive":
        makers = makers.filter(is_active=False)
    elif show != "all":
        makers = makers.filter(is_active=True)
    if query:
        makers = makers.filter(
            Q(display_name__icontains=query)
            | Q(internal_reference__icontains=query)
            | Q(email__icontains=query)
        )
    month = timezone.localdate().replace(day=1)
    status = Position.objects.filter(maker=OuterRef("pk"), month=month).values("status")[:1]
    makers = makers.annotate(position_status=Subquery(status)).only(
        "pk", "display_name", "internal_reference", "email", "phone", "is_active", "preferred_language"
    )
    page_obj = paginate(request, makers)
    # Row labels worked out once per page, not per row in the template (the list is the busiest page).
    levels = level_labels()
    maker_url = reverse("coordinator:maker", args=[0]).removesuffix("0/")
    for maker in page_obj:
        maker.level = levels.get(maker.position_status or "")
        maker.url = f"{maker_url}{maker.pk}/"
    return page(
        request,
        "coordinator/makers/list.html",
        "makers",
        form=form,
        page_obj=page_obj,
        no_sales=_("no sales yet"),
    )


def level_labels() -> dict[str, str]:
    return {
        Level.OVER: _("over the threshold"),
        Level.REACHED: _("threshold reached"),
        Level.APPROACHING: _("close to the threshold"),
        Level.OK: _("fine"),
    }


@access(Audience.COORDINATOR)
@require_http_methods(["GET", "POST"])
def maker_create(request: HttpRequest) -> HttpResponse:
    initiative = current_initiative(request)
    form = MakerForm(request.POST or None, initial={"preferred_language": "nl"})
    if request.method == "POST" and form.is_valid():
        try:
            maker = makers_services.maker_create(
                initiative=initiative, actor=user_actor(request.user), **form.cleaned_data
            )
        except ApplicationError as exc:
            report_error(request, exc)
        else:
            messages.success(request, _("%(name)s is registered as a maker.") % {"name": maker.display_name})
            return redirect("coordinator:maker", maker_id=maker.pk)
    return page(request, "coordinator/makers/form.html", "makers", form=form, maker=None)


@access(Audience.COORDINATOR)
def maker_detail(request: HttpRequest, maker_id: int) -> HttpResponse:
    initiative = current_initiative(request)
    maker = maker_in_initiative(request, maker_id)
    ledger = maker_ledger_for_coordinator(user=request.user, maker_id=maker.pk, currency=initiative.currency)
    position = Position.objects.filter(maker=maker, month=timezone.localdate().replace(day=1)).first()
    account = payouts_selectors.account_for_maker(maker=maker)
    return page(
        request,
        "coordinator/makers/detail.html",
        "makers",
        maker=maker,
        ledger=ledger,
        position=position,
        account_status=payouts_selectors.account_status_label(account.status if account else None),
    )


@access(Audience.COORDINATOR)
@require_http_methods(["GET", "POST"])
def maker_edit(request: HttpRequest, maker_id: int) -> HttpResponse:
    maker = maker_in_initiative(request, maker_id)
    initial: dict[str, Any] = {field: getattr(maker, field) for field in (*MAKER_FIELDS, "is_active")}
    form = MakerEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = {field: form.cleaned_data[field] for field in form.changed_data}
        if not changed:
            messages.info(request, _("Nothing was changed."))
            return redirect("coordinator:maker", maker_id=maker.pk)
        try:
            makers_services.maker_update(maker=maker, actor=user_actor(request.user), **changed)
        except ApplicationError as exc:
            report_error(request, exc)
        else:
            messages.success(request, _("The details of %(name)s are saved.") % {"name": maker.display_name})
            return redirect("coordinator:maker", maker_id=maker.pk)
    return page(request, "coordinator/makers/form.html", "makers", form=form, maker=maker)


@access(Audience.COORDINATOR)
@require_http_methods(["GET", "POST"])
def maker_situation(request: HttpRequest, maker_id: int) -> HttpResponse:
    """The benefit situation, health flag included: shown to this maker's coordinators only, and the read is
    audited by the selector."""
    maker = maker_in_initiative(request, maker_id)
    if request.method == "POST":
        form = SituationForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["household_type"] = data.get("household_type") or ""
            data["municipality"] = data.get("municipality") or ""
            try:
                benefits_services.situation_set(actor=user_actor(request.user), maker=maker, **data)
            except ApplicationError as exc:
                report_error(request, exc)
            else:
                messages.success(
                    request, _("The benefit situation of %(name)s is saved.") % {"name": maker.display_name}
                )
                return redirect("coordinator:maker", maker_id=maker.pk)
    else:
        situation = situation_get_for_coordinator(user=request.user, maker_id=maker.pk)
        initial = {}
        if situation is not None:
            initial = {name: getattr(situation, name) for name in SituationForm.base_fields}
        form = SituationForm(initial=initial)
    return page(request, "coordinator/makers/situation.html", "makers", form=form, maker=maker)
