"""Sales nobody could be found for, threshold positions (alerts first) and the initiative's audit log."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shop_extensions.benefits.models import Level
from shop_extensions.coordinator import selectors
from shop_extensions.coordinator.forms import AuditFilterForm, MonthForm, ShareFormSet
from shop_extensions.coordinator.views.common import current_initiative, page, paginate, report_error
from shop_extensions.core.access import Audience, access
from shop_extensions.core.actors import user_actor
from shop_extensions.core.errors import ApplicationError
from shop_extensions.ledger import services as ledger_services
from shop_extensions.ledger.selectors import unattributed_queue_for_coordinator
from shop_extensions.makers.selectors import makers_for_coordinator


@access(Audience.COORDINATOR)
def unattributed_list(request: HttpRequest) -> HttpResponse:
    initiative = current_initiative(request)
    queue = unattributed_queue_for_coordinator(user=request.user, initiative_id=initiative.pk)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        queue = queue.filter(Q(line__product_name__icontains=query) | Q(line__sku__icontains=query))
    return page(
        request,
        "coordinator/unattributed/list.html",
        "unattributed",
        page_obj=paginate(request, queue),
        q=query,
    )


@access(Audience.COORDINATOR)
@require_http_methods(["GET", "POST"])
def unattributed_resolve(request: HttpRequest, allocation_id: int) -> HttpResponse:
    initiative = current_initiative(request)
    queued = (
        unattributed_queue_for_coordinator(user=request.user, initiative_id=initiative.pk)
        .filter(pk=allocation_id)
        .first()
    )
    if queued is None:
        raise Http404  # resolved already, or not a sale of this initiative
    makers = makers_for_coordinator(user=request.user, initiative_id=initiative.pk).filter(is_active=True)
    shares = ShareFormSet(request.POST or None, prefix="shares", form_kwargs={"makers": makers})
    if request.method == "POST" and shares.is_valid():
        try:
            ledger_services.unattributed_resolve(
                allocation_id=queued.pk,
                initiative_id=initiative.pk,
                shares=shares.shares(),
                actor=user_actor(request.user),
            )
        except ApplicationError as exc:
            report_error(request, exc)
        else:
            names = ", ".join(maker.display_name for maker, _percent in shares.shares())
            messages.success(request, _("The sale is attributed to %(names)s.") % {"names": names})
            return redirect("coordinator:unattributed")
    return page(
        request, "coordinator/unattributed/resolve.html", "unattributed", queued=queued, shares=shares
    )


def _month(request: HttpRequest) -> tuple[MonthForm, date]:
    form = MonthForm(request.GET or None)
    chosen = form.cleaned_data.get("month") if form.is_valid() else None
    return form, (chosen or timezone.localdate()).replace(day=1)


@access(Audience.COORDINATOR)
def position_list(request: HttpRequest) -> HttpResponse:
    initiative = current_initiative(request)
    form, month = _month(request)
    status = request.GET.get("status", "")
    if status not in Level.values:
        status = ""
    positions = selectors.positions_alerts_first(
        user=request.user, initiative_id=initiative.pk, month=month, status=status
    )
    return page(
        request,
        "coordinator/positions/list.html",
        "positions",
        form=form,
        month=month,
        status=status,
        levels=Level.choices,
        page_obj=paginate(request, positions),
    )


@access(Audience.COORDINATOR)
def audit_list(request: HttpRequest) -> HttpResponse:
    initiative = current_initiative(request)
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    events = selectors.audit_events_for_coordinator(
        user=request.user,
        initiative_id=initiative.pk,
        action=filters.get("action") or "",
        since=filters.get("since"),
        until=filters.get("until"),
    )
    return page(
        request, "coordinator/audit/list.html", "audit", form=form, page_obj=paginate(request, events)
    )
