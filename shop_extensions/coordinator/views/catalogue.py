"""Products ↔ makers (share rules) and production lots (deliveries booked into Saleor's stock)."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shop_extensions.catalog import services as catalog_services
from shop_extensions.catalog.models import LotKind, StockSync
from shop_extensions.coordinator import selectors
from shop_extensions.coordinator.forms import (
    CorrectionForm,
    LotFilterForm,
    LotForm,
    ProductSearchForm,
    RuleForm,
    ShareFormSet,
    StockResolveForm,
)
from shop_extensions.coordinator.views.common import current_initiative, page, paginate, report_error
from shop_extensions.core.access import Audience, access
from shop_extensions.core.actors import user_actor
from shop_extensions.core.errors import ApplicationError, NotFound
from shop_extensions.makers.selectors import makers_for_coordinator


def _catalogue(request: HttpRequest, query: str = "") -> list[selectors.CatalogueProduct] | None:
    """The initiative's Saleor products, or None (with a message) when Saleor cannot be asked."""
    try:
        return selectors.catalogue_for_coordinator(
            user=request.user, initiative_id=current_initiative(request).pk, query=query
        )
    except selectors.CatalogueUnavailable:
        messages.warning(request, _("Saleor could not be reached for the products. Try again in a minute."))
        return None


@access(Audience.COORDINATOR)
def product_list(request: HttpRequest) -> HttpResponse:
    initiative = current_initiative(request)
    form = ProductSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    products = _catalogue(request, query) or []
    page_obj = paginate(request, products)
    rules = selectors.open_rules_for(initiative=initiative, products=list(page_obj.object_list))
    rows = [
        {
            "product": product,
            "rule": rules.get(product.id),
            "variants": [{"variant": v, "rule": rules.get(v.id)} for v in product.variants],
        }
        for product in page_obj.object_list
    ]
    return page(
        request, "coordinator/products/list.html", "products", form=form, page_obj=page_obj, rows=rows
    )


@access(Audience.COORDINATOR)
@require_http_methods(["GET", "POST"])
def product_rule(request: HttpRequest) -> HttpResponse:
    """Set which makers share a product's (or one variant's) sales from now on."""
    initiative = current_initiative(request)
    makers = makers_for_coordinator(user=request.user, initiative_id=initiative.pk).filter(is_active=True)
    source = request.POST if request.method == "POST" else request.GET
    product_id, variant_id = source.get("saleor_product_id", ""), source.get("saleor_variant_id", "")
    products = _catalogue(request)
    if products is None:
        return redirect("coordinator:products")  # with the message that Saleor cannot be reached
    product = next((p for p in products if p.id == product_id), None)
    variant = next((v for v in product.variants if v.id == variant_id), None) if product else None
    if product is None or (variant_id and variant is None):
        raise Http404  # not a product of this initiative's Saleor
    form = RuleForm(
        request.POST or None, initial={"saleor_product_id": product.id, "saleor_variant_id": variant_id}
    )
    shares = ShareFormSet(request.POST or None, prefix="shares", form_kwargs={"makers": makers})
    if request.method == "POST" and form.is_valid() and shares.is_valid():
        try:
            catalog_services.attribution_rule_set(
                initiative=initiative,
                actor=user_actor(request.user),
                saleor_product_id="" if variant else product.id,
                saleor_variant_id=variant.id if variant else "",
                shares=shares.shares(),
                commission_percent=form.cleaned_data["commission_percent"],
            )
        except ApplicationError as exc:
            report_error(request, exc)
        else:
            label = product.label_of(variant) if variant else product.name
            messages.success(request, _("The shares of %(product)s are saved.") % {"product": label})
            return redirect("coordinator:products")
    current = selectors.open_rules_for(initiative=initiative, products=[product]).get(
        variant.id if variant else product.id
    )
    return page(
        request,
        "coordinator/products/rule.html",
        "products",
        form=form,
        shares=shares,
        product=product,
        variant=variant,
        current=current,
        product_id=product.id,
    )


@access(Audience.COORDINATOR)
def lot_list(request: HttpRequest) -> HttpResponse:
    initiative = current_initiative(request)
    makers = makers_for_coordinator(user=request.user, initiative_id=initiative.pk)
    form = LotFilterForm(request.GET or None, makers=makers)
    maker_id, sync = None, ""
    if form.is_valid():
        maker = form.cleaned_data["maker"]
        maker_id, sync = (maker.pk if maker else None), form.cleaned_data["sync"]
    lots = selectors.lots_for_coordinator(
        user=request.user, initiative_id=initiative.pk, maker_id=maker_id, sync=sync
    )
    page_obj = paginate(request, lots)
    labels: dict[str, str] = {}
    with contextlib.suppress(selectors.CatalogueUnavailable):  # without Saleor the list shows variant ids
        labels = selectors.variant_labels(
            selectors.catalogue_for_coordinator(user=request.user, initiative_id=initiative.pk)
        )
    for lot in page_obj:
        lot.label = labels.get(lot.saleor_variant_id, lot.saleor_variant_id)
    return page(
        request,
        "coordinator/lots/list.html",
        "lots",
        form=form,
        page_obj=page_obj,
        DELIVERY=LotKind.DELIVERY,
        UNKNOWN=StockSync.UNKNOWN,
    )


@access(Audience.COORDINATOR)
@require_http_methods(["GET", "POST"])
def lot_create(request: HttpRequest) -> HttpResponse:
    initiative = current_initiative(request)
    makers = makers_for_coordinator(user=request.user, initiative_id=initiative.pk).filter(is_active=True)
    products = _catalogue(request) or []
    variants = [(v.id, p.label_of(v)) for p in products for v in p.variants]
    form = LotForm(request.POST or None, makers=makers, variants=variants)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lot = catalog_services.lot_book(
                initiative=initiative,
                maker=data["maker"],
                saleor_variant_id=data["saleor_variant_id"],
                quantity=data["quantity"],
                actor=user_actor(request.user),
                idempotency_key=data["idempotency_key"],
            )
        except ApplicationError as exc:
            report_error(request, exc)
        else:
            values = {"count": lot.quantity, "name": data["maker"].display_name}
            if lot.stock_sync == StockSync.SYNCED:
                messages.success(
                    request, _("%(count)s pieces by %(name)s are booked and in stock in Saleor.") % values
                )
            else:
                messages.warning(
                    request,
                    _(
                        "%(count)s pieces by %(name)s are booked; Saleor's stock is not raised yet. "
                        "It is tried again automatically."
                    )
                    % values,
                )
            return redirect("coordinator:lots")
    return page(request, "coordinator/lots/form.html", "lots", form=form, catalogue_ok=bool(products))


def _lot(request: HttpRequest, lot_id: int):  # type: ignore[no-untyped-def]
    try:
        return selectors.lot_get_for_coordinator(
            user=request.user, initiative_id=current_initiative(request).pk, lot_id=lot_id
        )
    except NotFound as exc:
        raise Http404 from exc


@access(Audience.COORDINATOR)
@require_http_methods(["GET", "POST"])
def lot_correct(request: HttpRequest, lot_id: int) -> HttpResponse:
    lot = _lot(request, lot_id)
    if lot.kind != LotKind.DELIVERY:
        raise Http404  # corrections are made to the delivery itself
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            catalog_services.lot_correct(
                lot=lot,
                quantity=data["quantity"],
                reason=data["reason"],
                actor=user_actor(request.user),
                idempotency_key=data["idempotency_key"],
            )
        except ApplicationError as exc:
            report_error(request, exc)
        else:
            messages.success(
                request, _("The correction of %(count)s pieces is booked.") % {"count": data["quantity"]}
            )
            return redirect("coordinator:lots")
    return page(request, "coordinator/lots/correct.html", "lots", form=form, lot=lot)


@access(Audience.COORDINATOR)
@require_http_methods(["GET", "POST"])
def lot_resolve(request: HttpRequest, lot_id: int) -> HttpResponse:
    """A lot whose stock sync outcome is unknown: the coordinator looked in the Dashboard and tells us."""
    lot = _lot(request, lot_id)
    if lot.stock_sync != StockSync.UNKNOWN:
        messages.info(request, _("This booking needs no check."))
        return redirect("coordinator:lots")
    form = StockResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = catalog_services.lot_stock_sync_resolve(
                lot=lot, landed=form.cleaned_data["landed"], actor=user_actor(request.user)
            )
        except ApplicationError as exc:
            report_error(request, exc)
        else:
            if result.stock_sync == StockSync.SYNCED:
                messages.success(request, _("The booking is marked as in stock."))
            else:
                messages.warning(request, _("The stock is being added again; check the list for the result."))
            return redirect("coordinator:lots")
    return page(request, "coordinator/lots/resolve.html", "lots", form=form, lot=lot)
