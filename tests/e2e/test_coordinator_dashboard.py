"""The workspace opened as the app's page inside a (stand-in) Saleor Dashboard: the Dashboard frames /app/,
answers the page's ``notifyReady`` with an AppBridge ``handshake`` carrying a user JWT signed by the
sandbox's key, and the static script turns it into a session; the iframe ends on the makers page."""

from __future__ import annotations

import json

import pytest

from shop_extensions.saleor_app.sandbox.keys import KeyStore
from tests.coordinator.test_dashboard_token import dashboard_token
from tests.makers.factories import make_coordinator, make_initiative, make_maker

from .conftest import screenshot

pytestmark = [pytest.mark.django_db(transaction=True)]

API_URL = "https://shop.example.com/graphql/"

DASHBOARD = """<!doctype html><html lang="en"><head><title>Dashboard</title></head><body>
<iframe id="app" title="Rode Draad" src="/app/?saleorApiUrl=%(api)s&id=QXBwOjE%%3D"></iframe>
<script>
  window.addEventListener("message", function (event) {
    if (event.data && event.data.type === "notifyReady") {
      document.getElementById("app").contentWindow.postMessage(
        {type: "handshake", payload: {token: %(token)s, version: 1}}, "*");
    }
  });
</script></body></html>"""


def test_the_dashboard_handshake_opens_the_workspace_in_the_iframe(
    browser, live_server, make_installation, settings
):
    keys = KeyStore()
    installation = make_installation(api_url=API_URL, jwks=keys.jwks())
    initiative = make_initiative(installation=installation)
    make_maker(initiative, "Fatima")
    user, _ = make_coordinator(initiative, "coord")
    user.email = "coord@example.com"
    user.save(update_fields=["email"])
    settings.SALEOR_DASHBOARD_ORIGINS = [live_server.url]
    page = browser.new_context(locale="en-GB").new_page()
    # The stand-in Dashboard is served on the app's own origin (same site, as a subdomain deployment is).
    html = DASHBOARD % {"api": API_URL, "token": json.dumps(dashboard_token(keys))}
    page.route(
        f"{live_server.url}/__dashboard__", lambda route: route.fulfill(body=html, content_type="text/html")
    )

    page.goto(f"{live_server.url}/__dashboard__")
    frame = page.frame_locator("#app")

    frame.locator("h1", has_text="Makers").wait_for(timeout=10_000)
    assert frame.locator("table").inner_text().count("Fatima") == 1
    screenshot(page, "coordinator-in-dashboard")


def test_a_refused_token_is_explained_in_the_iframe(browser, live_server, make_installation, settings):
    keys = KeyStore()
    make_installation(api_url=API_URL, jwks=keys.jwks())
    settings.SALEOR_DASHBOARD_ORIGINS = [live_server.url]
    page = browser.new_context(locale="en-GB").new_page()
    html = DASHBOARD % {
        "api": API_URL,
        "token": json.dumps(dashboard_token(keys, email="nobody@example.com")),
    }
    page.route(
        f"{live_server.url}/__dashboard__", lambda route: route.fulfill(body=html, content_type="text/html")
    )

    page.goto(f"{live_server.url}/__dashboard__")
    status = page.frame_locator("#app").locator("#dashboard-status")

    status.filter(has_text="Saleor did not let you in").wait_for(timeout=10_000)
    assert "no coordinator of an initiative in this Saleor has this e-mail address" in status.inner_text()
