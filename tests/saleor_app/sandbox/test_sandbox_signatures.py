from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
import pytest

from shop_extensions.saleor_app.sandbox.keys import KeyStore, jwk_thumbprint

from ._shared import shared_path


def verify(signature: str, body: bytes, jwks: dict[str, Any]) -> dict[str, Any]:
    """The verifier the app uses (as in saleor/README.md)."""
    kid = jwt.get_unverified_header(signature)["kid"]
    key = jwt.PyJWKSet.from_dict(jwks)[kid].key
    return jwt.api_jws.decode_complete(signature, key=key, algorithms=["RS256"], detached_payload=body)


@pytest.fixture(scope="module")
def keys() -> KeyStore:
    return KeyStore()


def test_jwks_shape_and_kid_thumbprint(keys: KeyStore) -> None:
    (jwk,) = keys.jwks()["keys"]
    assert list(jwk) == ["kty", "key_ops", "n", "e", "use", "kid", "alg"]
    assert jwk["kty"] == "RSA"
    assert jwk["key_ops"] == ["verify"]
    assert jwk["use"] == "sig"
    assert jwk["alg"] == "RS256"
    assert jwk["e"] == "AQAB"
    assert jwk["kid"] == jwk_thumbprint(jwk["n"], jwk["e"])


def test_signature_verifies_and_tampered_body_does_not(keys: KeyStore) -> None:
    body = b'{"issuedAt": "2026-11-29T04:39:54.271123+00:00", "order": {"id": "T3JkZXI6MQ=="}}'
    signature = keys.sign(body)
    header_b64, payload, sig = signature.split(".")
    assert payload == ""
    assert header_b64
    assert sig
    decoded = verify(signature, body, keys.jwks())
    assert decoded["header"] == {"alg": "RS256", "b64": False, "crit": ["b64"], "kid": keys.kid, "typ": "JWT"}
    assert decoded["payload"] == body
    with pytest.raises(jwt.InvalidSignatureError):
        verify(signature, body.replace(b"MQ==", b"Mg=="), keys.jwks())


def test_rotation_changes_kid_and_old_signature_fails_against_new_jwks(keys: KeyStore) -> None:
    body = b"{}"
    old_sig, old_kid = keys.sign(body), keys.kid
    new_kid = keys.rotate()
    assert new_kid != old_kid
    assert keys.kid == new_kid
    verify(keys.sign(body), body, keys.jwks())
    with pytest.raises(KeyError):
        verify(old_sig, body, keys.jwks())  # Saleor publishes only the new key
    keys.rotate(keep_old=True)
    assert len(keys.jwks()["keys"]) == 2


def test_key_file_persists_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.pem"
    first = KeyStore(path)
    assert path.exists()
    assert (path.stat().st_mode & 0o777) == 0o600
    second = KeyStore(path)
    assert second.kid == first.kid
    verify(first.sign(b"x"), b"x", second.jwks())


def test_recorded_saleor_deliveries_verify_with_the_same_verifier() -> None:
    jwks = json.loads(shared_path("recorded", "jwks.json").read_text())
    (jwk,) = jwks["keys"]
    assert jwk["kid"] == jwk_thumbprint(jwk["n"], jwk["e"])
    header_files = sorted(shared_path("recorded", "deliveries").glob("*.headers.json"))
    assert len(header_files) >= 79
    for headers_file in header_files:
        headers = json.loads(headers_file.read_text())["headers"]
        body = headers_file.with_name(headers_file.name.replace(".headers.json", ".body")).read_bytes()
        verify(headers["Saleor-Signature"], body, jwks)
        with pytest.raises(jwt.InvalidSignatureError):
            verify(headers["Saleor-Signature"], body + b" ", jwks)
