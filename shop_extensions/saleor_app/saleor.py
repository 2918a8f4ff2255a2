"""Talking to a Saleor instance: the typed GraphQL client and the JWKS. Errors come out as our own types."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from shop_extensions.saleor_app.client import SaleorClient
from shop_extensions.saleor_app.client.base_client import HttpClient
from shop_extensions.saleor_app.client.exceptions import (
    GraphQLClientGraphQLMultiError,
    GraphQLClientHttpError,
    GraphQLClientInvalidResponseError,
)

USER_AGENT = "RodeDraad/0.1 (+saleor-app)"
# Error codes Saleor uses when it does not accept a token (saleor/core/jwt.py, graphql/api.py).
TOKEN_ERROR_CODES = {"InvalidTokenError", "ExpiredSignatureError", "DecodeError", "JSONWebTokenError"}


class SaleorUnreachable(Exception):
    """Network trouble or a 5xx: worth retrying later."""


class TokenRefused(Exception):
    """Saleor does not accept the app token (uninstalled, or token revoked)."""


class SaleorError(Exception):
    """Saleor answered, but not with what we asked for."""


def _http(token: str | None = None) -> httpx.Client:
    headers = {"User-Agent": USER_AGENT}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(timeout=settings.SALEOR_HTTP_TIMEOUT_SECONDS, headers=headers, follow_redirects=False)


def client(api_url: str, token: str) -> SaleorClient:
    # httpx.Client is what the generated client's HttpClient protocol describes, with a wider signature.
    return SaleorClient(url=api_url, http_client=cast(HttpClient, _http(token)))


def _error_codes(exc: GraphQLClientGraphQLMultiError) -> set[str]:
    codes = set()
    for error in exc.errors:
        exception = (error.extensions or {}).get("exception")
        if isinstance(exception, dict) and isinstance(exception.get("code"), str):
            codes.add(exception["code"])
    return codes


def translate_errors(exc: Exception) -> Exception:
    """Map the generated client's and httpx's exceptions to ours."""
    if isinstance(exc, httpx.TransportError):
        return SaleorUnreachable(f"Saleor could not be reached: {exc.__class__.__name__}: {exc}")
    if isinstance(exc, GraphQLClientHttpError):
        if exc.status_code in (401, 403):
            return TokenRefused(f"Saleor refused the app token (HTTP {exc.status_code})")
        if exc.status_code >= 500:
            return SaleorUnreachable(f"Saleor answered HTTP {exc.status_code}")
        return SaleorError(f"Saleor answered HTTP {exc.status_code}")
    if isinstance(exc, GraphQLClientGraphQLMultiError):
        if _error_codes(exc) & (TOKEN_ERROR_CODES | {"PermissionDenied"}):
            return TokenRefused(f"Saleor refused the app token: {exc}")
        return SaleorError(f"Saleor answered with errors: {exc}")
    if isinstance(exc, GraphQLClientInvalidResponseError):
        return SaleorError("Saleor's answer was not a GraphQL response")
    return exc


def app_id(api_url: str, token: str) -> str:
    """Prove a token: ``{ app { id } }`` answers the app's own id only for a valid app token."""
    try:
        with client(api_url, token) as saleor:
            result = saleor.app_id()
    except Exception as exc:
        raise translate_errors(exc) from exc
    if result.app is None:
        raise TokenRefused("Saleor did not recognise the token as an app token")
    return result.app.id


def jwks_url(api_url: str) -> str:
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}/.well-known/jwks.json"


def fetch_jwks(api_url: str) -> dict[str, Any]:
    try:
        with _http() as http:
            response = http.get(jwks_url(api_url))
    except httpx.TransportError as exc:
        raise SaleorUnreachable(f"the JWKS at {jwks_url(api_url)} could not be fetched: {exc}") from exc
    if response.status_code != 200:
        raise SaleorUnreachable(f"the JWKS at {jwks_url(api_url)} answered HTTP {response.status_code}")
    try:
        jwks = response.json()
    except ValueError as exc:
        raise SaleorError(f"the JWKS at {jwks_url(api_url)} is not JSON") from exc
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        raise SaleorError(f"the JWKS at {jwks_url(api_url)} holds no keys")
    return jwks
