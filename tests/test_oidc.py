"""Real identity providers: tokens from a local OIDC-shaped issuer served over loopback HTTP.

`LocalIssuer` publishes a discovery document and a JWKS (`/{name}/.well-known/openid-configuration`,
`/{name}/jwks.json`) and signs tokens; it can rotate its keys. Other security tests reuse it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from customer360.auth.jwks import JwksClient
from customer360.auth.principal import PrincipalKind, Role
from customer360.auth.tokens import InvalidToken, TokenVerifier, TrustedIssuer
from customer360.demo.backoffice_server import serve_on_loopback
from customer360.settings import Settings
from tests.support import graphql, running_app

AUDIENCE = "customer360-portal"


class LocalIssuer:
    """One OIDC issuer's keys and tokens; `serve_issuers` puts it on a loopback URL."""

    def __init__(self, name: str, *, algorithm: str = "RS256") -> None:
        self.name = name
        self.algorithm = algorithm
        self.keys: list[tuple[str, Any]] = [self._new_key()]
        self.jwks_requests = 0
        self.url = ""  # the issuer identifier, set by `serve_issuers`

    def _new_key(self) -> tuple[str, Any]:
        if self.algorithm.startswith("ES"):
            return uuid.uuid4().hex[:16], ec.generate_private_key(ec.SECP256R1())
        return uuid.uuid4().hex[:16], rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def rotate(self, *, keep_old: bool) -> None:
        """A new signing key appears; the old ones stay published only with `keep_old`."""
        self.keys = [self._new_key(), *(self.keys if keep_old else [])]

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys:
            algorithm = ECAlgorithm if self.algorithm.startswith("ES") else RSAAlgorithm
            public = json.loads(algorithm.to_jwk(key.public_key()))
            public.update({"kid": kid, "use": "sig", "alg": self.algorithm})
            keys.append(public)
        return {"keys": keys}

    def public_pem(self) -> bytes:
        return (
            self.keys[0][1]
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )

    def token(
        self, *, audience: str = AUDIENCE, key_index: int = 0, headers: dict[str, Any] | None = None, **claims: Any
    ) -> str:
        kid, key = self.keys[key_index]
        now = int(time.time())
        payload = {
            "iss": self.url,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "sub": "urn:fdc:x",
            **claims,
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key, algorithm=self.algorithm, headers={"kid": kid, **(headers or {})})

    def resident_token(self, email: str, *, verified: bool = True, **claims: Any) -> str:
        # GOV.UK One Login's claims: a pairwise subject, the email, and whether it is verified.
        return self.token(sub=f"urn:fdc:gov.uk:2022:{uuid.uuid4().hex}", email=email, email_verified=verified, **claims)


@asynccontextmanager
async def serve_issuers(*issuers: LocalIssuer) -> AsyncIterator[str]:
    by_name = {issuer.name: issuer for issuer in issuers}

    async def discovery(request: Request) -> JSONResponse:
        issuer = by_name[request.path_params["name"]]
        return JSONResponse(
            {
                "issuer": issuer.url,
                "jwks_uri": f"{issuer.url}/jwks.json",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def jwks(request: Request) -> JSONResponse:
        issuer = by_name[request.path_params["name"]]
        issuer.jwks_requests += 1
        return JSONResponse(issuer.jwks())

    app = Starlette(
        routes=[
            Route("/{name}/.well-known/openid-configuration", discovery),
            Route("/{name}/jwks.json", jwks),
        ]
    )
    async with serve_on_loopback(app) as base_url:
        for issuer in issuers:
            issuer.url = f"{base_url}/{issuer.name}"
        yield base_url


def oidc_settings(settings: Settings, residents: LocalIssuer, staff: LocalIssuer, **changes: Any) -> Settings:
    return replace(
        settings,
        oidc_issuer=residents.url,
        oidc_audience=AUDIENCE,
        staff_oidc_issuer=staff.url,
        staff_oidc_audience=AUDIENCE,
        staff_oidc_jwks_url=f"{staff.url}/jwks.json",
        **changes,
    )


@asynccontextmanager
async def verifier_for(issuer: LocalIssuer, **jwks_options: Any) -> AsyncIterator[tuple[TokenVerifier, JwksClient]]:
    async with httpx.AsyncClient(timeout=5) as http:
        keys = JwksClient(http, issuer=issuer.url, **jwks_options)
        yield TokenVerifier([TrustedIssuer(issuer.url, AUDIENCE, PrincipalKind.RESIDENT, keys)]), keys


async def test_a_resident_token_is_verified_with_keys_found_through_discovery():
    issuer = LocalIssuer("residents")
    async with serve_issuers(issuer), verifier_for(issuer) as (verifier, _keys):
        principal = await verifier.verify(issuer.resident_token("ada@example.org"))
    assert principal.kind is PrincipalKind.RESIDENT
    assert principal.email == "ada@example.org" and principal.email_verified
    assert principal.subject and principal.subject.startswith("urn:fdc:gov.uk:2022:")


async def test_only_a_boolean_true_counts_as_a_verified_email():
    issuer = LocalIssuer("residents")
    async with serve_issuers(issuer), verifier_for(issuer) as (verifier, _keys):
        assert not (await verifier.verify(issuer.resident_token("a@example.org", verified=False))).email_verified
        assert not (await verifier.verify(issuer.token(email="a@example.org", email_verified="true"))).email_verified
        assert not (await verifier.verify(issuer.token(email="a@example.org"))).email_verified


async def test_an_elliptic_curve_issuer_is_accepted():
    issuer = LocalIssuer("residents", algorithm="ES256")
    async with serve_issuers(issuer), verifier_for(issuer) as (verifier, _keys):
        assert (await verifier.verify(issuer.resident_token("ec@example.org"))).email == "ec@example.org"


async def test_key_rotation_new_key_is_fetched_and_a_removed_key_is_refused():
    issuer = LocalIssuer("residents")
    async with serve_issuers(issuer), verifier_for(issuer, min_refetch_seconds=0) as (verifier, keys):
        old_token = issuer.resident_token("rotate@example.org")
        await verifier.verify(old_token)
        assert keys.fetches == 1

        issuer.rotate(keep_old=True)  # the new key is published beside the old one
        await verifier.verify(issuer.resident_token("rotate@example.org"))  # unknown kid: refetched
        assert keys.fetches == 2
        await verifier.verify(old_token)  # still published: still good
        assert keys.fetches == 2

        issuer.rotate(keep_old=False)  # a third key; the first two are withdrawn
        await verifier.verify(issuer.resident_token("rotate@example.org"))
        assert keys.fetches == 3
        with pytest.raises(InvalidToken, match="unknown key"):
            await verifier.verify(old_token)


async def test_refetching_for_unknown_keys_is_rate_limited():
    issuer = LocalIssuer("residents")
    async with serve_issuers(issuer), verifier_for(issuer, min_refetch_seconds=60) as (verifier, keys):
        await verifier.verify(issuer.resident_token("a@example.org"))
        for _ in range(20):
            with pytest.raises(InvalidToken):
                await verifier.verify(issuer.resident_token("a@example.org", headers={"kid": uuid.uuid4().hex}))
        assert issuer.jwks_requests == 1 and keys.fetches == 1


async def test_the_key_set_is_refetched_when_its_cache_expires():
    issuer = LocalIssuer("residents")
    now = [1000.0]
    async with serve_issuers(issuer), verifier_for(issuer, cache_seconds=300, clock=lambda: now[0]) as (verifier, keys):
        token = issuer.resident_token("a@example.org")
        await verifier.verify(token)
        now[0] += 301
        issuer.rotate(keep_old=False)  # withdrawn: once the cache expires the old key is gone
        with pytest.raises(InvalidToken):
            await verifier.verify(token)
        assert keys.fetches == 2


def _unsigned(claims: dict[str, Any]) -> str:
    def b64(data: dict[str, Any]) -> str:
        return jwt.utils.base64url_encode(json.dumps(data).encode()).decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def _hs256_with_public_key(issuer: LocalIssuer) -> str:
    """The classic confusion attack: HMAC "signed" with the issuer's public key as the secret."""
    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.keys[0][0]}
    now = int(time.time())
    claims = {"iss": issuer.url, "aud": AUDIENCE, "sub": "x", "iat": now, "exp": now + 600}
    segments = [jwt.utils.base64url_encode(json.dumps(part).encode()) for part in (header, claims)]
    signing_input = b".".join(segments)
    signature = hmac.new(issuer.public_pem(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + jwt.utils.base64url_encode(signature)).decode()


BAD_TOKENS = {
    "wrong audience": lambda i: i.resident_token("a@example.org", audience="someone-else"),
    "expired": lambda i: i.resident_token("a@example.org", iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
    "not valid yet": lambda i: i.resident_token("a@example.org", nbf=int(time.time()) + 3600),
    "alg none": lambda i: _unsigned({"iss": i.url, "aud": AUDIENCE, "sub": "x", "exp": int(time.time()) + 600}),
    "HS256 with the public key": _hs256_with_public_key,
    "another issuer": lambda i: i.resident_token("a@example.org", iss="https://evil.example"),
    "no expiry": lambda i: i.resident_token("a@example.org", exp=None),
    "tampered": lambda i: i.resident_token("a@example.org")[:-4] + "AAAA",
    "not a JWT": lambda i: "not-a-token",
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_bad_tokens_are_refused(case):
    issuer = LocalIssuer("residents")
    async with serve_issuers(issuer), verifier_for(issuer) as (verifier, _keys):
        with pytest.raises(InvalidToken):
            await verifier.verify(BAD_TOKENS[case](issuer))


async def test_a_small_clock_skew_is_tolerated():
    issuer = LocalIssuer("residents")
    async with serve_issuers(issuer), verifier_for(issuer) as (verifier, _keys):
        await verifier.verify(issuer.resident_token("a@example.org", nbf=int(time.time()) + 10))


async def test_a_symmetric_key_in_the_jwks_is_never_used():
    issuer = LocalIssuer("residents")
    secret_jwk = {"kty": "oct", "kid": "shared", "k": jwt.utils.base64url_encode(b"s" * 32).decode()}
    original = issuer.jwks
    issuer.jwks = lambda: {"keys": [*original()["keys"], secret_jwk]}  # type: ignore[method-assign]
    async with serve_issuers(issuer), verifier_for(issuer) as (verifier, _keys):
        now = int(time.time())
        claims = {"iss": issuer.url, "aud": AUDIENCE, "sub": "x", "iat": now, "exp": now + 600}
        forged = jwt.encode(claims, b"s" * 32, algorithm="HS256", headers={"kid": "shared"})
        with pytest.raises(InvalidToken):
            await verifier.verify(forged)


async def test_staff_roles_come_from_the_configured_claim():
    issuer = LocalIssuer("staff")
    async with serve_issuers(issuer), httpx.AsyncClient() as http:
        keys = JwksClient(http, issuer=issuer.url)
        verifier = TokenVerifier(
            [TrustedIssuer(issuer.url, AUDIENCE, PrincipalKind.STAFF, keys, roles_claim="realm_access.roles")]
        )
        principal = await verifier.verify(
            issuer.token(name="Sam Jones", realm_access={"roles": ["revenues", "benefits", "superuser"]})
        )
    assert principal.is_staff and principal.roles == {Role.REVENUES, Role.BENEFITS}


ME = "{ me { id name } }"


async def test_the_gateway_trusts_configured_issuers_and_ties_only_verified_emails(demo_settings, residents):
    resident_idp, staff_idp = LocalIssuer("residents"), LocalIssuer("staff")
    email = residents[0]["email"]
    async with serve_issuers(resident_idp, staff_idp):
        settings = oidc_settings(demo_settings, resident_idp, staff_idp)
        assert not settings.demo_issuer_enabled
        async with running_app(settings) as (_app, client):
            verified = (await graphql(client, ME, resident_idp.resident_token(email))).json()
            assert verified["data"]["me"]["id"] == residents[0]["customer_id"]

            unverified = (await graphql(client, ME, resident_idp.resident_token(email, verified=False))).json()
            assert unverified == {"data": {"me": None}}

            staff = staff_idp.token(name="Sam Jones", roles=["customer_services"])
            search = '{ searchCustomers(query: "", first: 1) { edges { node { id } } } }'
            found = (await graphql(client, search, staff)).json()
            assert len(found["data"]["searchCustomers"]["edges"]) == 1

            # A resident token presented as staff (or the other way round) is its issuer's kind only.
            as_staff = (await graphql(client, search, resident_idp.resident_token(email))).json()
            assert as_staff.get("data") is None or not as_staff["data"]["searchCustomers"]["edges"]

            for case, make in BAD_TOKENS.items():
                response = await graphql(client, ME, make(resident_idp))
                assert response.status_code == 401, case
                assert response.headers["www-authenticate"].startswith("Bearer")
                assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_demo_issuer_is_off_once_a_real_one_is_configured(demo_settings, issuer, residents):
    resident_idp, staff_idp = LocalIssuer("residents"), LocalIssuer("staff")
    async with (
        serve_issuers(resident_idp, staff_idp),
        running_app(oidc_settings(demo_settings, resident_idp, staff_idp)) as (_app, client),
    ):
        demo_token = issuer.resident_token(residents[0]["email"])
        assert (await graphql(client, ME, demo_token)).status_code == 401
        assert (await client.get("/.well-known/jwks.json")).status_code == 404
