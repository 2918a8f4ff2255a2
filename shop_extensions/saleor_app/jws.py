"""Verify Saleor's webhook signatures: JWS RS256 over the raw body, detached and unencoded (RFC 7797)."""

from __future__ import annotations

import json
import threading
from base64 import urlsafe_b64decode
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm


class SignatureInvalid(Exception):
    """The request was not signed by the installation's Saleor; never retry, never store."""


class UnknownKey(SignatureInvalid):
    """The signature names a key id that is not in the JWKS we hold (maybe a rotated key)."""


_key_cache: dict[str, Any] = {}
_key_cache_lock = threading.Lock()


def _b64decode(segment: str) -> bytes:
    return urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def signature_header(signature: str) -> dict[str, Any]:
    parts = signature.split(".")
    if len(parts) != 3 or parts[1] != "":
        raise SignatureInvalid("signature is not a detached JWS (header..signature)")
    try:
        header = json.loads(_b64decode(parts[0]))
    except ValueError as exc:
        raise SignatureInvalid("signature header is not valid base64url JSON") from exc
    if not isinstance(header, dict):
        raise SignatureInvalid("signature header is not a JSON object")
    # Only RS256 is accepted: this refuses "none" and HS256-with-the-public-key before any key is used.
    if header.get("alg") != "RS256":
        raise SignatureInvalid(f"signature algorithm {header.get('alg')!r} is not RS256")
    if header.get("b64") is not False or "b64" not in (header.get("crit") or []):
        raise SignatureInvalid("signature must cover the unencoded payload (b64: false, crit: [b64])")
    if not isinstance(header.get("kid"), str) or not header["kid"]:
        raise SignatureInvalid("signature header has no key id")
    return header


def _public_key(jwk: dict[str, Any]) -> Any:
    cache_key = json.dumps(jwk, sort_keys=True)
    key = _key_cache.get(cache_key)
    if key is None:
        key = RSAAlgorithm.from_jwk(jwk)
        with _key_cache_lock:
            _key_cache[cache_key] = key
    return key


def key_for(jwks: dict[str, Any], kid: str) -> Any:
    for jwk in jwks.get("keys", []) if isinstance(jwks, dict) else []:
        if isinstance(jwk, dict) and jwk.get("kid") == kid and jwk.get("kty") == "RSA":
            return _public_key(jwk)
    raise UnknownKey(f"no key {kid!r} in the installation's JWKS")


def verify(signature: str, body: bytes, jwks: dict[str, Any]) -> dict[str, Any]:
    """Return the JWS header when ``signature`` signs ``body`` with a key from ``jwks``; raise otherwise."""
    header = signature_header(signature)
    key = key_for(jwks, header["kid"])
    try:
        jwt.api_jws.decode_complete(signature, key=key, algorithms=["RS256"], detached_payload=body)
    except jwt.InvalidTokenError as exc:
        raise SignatureInvalid(f"signature does not match the body: {exc}") from exc
    return header
