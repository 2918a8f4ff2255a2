"""Content-Security-Policy on HTML responses; a view's own directives win over the site-wide ones."""

from __future__ import annotations

import pytest

from shop_extensions.core.csp import parse, policy_for

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def test_html_pages_get_the_full_policy(client):
    response = client.get("/portal/login/")

    assert response["Content-Security-Policy"] == POLICY
    assert response["X-Frame-Options"] == "DENY"


def test_json_responses_get_no_policy(client):
    response = client.get("/api/manifest")

    assert "Content-Security-Policy" not in response


def test_a_views_own_directive_wins_and_the_rest_is_filled_in():
    merged = parse(policy_for("frame-ancestors 'self' https://dashboard.example"))

    assert merged["frame-ancestors"] == "'self' https://dashboard.example"
    assert merged["script-src"] == "'self'"
    assert merged["base-uri"] == "'none'"
