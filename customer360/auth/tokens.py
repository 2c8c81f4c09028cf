"""Bearer tokens: the demo issuer that signs them and the verifier that trusts configured issuers.

Only asymmetric algorithms are accepted (never `none`, never HMAC, whose "key" would be the
public key), and issuer, audience, expiry and not-before are always checked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt

from customer360.auth.keys import DEMO_ALGORITHM, SigningKey
from customer360.auth.principal import Principal, PrincipalKind, Role

ALLOWED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
CLOCK_SKEW_SECONDS = 30
DEMO_AUDIENCE = "customer360"
DEMO_TOKEN_LIFETIME_SECONDS = 8 * 3600


class InvalidToken(Exception):
    """The bearer token cannot be trusted; the message is safe to show the client."""


@dataclass(frozen=True)
class TrustedIssuer:
    issuer: str
    audience: str
    kind: PrincipalKind
    keys: jwt.PyJWKSet


# The demo's resident and staff issuers are distinct, as real IdPs would be, and do not depend on the
# port the gateway listens on, so `customer360 token` and any `serve` on the same data dir agree.
DEMO_RESIDENT_ISSUER = "urn:customer360:demo:residents"
DEMO_STAFF_ISSUER = "urn:customer360:demo:staff"


class DemoIssuer:
    """Signs development tokens. Exists only in demo mode (`Settings.demo_issuer_enabled`)."""

    def __init__(self, key: SigningKey) -> None:
        self._key = key
        self.resident_issuer, self.staff_issuer = DEMO_RESIDENT_ISSUER, DEMO_STAFF_ISSUER

    def trusted(self) -> list[TrustedIssuer]:
        keys = jwt.PyJWKSet.from_dict(self._key.jwks())
        return [
            TrustedIssuer(self.resident_issuer, DEMO_AUDIENCE, PrincipalKind.RESIDENT, keys),
            TrustedIssuer(self.staff_issuer, DEMO_AUDIENCE, PrincipalKind.STAFF, keys),
        ]

    def resident_token(self, email: str) -> str:
        # Claims as GOV.UK One Login gives them: a pairwise `sub`, the email and whether it is verified.
        return self._sign(
            {"iss": self.resident_issuer, "sub": f"demo-{email.lower()}", "email": email, "email_verified": True}
        )

    def staff_token(self, name: str, roles: list[Role]) -> str:
        return self._sign({"iss": self.staff_issuer, "sub": f"staff-{name}", "name": name, "roles": roles})

    def _sign(self, claims: dict[str, Any]) -> str:
        now = int(time.time())
        payload = {"aud": DEMO_AUDIENCE, "iat": now, "nbf": now, "exp": now + DEMO_TOKEN_LIFETIME_SECONDS, **claims}
        return jwt.encode(payload, self._key.private_key, algorithm=DEMO_ALGORITHM, headers={"kid": self._key.kid})


class TokenVerifier:
    def __init__(self, issuers: list[TrustedIssuer]) -> None:
        self._issuers = {issuer.issuer: issuer for issuer in issuers}

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise InvalidToken("the bearer token is not a well-formed JWT") from None
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise InvalidToken("the token's signing algorithm is not accepted")
        trusted = self._issuers.get(unverified.get("iss", ""))
        if trusted is None:
            raise InvalidToken("the token's issuer is not trusted")
        try:
            key = trusted.keys[header.get("kid", "")]
        except KeyError:
            raise InvalidToken("the token was signed with an unknown key") from None
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALLOWED_ALGORITHMS,
                audience=trusted.audience,
                issuer=trusted.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.PyJWTError:
            raise InvalidToken("the token's signature or claims are not valid") from None
        return _principal(trusted.kind, claims)


def _principal(kind: PrincipalKind, claims: dict[str, Any]) -> Principal:
    if kind is PrincipalKind.STAFF:
        roles = frozenset(Role(role) for role in claims.get("roles", []) if role in Role.__members__.values())
        return Principal(kind, subject=claims["sub"], name=claims.get("name"), roles=roles)
    return Principal(
        kind,
        subject=claims["sub"],
        email=claims.get("email"),
        email_verified=claims.get("email_verified") is True,
    )
