"""The real identity providers named in settings: residents (GOV.UK One Login-shaped) and staff.

Each configured issuer becomes a `TrustedIssuer` whose keys come from a `JwksClient` (its JWKS URL,
or the one its discovery document names). An issuer without an audience is refused at start-up:
a token minted for another service must never be accepted here.
"""

from __future__ import annotations

import httpx

from customer360.auth.jwks import JwksClient
from customer360.auth.principal import PrincipalKind
from customer360.auth.tokens import TrustedIssuer
from customer360.settings import Settings, SettingsError


def configured_issuers(settings: Settings, http: httpx.AsyncClient) -> list[TrustedIssuer]:
    issuers: list[TrustedIssuer] = []
    for kind, issuer, audience, jwks_url, prefix in (
        (PrincipalKind.RESIDENT, settings.oidc_issuer, settings.oidc_audience, settings.oidc_jwks_url, "C360_OIDC"),
        (
            PrincipalKind.STAFF,
            settings.staff_oidc_issuer,
            settings.staff_oidc_audience,
            settings.staff_oidc_jwks_url,
            "C360_STAFF_OIDC",
        ),
    ):
        if not issuer:
            continue
        if not audience:
            raise SettingsError(f"{prefix}_ISSUER is set, so {prefix}_AUDIENCE must be too (this service's client id)")
        keys = JwksClient(
            http,
            issuer=issuer,
            jwks_url=jwks_url,
            cache_seconds=settings.jwks_cache_seconds,
            min_refetch_seconds=settings.jwks_min_refetch_seconds,
        )
        issuers.append(TrustedIssuer(issuer, audience, kind, keys, roles_claim=settings.staff_oidc_roles_claim))
    return issuers
