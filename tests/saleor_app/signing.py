"""Deliveries signed as Saleor signs them (the sandbox's key store), and forged variants of them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.hazmat.primitives import serialization

from shop_extensions.saleor_app.sandbox.keys import KeyStore, b64url

API_URL = "http://127.0.0.1:8765/graphql/"
JWKS_URL = "http://127.0.0.1:8765/.well-known/jwks.json"


def order_body(order_id: str = "T3JkZXI6MQ==", issued_at: str = "2026-11-29T10:00:00.000001+00:00") -> bytes:
    payload: dict[str, Any] = {
        "__typename": "OrderFullyPaid",
        "issuedAt": issued_at,
        "version": "3.23.28",
        "order": {"id": order_id, "number": "1", "total": {"gross": {"amount": 19.99, "currency": "EUR"}}},
    }
    return json.dumps(payload).encode()


def headers(signature: str, event: str = "order_fully_paid", api_url: str = API_URL) -> dict[str, str]:
    return {"Saleor-Event": event, "Saleor-Api-Url": api_url, "Saleor-Signature": signature}


def _header(alg: str, kid: str) -> str:
    return b64url(json.dumps({"alg": alg, "b64": False, "crit": ["b64"], "kid": kid, "typ": "JWT"}).encode())


def alg_none(kid: str) -> str:
    return f"{_header('none', kid)}.."


def hs256_with_public_key(keys: KeyStore, body: bytes) -> str:
    """The classic algorithm-confusion forgery: HMAC keyed with the RSA public key."""
    public_pem = keys.current.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _header("HS256", keys.kid)
    mac = hmac.new(public_pem, header.encode() + b"." + body, hashlib.sha256).digest()
    return f"{header}..{b64url(mac)}"


def with_kid(signature: str, kid: str) -> str:
    """Re-label a signature with another key id (the signature itself no longer matches that key)."""
    encoded_header, _, sig = signature.split(".")
    header = json.loads(base64.urlsafe_b64decode(encoded_header + "=" * (-len(encoded_header) % 4)))
    header["kid"] = kid
    return f"{b64url(json.dumps(header).encode())}..{sig}"
