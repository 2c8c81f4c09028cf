"""The real identity providers named in settings: residents (GOV.UK One Login-shaped) and staff.

Each configured issuer becomes a `TrustedIssuer` whose keys come from a `JwksClient` (its JWKS URL,
or the one its discovery document names). An issuer without an audience is refused at start-up:
a token minted for another service must never be accepted here.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from customer360.auth.jwks import JwksClient
from customer360.auth.principal import PrincipalKind
from customer360.auth.relying_party import RelyingParty
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


def resident_sign_in(settings: Settings) -> RelyingParty | None:
    """The portal's OpenID Connect client, when `C360_OIDC_CLIENT_ID` is set (None: no OIDC sign-in)."""
    return _relying_party(
        settings.oidc_issuer,
        settings.oidc_client_id,
        settings.oidc_client_secret,
        settings.oidc_private_key,
        f"{settings.public_url}/sign-in/callback",
        settings.oidc_scopes,
        "C360_OIDC",
    )


def staff_sign_in(settings: Settings) -> RelyingParty | None:
    """The staff dashboard's OpenID Connect client, when `C360_STAFF_OIDC_CLIENT_ID` is set."""
    return _relying_party(
        settings.staff_oidc_issuer,
        settings.staff_oidc_client_id,
        settings.staff_oidc_client_secret,
        settings.staff_oidc_private_key,
        f"{settings.public_url}/staff/sign-in/callback",
        "openid profile",
        "C360_STAFF_OIDC",
    )


def _relying_party(
    issuer: str | None,
    client_id: str | None,
    secret: str | None,
    private_key: Path | None,
    redirect_uri: str,
    scope: str,
    prefix: str,
) -> RelyingParty | None:
    if not client_id:
        return None
    if not issuer:
        raise SettingsError(f"{prefix}_CLIENT_ID is set, so {prefix}_ISSUER must be too")
    if not secret and not private_key:
        raise SettingsError(f"{prefix}_CLIENT_ID needs {prefix}_CLIENT_SECRET or {prefix}_PRIVATE_KEY (a PEM file)")
    try:
        pem = private_key.read_bytes() if private_key else None
    except OSError as error:
        raise SettingsError(f"{prefix}_PRIVATE_KEY cannot be read: {error.strerror}") from None
    return RelyingParty(issuer, client_id, redirect_uri, client_secret=secret, private_key_pem=pem, scope=scope)
