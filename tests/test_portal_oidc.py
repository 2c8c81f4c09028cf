"""Residents sign in to the portal through a real OpenID Connect provider (tests/oidc_provider.py, on
Authlib's authorization server): authorization code flow with PKCE, state and nonce checked, the ID
token verified against the provider's JWKS, the email from the userinfo (as GOV.UK One Login gives it)
or the ID token, tokens kept in the server-side session only.

Chromium drives sign-in and sign-out as a resident would; a tampered state and a replayed callback
are refused; `private_key_jwt` client authentication (GOV.UK One Login's) is exercised end to end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from joserfc.jwk import RSAKey

from customer360.auth.keys import load_or_create_signing_key
from customer360.auth.tokens import PORTAL_KEY, PortalIssuer
from customer360.settings import Settings
from tests.browser import chromium
from tests.oidc_provider import Client, Provider, new_rsa_pem, running_provider
from tests.portal_support import csrf_of
from tests.support import running_app, serving_app

CLIENT_ID = "tamworth-portal"
SECRET = "a-client-secret-for-the-test-provider"


@pytest.fixture
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


def oidc_settings(settings: Settings, provider: Provider, **changes: Any) -> Settings:
    oidc: dict[str, Any] = {
        "oidc_issuer": provider.url,
        "oidc_audience": CLIENT_ID,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": SECRET,
    }
    return replace(settings, **{**oidc, **changes})


@asynccontextmanager
async def portal_with(settings: Settings, provider: Provider, client: Client) -> AsyncIterator[str]:
    """The gateway on a loopback port, registered with the provider as `client`; its base URL."""
    async with serving_app(settings) as (_app, http):
        base_url = str(http.base_url).rstrip("/")
        client.redirect_uris = [f"{base_url}/sign-in/callback"]
        client.post_logout_redirect_uris = [f"{base_url}/signed-out"]
        provider.register(client)
        yield base_url


@pytest.mark.parametrize("client_auth", ["client_secret_basic", "private_key_jwt"])
async def test_a_resident_signs_in_and_out_through_the_identity_provider_in_chromium(
    demo_settings: Settings, provider: Provider, residents: list[dict[str, str]], tmp_path: Path, client_auth: str
):
    if client_auth == "private_key_jwt":  # GOV.UK One Login's way: an assertion signed with our key
        pem = new_rsa_pem()
        (tmp_path / "client.pem").write_bytes(pem)
        settings = oidc_settings(
            demo_settings, provider, oidc_client_secret=None, oidc_private_key=tmp_path / "client.pem"
        )
        client = Client(
            CLIENT_ID, [], auth_method=client_auth, public_jwk=RSAKey.import_key(pem).as_dict(private=False)
        )
    else:
        settings = oidc_settings(demo_settings, provider)
        client = Client(CLIENT_ID, [], client_secret=SECRET)
    email = residents[0]["email"]
    async with (
        portal_with(settings, provider, client) as base_url,
        chromium() as browser,
    ):
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(f"{base_url}/")
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("heading", name="Sign in to the test identity provider").wait_for()
        assert page.url.startswith(provider.url + "/authorize?")
        sent = dict(parse_qsl(urlsplit(page.url).query))
        assert sent["code_challenge_method"] == "S256" and sent["code_challenge"] and sent["nonce"]
        assert sent["state"] and sent["scope"] == "openid email"
        await page.get_by_label("Email address").fill(email)
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("heading", level=1, name="Your account").wait_for()
        assert provider.token_requests == [client_auth]
        assert provider.userinfo_requests == 1, "the email comes from the userinfo, as One Login gives it"

        # The browser holds only the session's opaque id: no token, no claim, no state.
        cookies = await context.cookies()
        assert [cookie["name"] for cookie in cookies] == ["c360_portal_session"]
        assert cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Lax"
        assert "." not in cookies[0]["value"], "not a JWT"
        assert await page.evaluate("document.cookie") == ""

        await page.get_by_role("button", name="Sign out").click()
        await page.get_by_role("heading", level=1, name="You have signed out").wait_for()
        assert provider.logouts == 1, "signed out at the provider too (RP-initiated logout)"
        await page.goto(f"{base_url}/")
        await page.get_by_role("heading", level=1, name="My Tamworth").wait_for()
        await context.close()


async def test_a_tampered_state_is_refused_in_chromium(
    demo_settings: Settings, provider: Provider, residents: list[dict[str, str]]
):
    settings = oidc_settings(demo_settings, provider)
    async with (
        portal_with(settings, provider, Client(CLIENT_ID, [], client_secret=SECRET)) as base_url,
        chromium() as browser,
    ):
        page = await (await browser.new_context()).new_page()
        await page.goto(f"{base_url}/sign-in")
        await page.get_by_role("heading", name="Sign in to the test identity provider").wait_for()
        # Someone swaps the state the portal sent for one of their own.
        parts = urlsplit(page.url)
        query = dict(parse_qsl(parts.query))
        query["state"] = "forged-" + query["state"][:8]
        await page.goto(urlunsplit(parts._replace(query=urlencode(query))))
        await page.get_by_label("Email address").fill(residents[0]["email"])
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("heading", level=1, name="You could not be signed in").wait_for()
        assert provider.token_requests == [], "no code is exchanged for a callback with a foreign state"
        await page.goto(f"{base_url}/")
        await page.get_by_role("heading", level=1, name="My Tamworth").wait_for()


async def provider_callback(http: httpx.AsyncClient, email: str) -> str:
    """`GET /sign-in`, then the provider's sign-in form as a browser would send it: the callback URL."""
    start = await http.get("/sign-in")
    assert start.status_code == 303
    async with httpx.AsyncClient() as browser_at_provider:
        form = await browser_at_provider.get(start.headers["location"])
        assert form.status_code == 200, form.text
        fields = dict(parse_qsl(urlsplit(start.headers["location"]).query))
        answer = await browser_at_provider.post(str(form.url).split("?")[0], data={**fields, "email": email})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def test_private_key_jwt_client_authentication_and_a_replayed_callback(
    demo_settings: Settings, provider: Provider, residents: list[dict[str, str]], tmp_path: Path
):
    pem = new_rsa_pem()
    (tmp_path / "client.pem").write_bytes(pem)
    settings = oidc_settings(demo_settings, provider, oidc_client_secret=None, oidc_private_key=tmp_path / "client.pem")
    public = RSAKey.import_key(pem).as_dict(private=False)
    client = Client(CLIENT_ID, [], auth_method="private_key_jwt", public_jwk=public)
    provider.email_in_id_token = True  # a provider that puts the email in the ID token: no userinfo call
    async with portal_with(settings, provider, client) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        callback = await provider_callback(http, residents[1]["email"])
        assert callback.startswith(f"{base_url}/sign-in/callback?")
        signed_in = await http.get(callback)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
        home = await http.get("/")
        assert "Your account" in home.text
        assert provider.token_requests == ["private_key_jwt"]
        assert provider.userinfo_requests == 0

        # The same callback again (from history, or stolen): its session is gone, so is the sign-in.
        async with httpx.AsyncClient(base_url=base_url) as other:
            replayed = await other.get(callback)
        assert replayed.status_code == 400 and "You could not be signed in" in replayed.text
        assert provider.token_requests == ["private_key_jwt"]

        # Signing out (CSRF-checked) ends the session here and sends the browser to the provider.
        out = await http.post("/sign-out", data={"csrf_token": csrf_of(home.text)})
        assert out.status_code == 303 and out.headers["location"].startswith(provider.url + "/logout?")
        assert (await http.get("/")).text.count("Your account") == 0

        # A sign-out posted with no session here (another site's form): signed out, not sent on to the
        # provider, which would sign the resident out of their identity provider (a logout CSRF).
        async with httpx.AsyncClient(base_url=base_url) as other_site:
            forged = await other_site.post("/sign-out")
        assert forged.status_code == 200 and "You have signed out" in forged.text
        assert provider.url not in forged.text and "location" not in forged.headers


async def test_a_verified_identity_that_names_no_customer_is_not_signed_in(demo_settings: Settings, provider: Provider):
    settings = oidc_settings(demo_settings, provider)
    async with (
        portal_with(settings, provider, Client(CLIENT_ID, [], client_secret=SECRET)) as base_url,
        httpx.AsyncClient(base_url=base_url) as http,
    ):
        callback = await provider_callback(http, "nobody-here@example.com")
        refused = await http.get(callback)
        assert refused.status_code == 400
        assert "could not find a council account" in refused.text
        assert "Your account" not in (await http.get("/")).text


async def test_an_id_token_from_another_issuer_key_is_refused(
    demo_settings: Settings, provider: Provider, residents: list[dict[str, str]]
):
    """The provider signs with a key its JWKS does not publish: the portal refuses the ID token."""
    settings = oidc_settings(demo_settings, provider)
    async with (
        portal_with(settings, provider, Client(CLIENT_ID, [], client_secret=SECRET)) as base_url,
        httpx.AsyncClient(base_url=base_url) as http,
    ):
        published = provider.jwks()
        provider.key = RSAKey.import_key(new_rsa_pem())  # signs with this, still publishes the old one
        provider.jwks = lambda: published  # type: ignore[method-assign]
        callback = await provider_callback(http, residents[0]["email"])
        refused = await http.get(callback)
        assert refused.status_code == 400 and "You could not be signed in" in refused.text


async def test_the_api_trusts_the_portals_own_tokens_only_while_portal_sign_in_is_configured(
    own_council: Settings, provider: Provider, residents: list[dict[str, str]]
):
    key = load_or_create_signing_key(own_council.data_dir, PORTAL_KEY)
    token = PortalIssuer(key).resident_token("urn:fdc:test:someone", residents[0]["email"], True)
    query = {"query": "{ me { name } }"}
    async with running_app(own_council) as (_app, client):  # the demo, no portal sign-in: not trusted
        refused = await client.post("/graphql", json=query, headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401
    async with running_app(oidc_settings(own_council, provider)) as (_app, client):
        answered = await client.post("/graphql", json=query, headers={"Authorization": f"Bearer {token}"})
        assert answered.status_code == 200 and answered.json()["data"]["me"]["name"]
