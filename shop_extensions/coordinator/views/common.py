"""What every coordinator page shares: the current initiative (kept in the session, switchable), pagination,
and turning the services' errors into answers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from shop_extensions.coordinator.framing import allow_dashboard_framing
from shop_extensions.core.errors import ApplicationError, NotFound, PermissionDenied
from shop_extensions.makers.models import Initiative, Maker
from shop_extensions.makers.selectors import initiatives_for_user, maker_get_for_coordinator

SESSION_INITIATIVE = "coordinator_initiative_id"
PAGE_SIZE = 25


def initiatives_of(request: HttpRequest) -> list[Initiative]:
    cached = getattr(request, "_coordinator_initiatives", None)
    if cached is None:
        cached = list(initiatives_for_user(user=request.user))
        request._coordinator_initiatives = cached  # type: ignore[attr-defined]
    return cached


def current_initiative(request: HttpRequest) -> Initiative:
    """The initiative the coordinator chose (session), else their first. ``@access(COORDINATOR)`` has made
    sure there is at least one."""
    initiatives = initiatives_of(request)
    if not initiatives:
        raise Http404
    chosen = request.session.get(SESSION_INITIATIVE)
    for initiative in initiatives:
        if initiative.pk == chosen:
            return initiative
    return initiatives[0]


def maker_in_initiative(request: HttpRequest, maker_id: int) -> Maker:
    """A maker of the current initiative; any other id (another initiative, unknown) is 404."""
    try:
        maker = maker_get_for_coordinator(user=request.user, maker_id=maker_id)
    except NotFound as exc:
        raise Http404 from exc
    if maker.initiative_id != current_initiative(request).pk:
        raise Http404
    return maker


def paginate(request: HttpRequest, items: QuerySet[Any] | list[Any]) -> Page:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The current filters as a query string, for the pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def page(request: HttpRequest, template: str, section: str, **context: Any) -> HttpResponse:
    context.setdefault("initiative", current_initiative(request))
    response = render(
        request,
        template,
        {
            "section": section,
            "initiatives": initiatives_of(request),
            "filters": query_without_page(request),
            **context,
        },
    )
    return allow_dashboard_framing(response)


def report_error(request: HttpRequest, exc: ApplicationError) -> None:
    """A refusal from a service: a foreign object is 404 (existence never leaks), the rest is shown."""
    if isinstance(exc, NotFound | PermissionDenied):
        raise Http404 from exc
    messages.error(request, exc.message)
