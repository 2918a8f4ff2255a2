"""App installation as Saleor does it: fetch and check the manifest, create the app, POST its token."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

import httpx
from graphql import GraphQLError, InlineFragmentNode, OperationDefinitionNode, OperationType

from .graphql_api import parse_and_validate
from .state import App, AppWebhook, Store

SCHEMA_VERSION = "3.23"
USER_AGENT = f"Saleor/{SCHEMA_VERSION}"
FORBIDDEN_PERMISSIONS = {"MANAGE_APPS"}


class InstallError(Exception):
    """The install was refused: a manifest problem or the app's register endpoint said no."""


def upper_snake(name: str) -> str:
    """``OrderFullyPaid`` / ``orderFullyPaid`` → ``ORDER_FULLY_PAID``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def events_of_subscription(query: str) -> list[str]:
    """Async events a subscription document subscribes to (as Saleor derives them from the query)."""
    document, errors = parse_and_validate(query)
    if document is None:
        raise InstallError("Subscription query is not valid: " + "; ".join(e.message for e in errors))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation != OperationType.SUBSCRIPTION:
        raise InstallError("Webhook query must hold exactly one subscription operation.")
    events: list[str] = []
    for selection in operations[0].selection_set.selections:
        name = getattr(selection, "name", None)
        if name is None:
            continue
        if name.value == "event":
            for inner in getattr(selection, "selection_set", None).selections:  # type: ignore[union-attr]
                if isinstance(inner, InlineFragmentNode) and inner.type_condition is not None:
                    events.append(upper_snake(inner.type_condition.name.value))
        elif name.value != "__typename":
            events.append(upper_snake(name.value))
    if not events:
        raise InstallError("Can't find any event in the subscription query.")
    return events


def validate_manifest(manifest: Any) -> None:
    if not isinstance(manifest, dict):
        raise InstallError("Manifest must be a JSON object.")
    missing = [key for key in ("id", "name", "version", "tokenTargetUrl") if not manifest.get(key)]
    if missing:
        raise InstallError(f"Manifest is missing required fields: {', '.join(missing)}")
    permissions = manifest.get("permissions") or []
    if not isinstance(permissions, list):
        raise InstallError("Manifest permissions must be a list.")
    forbidden = sorted(FORBIDDEN_PERMISSIONS.intersection(permissions))
    if forbidden:
        raise InstallError(f"Given permissions are out of scope: {', '.join(forbidden)}")
    for webhook in manifest.get("webhooks") or []:
        if not isinstance(webhook, dict) or not webhook.get("targetUrl") or not webhook.get("query"):
            raise InstallError("Each webhook needs a targetUrl and a query.")
        events_of_subscription(webhook["query"])


def domain_of(api_url: str) -> str:
    return urlsplit(api_url).netloc


def _app_error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
        message = body["error"]["message"]
        if isinstance(message, str):
            return message
    except (ValueError, KeyError, TypeError):
        pass
    return f"App registration failed with HTTP {response.status_code}: {response.text[:200]}"


def install_app(store: Store, manifest_url: str, api_url: str, client: httpx.Client | None = None) -> App:
    """Install (or re-install, replacing the app with the same manifest ``id``) and return the app.

    The app and its token exist before the register POST, so the app can call ``{ app { id } }`` back.
    """
    http = client or httpx.Client(timeout=httpx.Timeout(18.0, connect=2.0))
    try:
        try:
            response = http.get(manifest_url)
        except httpx.HTTPError as exc:
            raise InstallError(f"Could not fetch the manifest at {manifest_url}: {exc}") from exc
        if not response.is_success:
            raise InstallError(f"Manifest at {manifest_url} answered HTTP {response.status_code}")
        try:
            manifest = response.json()
        except ValueError as exc:
            raise InstallError("Manifest is not valid JSON.") from exc
        try:
            validate_manifest(manifest)
        except GraphQLError as exc:
            raise InstallError(str(exc)) from exc
        app = _create_app(store, manifest)
        domain = domain_of(api_url)
        headers = {
            "Content-Type": "application/json",
            "Saleor-Domain": domain,
            "X-Saleor-Domain": domain,
            "Saleor-Api-Url": api_url,
            "Saleor-Schema-Version": SCHEMA_VERSION,
            "User-Agent": USER_AGENT,
        }
        try:
            register = http.post(manifest["tokenTargetUrl"], json={"auth_token": app.token}, headers=headers)
        except httpx.HTTPError as exc:
            _drop(store, app)
            raise InstallError(f"Could not reach the app's tokenTargetUrl: {exc}") from exc
        if not register.is_success:
            _drop(store, app)
            raise InstallError(_app_error_message(register))
        with store.lock:
            for other in list(store.apps.values()):
                if other.identifier == app.identifier and other.pk != app.pk:
                    del store.apps[other.pk]
        return app
    finally:
        if client is None:
            http.close()


def _create_app(store: Store, manifest: dict[str, Any]) -> App:
    with store.lock:
        webhooks = [
            AppWebhook(
                pk=store.next_pk("webhook"),
                name=str(hook.get("name") or f"webhook-{i}"),
                target_url=hook["targetUrl"],
                query=hook["query"],
                events=[
                    e.upper() for e in (hook.get("asyncEvents") or events_of_subscription(hook["query"]))
                ],
                is_active=bool(hook.get("isActive", True)),
                custom_headers=dict(hook.get("customHeaders") or {}),
            )
            for i, hook in enumerate(manifest.get("webhooks") or [])
        ]
        app = App(
            pk=store.next_pk("app"),
            identifier=str(manifest["id"]),
            name=str(manifest["name"]),
            version=str(manifest["version"]),
            token=secrets.token_urlsafe(23)[:30],
            permissions=list(manifest.get("permissions") or []),
            webhooks=webhooks,
            manifest=manifest,
        )
        store.apps[app.pk] = app
        return app


def _drop(store: Store, app: App) -> None:
    with store.lock:
        store.apps.pop(app.pk, None)


def uninstall_app(store: Store, app_id: str) -> bool:
    """Remove an app (by global id, pk or manifest id); its token stops working at once."""
    with store.lock:
        for app in list(store.apps.values()):
            if app_id in (app.id, str(app.pk), app.identifier):
                del store.apps[app.pk]
                return True
        return False


def revoke_token(store: Store, app_id: str) -> str | None:
    """Revoke the app's token (GraphQL calls with it get 401); return a fresh token, not sent anywhere."""
    with store.lock:
        for app in store.apps.values():
            if app_id in (app.id, str(app.pk), app.identifier):
                app.token = secrets.token_urlsafe(23)[:30]
                return app.token
        return None
