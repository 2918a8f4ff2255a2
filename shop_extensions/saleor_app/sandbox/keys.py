"""The sandbox's RSA signing keys, JWKS and Saleor's detached JWS (RFC 7797) webhook signatures."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def jwk_thumbprint(n: str, e: str) -> str:
    """RFC 7638 thumbprint of an RSA JWK (base64url of the SHA-256 of the canonical members)."""
    canonical = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


@dataclass(frozen=True)
class SigningKey:
    private_key: rsa.RSAPrivateKey

    @property
    def public_jwk(self) -> dict[str, Any]:
        numbers = self.private_key.public_key().public_numbers()
        n, e = _int_b64(numbers.n), _int_b64(numbers.e)
        return {
            "kty": "RSA",
            "key_ops": ["verify"],
            "n": n,
            "e": e,
            "use": "sig",
            "kid": jwk_thumbprint(n, e),
            "alg": "RS256",
        }

    @property
    def kid(self) -> str:
        return str(self.public_jwk["kid"])

    def pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def _generate() -> SigningKey:
    return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def _load(path: Path) -> SigningKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return SigningKey(key)


class KeyStore:
    """Holds the current signing key (and, after ``rotate(keep_old=True)``, older public keys).

    With ``path`` the current key is read from / written to that PEM file, so restarts keep the key.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._lock = threading.Lock()
        self._path = Path(path) if path is not None else None
        if self._path is not None and self._path.exists():
            current = _load(self._path)
        else:
            current = _generate()
            self._persist(current)
        self._keys: list[SigningKey] = [current]

    def _persist(self, key: SigningKey) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.pem())

    @property
    def current(self) -> SigningKey:
        with self._lock:
            return self._keys[0]

    @property
    def kid(self) -> str:
        return self.current.kid

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public key set served at ``/.well-known/jwks.json`` (current key first)."""
        with self._lock:
            return {"keys": [key.public_jwk for key in self._keys]}

    def rotate(self, *, keep_old: bool = False) -> str:
        """Make a fresh key the signing key; return its kid. Saleor publishes only the new key."""
        new = _generate()
        with self._lock:
            self._keys = [new, *self._keys] if keep_old else [new]
            self._persist(new)
        return new.kid

    def sign(self, body: bytes) -> str:
        """Saleor's webhook signature: ``b64url(header)..b64url(RS256(b64url(header) + "." + body))``."""
        key = self.current
        header = {"alg": "RS256", "b64": False, "crit": ["b64"], "kid": key.kid, "typ": "JWT"}
        encoded_header = b64url(json.dumps(header, separators=(",", ":")).encode())
        signing_input = encoded_header.encode("ascii") + b"." + body
        signature = key.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{encoded_header}..{b64url(signature)}"
