"""Signing people in with OpenID Connect: the authorization code flow with PKCE, on Authlib's client.

One `RelyingParty` per identity provider (residents' `C360_OIDC_*`, staff's `C360_STAFF_OIDC_*`):

- `begin()` finds the provider's endpoints by discovery (`{issuer}/.well-known/openid-configuration`,
  whose `issuer` must be the configured one) and makes the authorization URL with a fresh `state`,
  `nonce` and PKCE `code_verifier` (S256). The caller keeps that `Pending` in its server-side session:
  none of it is ever a cookie.
- `finish()` refuses a callback whose `state` is not the pending one (a forged or replayed callback),
  exchanges the code at the token endpoint (the client authenticates with its secret, or with a
  `private_key_jwt` assertion as GOV.UK One Login requires), and verifies the ID token against the
  provider's JWKS: signature, issuer, audience (our client id), expiry and the `nonce` sent. When the
  ID token carries no email (GOV.UK One Login's does not), the email claims come from the provider's
  userinfo endpoint, with the access token, and must be about the same `sub`.

The tokens go back to the caller to keep server-side; nothing here logs a token or a claim.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc.errors import JoseError

DEFAULT_SCOPE = "openid email"
CLOCK_SKEW_SECONDS = 30


class SignInFailed(Exception):
    """The sign-in cannot be completed; the message names what failed, never a value."""


@dataclass(frozen=True)
class Pending:
    """What the callback must match: kept in the session between the redirect and the callback."""

    state: str
    nonce: str
    code_verifier: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, str] | None) -> Pending | None:
        try:
            return cls(**data) if data else None
        except TypeError:
            return None


@dataclass(frozen=True)
class SignedIn:
    id_token: str
    claims: dict[str, Any]
    access_token: str | None = None
    refresh_token: str | None = None


class RelyingParty:
    def __init__(
        self,
        issuer: str,
        client_id: str,
        redirect_uri: str,
        *,
        client_secret: str | None = None,
        private_key_pem: bytes | None = None,
        scope: str = DEFAULT_SCOPE,
        timeout_seconds: float = 5.0,
    ) -> None:
        if not client_secret and not private_key_pem:
            raise ValueError("an OpenID Connect client needs a client secret or a private key")
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        registry = OAuth()
        self._client = registry.register(
            "idp",
            client_id=client_id,
            # private_key_jwt: Authlib signs the assertion with the "secret", which is then the private key.
            client_secret=private_key_pem.decode() if private_key_pem else client_secret,
            server_metadata_url=f"{self.issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": scope,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": "private_key_jwt" if private_key_pem else "client_secret_basic",
                "timeout": timeout_seconds,
            },
            client_auth_methods=[PrivateKeyJWT()] if private_key_pem else None,
        )

    async def _metadata(self) -> dict[str, Any]:
        try:
            metadata: dict[str, Any] = await self._client.load_server_metadata()
        except (httpx.HTTPError, ValueError) as error:
            raise SignInFailed(
                f"the identity provider's discovery document cannot be read ({type(error).__name__})"
            ) from None
        if str(metadata.get("issuer", "")).rstrip("/") != self.issuer:
            self._client.server_metadata.clear()  # read it again next time
            raise SignInFailed("the identity provider's discovery document names another issuer")
        return metadata

    async def begin(self) -> tuple[str, Pending]:
        """The URL to send the browser to, and what its callback must match."""
        await self._metadata()
        nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        made = await self._client.create_authorization_url(self.redirect_uri, nonce=nonce, code_verifier=verifier)
        return str(made["url"]), Pending(state=str(made["state"]), nonce=nonce, code_verifier=verifier)

    async def finish(self, params: dict[str, str], pending: Pending | None) -> SignedIn:
        """The verified sign-in the provider's callback (`params`, its query string) completes."""
        if pending is None or not secrets.compare_digest(params.get("state", "").encode(), pending.state.encode()):
            raise SignInFailed("the callback's state is not the one this session sent")
        if "error" in params:
            raise SignInFailed("the identity provider refused the sign-in")
        code = params.get("code")
        if not code:
            raise SignInFailed("the callback carries no authorization code")
        metadata = await self._metadata()
        try:
            token = await self._client.fetch_access_token(
                redirect_uri=self.redirect_uri, code=code, code_verifier=pending.code_verifier
            )
            if "id_token" not in token:
                raise SignInFailed("the token response carries no ID token")
            claims = await self._client.parse_id_token(
                token,
                nonce=pending.nonce,
                claims_options={
                    "iss": {"essential": True, "value": metadata["issuer"]},
                    "aud": {"essential": True, "value": self.client_id},
                },
                leeway=CLOCK_SKEW_SECONDS,
            )
        except (OAuthError, JoseError, httpx.HTTPError, ValueError, KeyError) as error:
            raise SignInFailed(f"the code exchange or the ID token failed ({type(error).__name__})") from None
        claims = dict(claims)
        if "email" not in claims and metadata.get("userinfo_endpoint"):
            claims.update(await self._userinfo(token, str(claims["sub"])))
        return SignedIn(
            id_token=str(token["id_token"]),
            claims=claims,
            access_token=token.get("access_token"),
            refresh_token=token.get("refresh_token"),
        )

    async def _userinfo(self, token: dict[str, Any], subject: str) -> dict[str, Any]:
        """The email claims from the userinfo endpoint (GOV.UK One Login keeps them out of the ID token),
        which must be about the person the ID token names."""
        try:
            info = dict(await self._client.userinfo(token=token))
        except (OAuthError, httpx.HTTPError, ValueError) as error:
            raise SignInFailed(f"the userinfo endpoint did not answer ({type(error).__name__})") from None
        if info.get("sub") != subject:
            raise SignInFailed("the userinfo names another person than the ID token")
        return {name: info[name] for name in ("email", "email_verified") if name in info}

    async def logout_url(self, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
        """RP-initiated logout at the provider, when it has an `end_session_endpoint`."""
        try:
            metadata = await self._metadata()
        except SignInFailed:
            return None
        endpoint = metadata.get("end_session_endpoint")
        if not endpoint:
            return None
        params = {"post_logout_redirect_uri": post_logout_redirect_uri, "client_id": self.client_id}
        if id_token:
            params["id_token_hint"] = id_token
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"
