"""A real OpenID Connect provider for the sign-in tests, built on Authlib's authorization server (Flask).

It speaks the protocol the way GOV.UK One Login does: discovery, the authorization code flow with
PKCE (S256) required and a nonce required, ID tokens signed RS256 with a published JWKS, client
authentication by `client_secret_basic`/`client_secret_post` or `private_key_jwt`, and RP-initiated
logout (`end_session_endpoint`). Its "sign-in" page is a form with one field, "Email address": whoever
types an email is signed in as that person, with `email_verified` true (a test decides who exists).

Served by werkzeug on a loopback port in a thread (`running_provider`), so the gateway, httpx and
Chromium all reach it over real HTTP.
"""

from __future__ import annotations

import hashlib
import html
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, redirect, request
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from tests.support import free_port


def new_rsa_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass
class Client:
    """A registered relying party: a secret, or the public key of its `private_key_jwt` assertions."""

    client_id: str
    redirect_uris: list[str]
    auth_method: str = "client_secret_basic"
    client_secret: str = ""
    public_jwk: dict[str, Any] | None = None
    post_logout_redirect_uris: list[str] = field(default_factory=list)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(self.client_secret) and secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method if endpoint == "token" else True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    email: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


@dataclass(frozen=True)
class User:
    email: str

    @property
    def sub(self) -> str:
        # Pairwise and opaque, as One Login's: not the email.
        return "urn:fdc:test:" + hashlib.sha256(self.email.lower().encode()).hexdigest()[:24]


class Provider:
    """The provider's state: clients, codes, signing key, and what it was asked (for assertions)."""

    def __init__(self) -> None:
        self.url = ""
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, Code] = {}
        self.key = RSAKey.import_key(new_rsa_pem())
        self.kid = secrets.token_hex(8)
        self.used_jtis: set[str] = set()
        self.token_requests: list[str] = []  # the client authentication method of each token request
        self.logouts = 0
        self.id_token_seconds = 3600
        self.extra_claims: dict[str, dict[str, Any]] = {}  # email -> claims of that person (roles, name)
        # GOV.UK One Login's way: the ID token names the person (`sub`) only; the email is in the userinfo.
        self.email_in_id_token = False
        self.access_tokens: dict[str, User] = {}
        self.userinfo_requests = 0

    def register(self, client: Client) -> Client:
        self.clients[client.client_id] = client
        return client

    def jwks(self) -> dict[str, Any]:
        public = self.key.as_dict(private=False)
        public.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [public]}


def provider_app(provider: Provider) -> Flask:
    app = Flask("test-oidc-provider")

    def save_token(token: dict[str, Any], request: Any) -> None:
        provider.access_tokens[token["access_token"]] = request.user

    server = AuthorizationServer(app, query_client=provider.clients.get, save_token=save_token)
    # Opaque access tokens: only the ID token is a JWT.
    server.register_token_generator("default", _bearer_tokens(provider))

    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]

        def save_authorization_code(self, code: str, request: Any) -> None:
            data = request.payload.data
            provider.codes[code] = Code(
                code=code,
                client_id=request.client.client_id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.payload.scope,
                email=request.user.email,
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
            )

        def query_authorization_code(self, code: str, client: Client) -> Code | None:
            found = provider.codes.get(code)
            return found if found and found.client_id == client.client_id else None

        def delete_authorization_code(self, authorization_code: Code) -> None:
            provider.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: Code) -> User:
            return User(authorization_code.email)

    class OpenID(OpenIDCode):
        def exists_nonce(self, nonce: str, request: Any) -> bool:
            return any(code.nonce == nonce for code in provider.codes.values())

        def resolve_client_private_key(self, client: Client) -> RSAKey:
            return provider.key

        def get_client_claims(self, client: Client) -> dict[str, Any]:
            now = int(time.time())
            return {"iss": provider.url, "aud": [client.client_id], "exp": now + provider.id_token_seconds}

        def get_encode_header(self, client: Client) -> dict[str, str]:
            return {"alg": "RS256", "kid": provider.kid}

        def get_client_algorithm(self, client: Client) -> str:
            return "RS256"

        def generate_user_info(self, user: User, scope: str) -> UserInfo:
            extra = provider.extra_claims.get(user.email, {})
            if provider.email_in_id_token:
                return UserInfo(sub=user.sub, email=user.email, email_verified=True, **extra)
            return UserInfo(sub=user.sub, **extra)

    class PrivateKeyJwt(JWTBearerClientAssertion):
        CLIENT_AUTH_METHOD = "private_key_jwt"

        def get_audiences(self) -> list[str]:
            return [provider.url + "/token", provider.url]

        def validate_jti(self, claims: Any, jti: str) -> bool:
            if jti in provider.used_jtis:
                return False
            provider.used_jtis.add(jti)
            return True

        def resolve_client_public_key(self, client: Client) -> RSAKey:
            assert client.public_jwk is not None
            return RSAKey.import_key(client.public_jwk)

    server.register_client_auth_method(PrivateKeyJwt.CLIENT_AUTH_METHOD, PrivateKeyJwt())
    server.register_grant(CodeGrant, [CodeChallenge(required=True), OpenID(require_nonce=True)])

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Any:
        return jsonify(
            issuer=provider.url,
            authorization_endpoint=provider.url + "/authorize",
            token_endpoint=provider.url + "/token",
            jwks_uri=provider.url + "/jwks.json",
            userinfo_endpoint=provider.url + "/userinfo",
            end_session_endpoint=provider.url + "/logout",
            response_types_supported=["code"],
            subject_types_supported=["pairwise"],
            id_token_signing_alg_values_supported=["RS256"],
            token_endpoint_auth_methods_supported=CodeGrant.TOKEN_ENDPOINT_AUTH_METHODS,
            code_challenge_methods_supported=["S256"],
            scopes_supported=["openid", "email"],
        )

    @app.get("/jwks.json")
    def jwks() -> Any:
        return jsonify(provider.jwks())

    @app.get("/authorize")
    def authorize_page() -> Any:
        try:
            server.get_consent_grant(end_user=None)
        except Exception as error:  # the relying party sent a bad request: say so, as a provider would
            return f"<h1>Bad authorization request</h1><p>{html.escape(str(error))}</p>", 400
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in request.args.items()
        )
        return (
            '<!doctype html><html lang="en"><head><title>Test identity provider</title></head><body><main>'
            '<h1>Sign in to the test identity provider</h1><form method="post" action="/authorize">'
            f'{hidden}<label for="email">Email address</label> <input id="email" name="email" type="email">'
            "<button>Continue</button></form></main></body></html>"
        )

    @app.post("/authorize")
    def authorize() -> Any:
        return server.create_authorization_response(grant_user=User(request.form["email"]))

    @app.post("/token")
    def token() -> Any:
        form = request.form
        if form.get("client_assertion"):
            provider.token_requests.append("private_key_jwt")
        elif request.authorization:
            provider.token_requests.append("client_secret_basic")
        else:
            provider.token_requests.append("client_secret_post")
        return server.create_token_response()

    @app.get("/userinfo")
    def userinfo() -> Any:
        provider.userinfo_requests += 1
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = provider.access_tokens.get(token) if scheme == "Bearer" else None
        if user is None:
            return jsonify(error="invalid_token"), 401
        return jsonify(sub=user.sub, email=user.email, email_verified=True)

    @app.get("/logout")
    def logout() -> Any:
        provider.logouts += 1
        back = request.args.get("post_logout_redirect_uri")
        if back:
            state = request.args.get("state")
            return redirect(back + ("?" + urlencode({"state": state}) if state else ""))
        return "<h1>Signed out</h1>"

    return app


def _bearer_tokens(provider: Provider) -> Any:
    from authlib.oauth2.rfc6750 import BearerTokenGenerator

    return BearerTokenGenerator(lambda *args, **kwargs: secrets.token_urlsafe(32))


@contextmanager
def running_provider() -> Iterator[Provider]:
    provider = Provider()
    port = free_port()
    provider.url = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, provider_app(provider), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(timeout=5)
