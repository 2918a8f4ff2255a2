"""Getting in and out: a password login of its own, the Saleor Dashboard's user token, switching initiative."""

from __future__ import annotations

import json
import logging

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shop_extensions.coordinator import services
from shop_extensions.coordinator.forms import LoginForm
from shop_extensions.coordinator.framing import allow_dashboard_framing
from shop_extensions.coordinator.views.common import SESSION_INITIATIVE, initiatives_of
from shop_extensions.core.access import Audience, access, is_coordinator
from shop_extensions.core.errors import ApplicationError
from shop_extensions.makers.selectors import initiatives_for_user

logger = logging.getLogger(__name__)
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("coordinator:home")


@access(Audience.PUBLIC)
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and is_coordinator(request.user):
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if user is None:
            form.add_error(None, _("That user name and password do not match."))
        elif not initiatives_for_user(user=user).exists():
            form.add_error(None, _("This account does not coordinate an initiative."))
        else:
            login(request, user)
            messages.success(request, _("You are logged in."))
            return redirect(_next_url(request))
    response = render(request, "coordinator/login.html", {"form": form, "next": request.GET.get("next", "")})
    return allow_dashboard_framing(response)


@access(Audience.PUBLIC)
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are logged out."))
    return redirect("coordinator:login")


@access(Audience.COORDINATOR)
def home(request: HttpRequest) -> HttpResponse:
    return redirect("coordinator:makers")


@access(Audience.COORDINATOR)
@require_POST
def initiative_switch(request: HttpRequest) -> HttpResponse:
    try:
        chosen = int(request.POST.get("initiative", ""))
    except ValueError:
        chosen = 0
    initiative = next((i for i in initiatives_of(request) if i.pk == chosen), None)
    if initiative is None:
        messages.error(request, _("You do not coordinate that initiative."))
    else:
        request.session[SESSION_INITIATIVE] = initiative.pk
        messages.success(request, _("You now work in %(name)s.") % {"name": initiative.name})
    return redirect("coordinator:home")


@access(Audience.PUBLIC)  # the token in the body is the credential; verified before anything else
@require_POST
def dashboard_session(request: HttpRequest) -> JsonResponse:
    """The Dashboard page's script POSTs the user token from the AppBridge handshake here."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return JsonResponse({"error": {"message": "the body must be a JSON object"}}, status=400)
    token, api_url = body.get("token"), body.get("saleorApiUrl") or ""
    if not isinstance(token, str) or not isinstance(api_url, str):
        return JsonResponse({"error": {"message": "token and saleorApiUrl must be strings"}}, status=400)
    try:
        identity = services.dashboard_token_verify(token=token, saleor_api_url=api_url)
    except ApplicationError as exc:
        logger.warning("dashboard token refused: %s", exc.message)
        return JsonResponse({"error": {"message": exc.message}}, status=exc.status_code)
    login(request, identity.user, backend=MODEL_BACKEND)
    if identity.initiatives:
        request.session[SESSION_INITIATIVE] = identity.initiatives[0].pk
    services.dashboard_login_record(identity=identity)
    return JsonResponse({"redirect": reverse("coordinator:home")})
