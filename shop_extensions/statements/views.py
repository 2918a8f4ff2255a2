"""HTTP interfaces: the public verification page, the token-gated share download, and the maker's JSON and
file downloads. Validate, call one selector or service, map errors to responses."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from shop_extensions.core.access import Audience, access
from shop_extensions.core.errors import ApplicationError
from shop_extensions.statements import selectors, services

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=16, required=False)
    document = forms.FileField(label=_("The PDF you received (optional)"), required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("code") and not data.get("document"):
            raise forms.ValidationError(_("Enter the code printed on the statement, or choose its PDF file."))
        document = data.get("document")
        if document is not None and document.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("That file is too large to be a statement."))
        return data


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _verify_page(request: HttpRequest, form: VerifyForm, code: str = "") -> HttpResponse:
    result = None
    status = 200
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data.get("document")
        result = selectors.statement_verify(
            code=form.cleaned_data.get("code") or code, pdf=upload.read() if upload is not None else None
        )
    elif code and not form.is_bound:
        result = selectors.statement_verify(code=code)
    elif form.is_bound:
        status = 400
    if result is not None and not result.found:
        status = 404
    return _private(
        render(request, "statements/verify.html", {"form": form, "result": result}, status=status)
    )


@access(Audience.PUBLIC)
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.POST, request.FILES) if request.method == "POST" else VerifyForm()
    return _verify_page(request, form)


@access(Audience.PUBLIC)
@require_http_methods(["GET", "POST"])
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES, initial={"code": code})
    else:
        form = VerifyForm(initial={"code": code})
    return _verify_page(request, form, code=code)


def _download(found: selectors.StatementFile) -> HttpResponse:
    response = HttpResponse(found.content, content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return _private(response)


@access(Audience.PUBLIC)
@require_GET
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """Anyone holding a valid link the maker made; an expired, revoked or unknown link is a 404."""
    try:
        found = services.statement_share_open(token=token)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc
    return _download(found)


@access(Audience.MAKER)
@require_GET
def data_json(request: HttpRequest, statement_id: int) -> HttpResponse:
    try:
        data = selectors.statement_data(maker=request.user.maker, statement_id=statement_id)  # type: ignore[union-attr]
    except ApplicationError as exc:
        return _private(JsonResponse({"error": exc.message}, status=exc.status_code))
    return _private(JsonResponse(data, json_dumps_params={"ensure_ascii": False}))


@access(Audience.MAKER)
@require_GET
def download(request: HttpRequest, statement_id: int, kind: str) -> HttpResponse:
    try:
        found = selectors.statement_file(maker=request.user.maker, statement_id=statement_id, kind=kind)  # type: ignore[union-attr]
    except ApplicationError as exc:
        raise Http404(exc.message) from exc
    return _download(found)
