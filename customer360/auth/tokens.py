"""Bearer tokens: the demo issuer that signs them and the verifier that trusts configured issuers.

Only asymmetric algorithms are accepted (never `none`, never HMAC, whose "key" would be the
public key), the algorithm must fit the key it names, and issuer, audience, expiry and not-before
are always checked (with `CLOCK_SKEW_SECONDS` of leeway). Verification is async: a real identity
provider's keys are fetched over HTTP (`customer360.auth.jwks`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from customer360.auth.actor_tokens import actor_principal
from customer360.auth.jwks import KeySource, KeyUnavailable, StaticKeys
from customer360.auth.keys import DEMO_ALGORITHM, SigningKey
from customer360.auth.principal import Principal, PrincipalKind, Role
from customer360.cache.memory import MemoryCache

ALLOWED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
# Which key type each allowed algorithm needs: a token cannot pick an algorithm its key was not made for.
KEY_TYPE_FOR = {alg: ("EC" if alg.startswith("ES") else "RSA") for alg in ALLOWED_ALGORITHMS}
DEFAULT_ROLES_CLAIM = "roles"
DEFAULT_AGENCY_CLAIM = "agency_id"
CLOCK_SKEW_SECONDS = 30
VERIFIED_TOKENS = 10_000  # tokens remembered per process (a few MB)
REVERIFY_SECONDS = 60.0
DEMO_AUDIENCE = "customer360"
DEMO_TOKEN_LIFETIME_SECONDS = 8 * 3600


class InvalidToken(Exception):
    """The bearer token cannot be trusted; the message is safe to show the client."""


@dataclass(frozen=True)
class TrustedIssuer:
    issuer: str
    audience: str
    kind: PrincipalKind
    keys: KeySource
    roles_claim: str = DEFAULT_ROLES_CLAIM  # staff only: where the roles are (a dotted path for nested claims)
    agency_claim: str = DEFAULT_AGENCY_CLAIM  # staff only: a partner agency's id, for the partner_agency role
    actor_tokens: bool = False  # the gateway's own token exchange: subject a resident, `act` who acts


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
        keys = StaticKeys(self._key.jwks())
        return [
            TrustedIssuer(self.resident_issuer, DEMO_AUDIENCE, PrincipalKind.RESIDENT, keys),
            TrustedIssuer(self.staff_issuer, DEMO_AUDIENCE, PrincipalKind.STAFF, keys),
        ]

    def resident_token(self, email: str) -> str:
        # Claims as GOV.UK One Login gives them: a pairwise `sub`, the email and whether it is verified.
        return self._sign(
            {"iss": self.resident_issuer, "sub": f"demo-{email.lower()}", "email": email, "email_verified": True}
        )

    def staff_token(self, name: str, roles: list[Role], agency_id: str | None = None) -> str:
        claims: dict[str, Any] = {"iss": self.staff_issuer, "sub": f"staff-{name}", "name": name, "roles": roles}
        if agency_id:
            claims[DEFAULT_AGENCY_CLAIM] = agency_id
        return self._sign(claims)

    def _sign(self, claims: dict[str, Any]) -> str:
        now = int(time.time())
        payload = {"aud": DEMO_AUDIENCE, "iat": now, "nbf": now, "exp": now + DEMO_TOKEN_LIFETIME_SECONDS, **claims}
        return jwt.encode(payload, self._key.private_key, algorithm=DEMO_ALGORITHM, headers={"kid": self._key.kid})


# The portal's own resident tokens: minted after an OpenID Connect sign-in, for its calls to the API.
PORTAL_ISSUER = "urn:customer360:portal"
PORTAL_KEY = "portal-issuer"  # keys/portal-issuer.pem in the data dir
PORTAL_TOKEN_LIFETIME_SECONDS = 8 * 3600  # the longest a portal session lasts, however active


class PortalIssuer:
    """Signs the portal's bearer tokens for residents the identity provider has signed in.

    The provider's own tokens do not serve as the API's bearer: GOV.UK One Login's ID token carries no
    email (the verified email comes from its userinfo endpoint) and lives minutes. So the portal, having
    verified the ID token (and the userinfo), signs a token of its own with the claims it verified; the
    API trusts this issuer only while portal sign-in is configured, and ties the resident to their golden
    record by that verified email as for any token. Its key is the data dir's `keys/portal-issuer.pem`.
    """

    def __init__(self, key: SigningKey) -> None:
        self._key = key

    def trusted(self) -> TrustedIssuer:
        return TrustedIssuer(PORTAL_ISSUER, DEMO_AUDIENCE, PrincipalKind.RESIDENT, StaticKeys(self._key.jwks()))

    def resident_token(self, subject: str, email: str | None, email_verified: bool) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": PORTAL_ISSUER,
            "aud": DEMO_AUDIENCE,
            "sub": subject,
            "email_verified": email_verified,
            "iat": now,
            "nbf": now,
            "exp": now + PORTAL_TOKEN_LIFETIME_SECONDS,
        }
        if email:
            claims["email"] = email
        return jwt.encode(claims, self._key.private_key, algorithm=DEMO_ALGORITHM, headers={"kid": self._key.kid})


# The staff dashboard's own tokens: minted after a staff OpenID Connect sign-in, for its calls to the API.
STAFF_DASHBOARD_ISSUER = "urn:customer360:staff-dashboard"
STAFF_DASHBOARD_KEY = "staff-dashboard-issuer"  # keys/staff-dashboard-issuer.pem in the data dir
STAFF_TOKEN_LIFETIME_SECONDS = 8 * 3600  # a working day; the dashboard keeps it in the tab only


class StaffDashboardIssuer:
    """Signs the staff dashboard's bearer tokens for staff the staff identity provider has signed in.

    An ID token says who signed in, to the dashboard (its audience is the dashboard's client id), and
    lives as long as the provider chooses (minutes, often): it is no access token for the API. So the
    dashboard, having verified the ID token as the API verifies any staff token (the roles read from
    the configured claim, unknown ones dropped), signs a token of its own carrying exactly that
    principal: subject, name, roles, agency. The API trusts this issuer only while staff sign-in is
    configured. Its key is the data dir's `keys/staff-dashboard-issuer.pem`.
    """

    def __init__(self, key: SigningKey) -> None:
        self._key = key

    def trusted(self) -> TrustedIssuer:
        return TrustedIssuer(STAFF_DASHBOARD_ISSUER, DEMO_AUDIENCE, PrincipalKind.STAFF, StaticKeys(self._key.jwks()))

    def staff_token(self, verified: Principal) -> str:
        if not verified.is_staff or verified.subject is None:
            raise ValueError("only a verified member of staff gets a dashboard token")
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": STAFF_DASHBOARD_ISSUER,
            "aud": DEMO_AUDIENCE,
            "sub": verified.subject,
            "roles": sorted(role.value for role in verified.roles),
            "iat": now,
            "nbf": now,
            "exp": now + STAFF_TOKEN_LIFETIME_SECONDS,
        }
        if verified.name:
            claims["name"] = verified.name
        if verified.agency_id:
            claims[DEFAULT_AGENCY_CLAIM] = verified.agency_id
        return jwt.encode(claims, self._key.private_key, algorithm=DEMO_ALGORITHM, headers={"kid": self._key.kid})


@dataclass(frozen=True, slots=True)
class _Verified:
    principal: Principal
    issuer: TrustedIssuer
    kid: str | None
    key: jwt.PyJWK  # the key object that checked the signature: the issuer's key set must still hold it


class TokenVerifier:
    """Checks a bearer token in full the first time it is seen, then remembers the principal for up to
    `REVERIFY_SECONDS` (never past the token's expiry): a portal page sends the same token on every
    request, and the signature check with its parsing is a sixth of a cached `me`. A remembered token
    is accepted only while its issuer's key set still holds the very key that checked it, so a key
    withdrawn from the JWKS is refused as soon as the set is refetched, exactly as without the memo."""

    def __init__(self, issuers: Sequence[TrustedIssuer], *, clock_skew_seconds: float = CLOCK_SKEW_SECONDS) -> None:
        self._issuers = {issuer.issuer: issuer for issuer in issuers}
        self._leeway = clock_skew_seconds
        self._verified = MemoryCache(max_entries=VERIFIED_TOKENS)  # sha256 of the token -> _Verified

    @property
    def issuers(self) -> list[str]:
        return list(self._issuers)

    async def verify(self, token: str) -> Principal:
        memo = hashlib.sha256(token.encode()).hexdigest()
        kept = (await self._verified.get_many([memo])).get(memo)
        if isinstance(kept, _Verified):
            try:
                if await kept.issuer.keys.key(kept.kid) is kept.key:
                    return kept.principal
            except KeyUnavailable as error:
                raise InvalidToken(str(error)) from None
        verified, expires_at = await self._verify(token)
        remaining = min(REVERIFY_SECONDS, expires_at + self._leeway - time.time())
        if remaining > 0:
            await self._verified.set_many({memo: verified}, remaining)
        return verified.principal

    async def _verify(self, token: str) -> tuple[_Verified, float]:
        """The principal, what checked it, and the token's expiry (epoch seconds), after every check."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise InvalidToken("the bearer token is not a well-formed JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise InvalidToken("the token's signing algorithm is not accepted")
        trusted = self._issuers.get(str(unverified.get("iss", "")))
        if trusted is None:
            raise InvalidToken("the token's issuer is not trusted")
        kid = header.get("kid")
        try:
            key = await trusted.keys.key(kid if isinstance(kid, str) else None)
        except KeyUnavailable as error:
            raise InvalidToken(str(error)) from None
        # The key type must suit the algorithm, and a JWK that names its `alg` is bound to it.
        if key.key_type != KEY_TYPE_FOR[algorithm] or _jwk_alg(key) not in (None, algorithm):
            raise InvalidToken("the token's algorithm does not fit its key")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=trusted.audience,
                issuer=trusted.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"], "verify_nbf": True},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("the token is not meant for this service") from None
        except jwt.PyJWTError:
            raise InvalidToken("the token's signature or claims are not valid") from None
        try:
            principal = _principal(trusted, claims)
        except ValueError:
            raise InvalidToken("the token's claims are not valid") from None
        verified = _Verified(principal, trusted, kid if isinstance(kid, str) else None, key)
        return verified, float(claims["exp"])


def _jwk_alg(key: jwt.PyJWK) -> str | None:
    alg = getattr(key, "_jwk_data", {}).get("alg")
    return str(alg) if alg else None


def _principal(trusted: TrustedIssuer, claims: dict[str, Any]) -> Principal:
    if trusted.actor_tokens:
        return actor_principal(claims)
    if trusted.kind is PrincipalKind.STAFF:
        known = {role.value for role in Role}
        roles = frozenset(Role(role) for role in _roles(claims, trusted.roles_claim) if role in known)
        agency = _text(claims.get(trusted.agency_claim)) if Role.PARTNER_AGENCY in roles else None
        return Principal(
            trusted.kind, subject=str(claims["sub"]), name=_text(claims.get("name")), roles=roles, agency_id=agency
        )
    # Residents: claims as GOV.UK One Login gives them. Only a boolean `true` counts as verified.
    return Principal(
        trusted.kind,
        subject=str(claims["sub"]),
        email=_text(claims.get("email")),
        email_verified=claims.get("email_verified") is True,
    )


def _roles(claims: dict[str, Any], path: str) -> list[str]:
    """The roles at a claim path (`roles`, or nested like `realm_access.roles`): a list or a space/comma string."""
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str):
        return [role for role in value.replace(",", " ").split() if role]
    if isinstance(value, list):
        return [role for role in value if isinstance(role, str)]
    return []


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
