"""Opening the workspace from the Saleor Dashboard: the user JWT from the AppBridge handshake is trusted only
after it verifies against the installation's JWKS (the sandbox's own signing key) and names a coordinator
with the permissions the workspace needs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

import jwt
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shop_extensions.coordinator.views.common import SESSION_INITIATIVE
from shop_extensions.core.models import AuditEvent
from shop_extensions.saleor_app.models import Installation
from shop_extensions.saleor_app.sandbox.keys import KeyStore
from shop_extensions.saleor_app.sandbox.server import running_sandbox
from shop_extensions.saleor_app.sandbox.service import Sandbox

from ..makers.factories import make_coordinator, make_initiative
from ..shared import schema_path

pytestmark = pytest.mark.django_db

API_URL = "https://shop.example.com/graphql/"
APP_ID = "QXBwOjE="  # the app id make_installation stores


def dashboard_token(
    keys: KeyStore,
    *,
    email: str = "coord@example.com",
    permissions: tuple[str, ...] = ("MANAGE_ORDERS", "MANAGE_PRODUCTS"),
    issuer: str = API_URL,
    app: str = APP_ID,
    expires_in: int = 300,
    kid: str | None = None,
    signer: KeyStore | None = None,
) -> str:
    """A token shaped like Saleor's app-user token (core/jwt.py create_access_token_for_app)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iat": now,
        "exp": now + expires_in,
        "iss": issuer,
        "owner": "saleor",
        "type": "thirdparty",
        "token": "user-token-key",
        "email": email,
        "user_id": "VXNlcjox",
        "is_staff": True,
        "app": app,
        "permissions": ["MANAGE_ORDERS", "MANAGE_PRODUCTS"],
        "user_permissions": list(permissions),
    }
    key = (signer or keys).current.pem()
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid or keys.kid})


@pytest.fixture
def keys() -> KeyStore:
    return KeyStore()


@pytest.fixture
def setup(keys, make_installation):
    installation = make_installation(api_url=API_URL, jwks=keys.jwks())
    initiative = make_initiative(installation=installation)
    user, _ = make_coordinator(initiative, "coord")
    user.email = "Coord@Example.com"
    user.save(update_fields=["email"])
    return installation, initiative, user


def post(client: Client, token: str, api_url: str = API_URL):
    return client.post(
        reverse("coordinator:dashboard-session"),
        data=json.dumps({"token": token, "saleorApiUrl": api_url}),
        content_type="application/json",
    )


def test_a_valid_token_of_a_coordinator_starts_a_session(setup, keys):
    installation, initiative, user = setup
    client = Client()

    response = post(client, dashboard_token(keys))

    assert response.status_code == 200
    assert response.json() == {"redirect": reverse("coordinator:home")}
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session[SESSION_INITIATIVE] == initiative.pk
    assert client.get(reverse("coordinator:makers")).status_code == 200
    event = AuditEvent.objects.get(action="coordinator.dashboard_login")
    assert (event.actor, event.subject_id) == (f"user:{user.pk}", str(installation.pk))


def test_the_api_url_may_come_from_the_issuer_alone(setup, keys):
    client = Client()

    response = post(client, dashboard_token(keys), api_url="")

    assert response.status_code == 200


def assert_refused(client: Client, response, status: int) -> None:
    assert response.status_code == status
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="coordinator.dashboard_login").exists()


def test_a_token_signed_with_another_key_is_refused(setup, keys):
    client = Client()
    forged = dashboard_token(keys, signer=KeyStore())  # the sandbox's kid, somebody else's key

    assert_refused(client, post(client, forged), 401)


def test_an_expired_token_is_refused(setup, keys):
    client = Client()

    assert_refused(client, post(client, dashboard_token(keys, expires_in=-120)), 401)


def test_a_token_of_another_saleor_is_refused(setup, keys):
    client = Client()
    other = dashboard_token(keys, issuer="https://other-shop.example.com/graphql/")

    assert_refused(client, post(client, other), 401)
    assert_refused(
        client, post(client, dashboard_token(keys), api_url="https://other-shop.example.com/graphql/"), 401
    )


def test_a_token_for_an_inactive_installation_is_refused(setup, keys):
    Installation.objects.update(is_active=False)
    client = Client()

    assert_refused(client, post(client, dashboard_token(keys)), 401)


def test_a_token_issued_for_another_app_is_refused(setup, keys):
    client = Client()

    assert_refused(client, post(client, dashboard_token(keys, app="QXBwOjk5")), 401)


def test_a_user_without_the_permissions_is_refused(setup, keys):
    client = Client()
    token = dashboard_token(keys, permissions=("MANAGE_ORDERS",))

    response = post(client, token)

    assert_refused(client, response, 403)
    assert "MANAGE_PRODUCTS" in response.json()["error"]["message"]


def test_an_email_that_is_no_coordinator_of_this_saleor_is_refused(setup, keys, make_installation):
    elsewhere = make_initiative(
        "Elders", installation=make_installation(api_url="https://b.example.com/graphql/", jwks={})
    )
    other, _ = make_coordinator(elsewhere, "other")
    other.email = "other@example.com"
    other.save(update_fields=["email"])
    client = Client()

    assert_refused(client, post(client, dashboard_token(keys, email="nobody@example.com")), 403)
    assert_refused(client, post(client, dashboard_token(keys, email="other@example.com")), 403)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("algorithm", ["HS256", "none"])
def test_tokens_not_signed_with_rs256_are_refused(setup, keys, algorithm):
    """The classic confusions: "none", and HS256 keyed with the public key (built by hand: PyJWT refuses)."""
    claims = jwt.decode(dashboard_token(keys), options={"verify_signature": False})
    signing_input = (
        _b64(json.dumps({"alg": algorithm, "typ": "JWT", "kid": keys.kid}).encode())
        + "."
        + _b64(json.dumps(claims).encode())
    )
    public_pem = json.dumps(keys.jwks()["keys"][0]).encode()
    signature = (
        hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest() if algorithm == "HS256" else b""
    )
    client = Client()

    assert_refused(client, post(client, f"{signing_input}.{_b64(signature)}"), 401)


def test_garbage_is_refused(setup):
    client = Client()

    assert_refused(client, post(client, "not-a-jwt"), 401)
    response = client.post(
        reverse("coordinator:dashboard-session"), data="[]", content_type="application/json"
    )
    assert response.status_code == 400


def test_a_rotated_key_is_fetched_from_saleors_jwks(monkeypatch, make_installation):
    monkeypatch.setenv("SALEOR_SCHEMA_PATH", str(schema_path()))
    sandbox = Sandbox(retry_delays=(0,))
    with running_sandbox(sandbox):
        installation = make_installation(api_url=sandbox.api_url, jwks=sandbox.keys.jwks())
        Installation.objects.filter(pk=installation.pk).update(
            jwks_fetched_at=timezone.now() - timedelta(hours=1)
        )
        initiative = make_initiative(installation=installation)
        user, _ = make_coordinator(initiative, "coord")
        user.email = "coord@example.com"
        user.save(update_fields=["email"])
        sandbox.keys.rotate()
        client = Client()

        response = post(
            client, dashboard_token(sandbox.keys, issuer=sandbox.api_url), api_url=sandbox.api_url
        )

    assert response.status_code == 200
    installation.refresh_from_db()
    assert installation.jwks == sandbox.keys.jwks()
