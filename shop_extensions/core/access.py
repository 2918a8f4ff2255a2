"""Who may open a page. Every view declares its audience with ``@access(...)``; the permission-matrix test
walks every URL pattern and fails on a view without one. Which *objects* a maker or coordinator may see is
decided by the scoped selectors (a foreign id is NotFound, so not even existence leaks)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

View = TypeVar("View", bound=Callable[..., HttpResponse])


class Audience(StrEnum):
    PUBLIC = "public"  # anyone: login pages, the manifest, checking a statement's verification code
    SIGNED = "signed"  # machines that prove themselves in the request itself (Saleor JWS, Stripe-Signature)
    MAKER = "maker"  # a logged-in participant; objects scoped to that maker
    COORDINATOR = "coordinator"  # a logged-in coordinator; objects scoped to their initiatives
    STAFF = "staff"  # Django staff (the admin)


def is_maker(user: Any) -> bool:
    maker = getattr(user, "maker", None) if user.is_authenticated else None
    return maker is not None and maker.is_active


def is_coordinator(user: Any) -> bool:
    from shop_extensions.makers.selectors import initiatives_for_user

    return bool(user.is_authenticated and initiatives_for_user(user=user).exists())


_CHECKS: dict[Audience, tuple[Callable[[Any], bool], str]] = {
    Audience.MAKER: (is_maker, "PORTAL_LOGIN_URL"),
    Audience.COORDINATOR: (is_coordinator, "COORDINATOR_LOGIN_URL"),
    Audience.STAFF: (lambda user: bool(user.is_authenticated and user.is_staff), "LOGIN_URL"),
}


def access(audience: Audience) -> Callable[[View], View]:
    """Declare and enforce a view's audience: anonymous visitors of a personal page go to that area's login,
    logged-in users of the wrong kind get 403."""

    def decorate(view: View) -> View:
        check = _CHECKS.get(audience)

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if check is not None:
                allowed, login_setting = check
                if not request.user.is_authenticated:
                    login_url = getattr(settings, login_setting, settings.LOGIN_URL)
                    return redirect_to_login(request.get_full_path(), login_url)
                if not allowed(request.user):
                    raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.access_audience = audience  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


def audience_of(callback: Callable[..., Any]) -> Audience | None:
    """The audience a URL's view declared (class-based views: on the class via ``view_class``)."""
    found = getattr(callback, "access_audience", None)
    if found is None and hasattr(callback, "view_class"):
        found = getattr(callback.view_class, "access_audience", None)
    return found
