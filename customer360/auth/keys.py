"""The signing keys of our own token issuers (the demo's, the portal's), kept in the data dir, and their JWKS."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from jwt.utils import base64url_encode

from customer360.keyfiles import kept_secret

DEMO_ALGORITHM = "RS256"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        public.update({"kid": self.kid, "use": "sig", "alg": DEMO_ALGORITHM})
        return {"keys": [public]}


def load_or_create_signing_key(data_dir: Path, name: str = "demo-issuer") -> SigningKey:
    """One RSA key per data dir and name (`demo-issuer`, `portal-issuer`, `staff-dashboard-issuer`,
    `actor-issuer`), created on first use (`keyfiles`: owner-only, once, atomically). Replicas share the
    data dir, so a token one signs the others accept."""
    path = data_dir / "keys" / f"{name}.pem"
    key = _signing_key(kept_secret(path, _new_pem))
    if key is None:
        raise ValueError(f"{path} does not hold an RSA private key")
    return key


@functools.lru_cache(maxsize=64)
def _signing_key(pem: bytes) -> SigningKey | None:
    """Parsed once per process for each key's bytes (an RSA key's checks take some 50 ms, and each app
    loads two: the tests start one per test). A file that changes is other bytes, so parsed afresh."""
    key = serialization.load_pem_private_key(pem, password=None)
    return SigningKey(kid=_thumbprint(key), private_key=key) if isinstance(key, rsa.RSAPrivateKey) else None


def _new_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _thumbprint(key: rsa.RSAPrivateKey) -> str:
    """RFC 7638 JWK thumbprint: a kid that changes exactly when the key does."""
    numbers = key.public_key().public_numbers()

    def b64(number: int) -> str:
        return base64url_encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).decode()

    canonical = json.dumps({"e": b64(numbers.e), "kty": "RSA", "n": b64(numbers.n)}, separators=(",", ":"))
    return base64url_encode(hashlib.sha256(canonical.encode()).digest()).decode()
