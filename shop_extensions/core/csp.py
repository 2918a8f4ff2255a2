"""Content-Security-Policy on every HTML response: our own scripts and styles only, never inline, never framed.

A view may set its own ``Content-Security-Policy`` header (the Dashboard page widens frame-ancestors to the
Dashboard's origins); its directives win, and the missing ones are filled in from the policy here."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
}


def parse(header: str) -> dict[str, str]:
    directives: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name.lower()] = value.strip()
    return directives


def render(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}".strip() for name, value in directives.items())


def policy_for(existing: str | None) -> str:
    """The project's policy with the directives a view set itself taking precedence."""
    return render({**POLICY, **parse(existing or "")})


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response["Content-Security-Policy"] = policy_for(response.get("Content-Security-Policy"))
        return response
