"""Staff sign in to the dashboard through the staff identity provider (a real OpenID Connect provider,
tests/oidc_provider.py): the authorization code flow with PKCE, the ID token checked, and the dashboard
then working with it in Chromium. Without roles, no dashboard; in production without staff sign-in,
no /staff at all; in the demo, the pasted token as before."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt
import pytest

from customer360.auth.keys import load_or_create_signing_key
from customer360.auth.principal import Principal, PrincipalKind, Role
from customer360.auth.tokens import STAFF_DASHBOARD_ISSUER, STAFF_DASHBOARD_KEY, StaffDashboardIssuer
from customer360.settings import Settings
from tests.browser import chromium
from tests.oidc_provider import Client, Provider, running_provider
from tests.support import running_app, serving_app

CLIENT_ID = "staff-dashboard"
SECRET = "a-staff-client-secret-for-the-test-provider"
STAFF_EMAIL = "sam.jones@tamworth.example"


@pytest.fixture
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        running.extra_claims[STAFF_EMAIL] = {"name": "Sam Jones", "roles": ["customer_services"]}
        yield running


def staff_settings(settings: Settings, provider: Provider) -> Settings:
    return replace(
        settings,
        staff_oidc_issuer=provider.url,
        staff_oidc_audience=CLIENT_ID,
        staff_oidc_client_id=CLIENT_ID,
        staff_oidc_client_secret=SECRET,
    )


async def test_a_member_of_staff_signs_in_through_the_provider_and_searches_in_chromium(
    demo_settings: Settings, provider: Provider
):
    async with serving_app(staff_settings(demo_settings, provider)) as (_app, http), chromium() as browser:
        base_url = str(http.base_url).rstrip("/")
        provider.register(Client(CLIENT_ID, [f"{base_url}/staff/sign-in/callback"], client_secret=SECRET))
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(f"{base_url}/staff")
        assert await page.locator("#token").count() == 0, "no token to paste: the provider signs staff in"
        await page.get_by_label("Why are you looking at residents' records?").fill("Answering a phone call")
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("heading", name="Sign in to the test identity provider").wait_for()
        sent = dict(parse_qsl(urlsplit(page.url).query))
        assert sent["code_challenge_method"] == "S256" and sent["nonce"] and sent["client_id"] == CLIENT_ID
        await page.get_by_label("Email address").fill(STAFF_EMAIL)
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("heading", level=1, name="Find a customer").wait_for()
        assert page.url == f"{base_url}/staff#customers", "the callback's code and state leave the address"
        assert await page.locator('meta[name="c360-staff-token"]').count() == 0
        assert await page.evaluate("sessionStorage.getItem('customer360.accessPurpose')") == "Answering a phone call"
        await page.get_by_label("Name, email or postcode").fill("a")
        await page.get_by_role("button", name="Search").click()
        await page.locator("#results li").first.wait_for()
        assert provider.token_requests == ["client_secret_basic"]


async def test_the_access_purpose_is_never_taken_from_someone_elses_link_or_form(
    demo_settings: Settings, provider: Provider
):
    """The purpose audited on every read is the staff member's own: a link carrying one goes back to the
    dashboard's form, starting no sign-in; a form posted from another site is refused."""
    async with serving_app(staff_settings(demo_settings, provider)) as (_app, http):
        base_url = str(http.base_url).rstrip("/")
        linked = await http.get("/staff/sign-in", params={"purpose": "Safeguarding referral"})
        assert linked.status_code == 303 and linked.headers["location"] == "/staff"
        assert "c360_staff_sign_in" not in linked.headers.get("set-cookie", ""), "no sign-in started"
        for headers in ({"Origin": "https://elsewhere.example"}, {"Origin": base_url, "Sec-Fetch-Site": "cross-site"}):
            forged = await http.post("/staff/sign-in", data={"purpose": "Safeguarding referral"}, headers=headers)
            assert forged.status_code == 403 and "c360_staff_sign_in" not in forged.headers.get("set-cookie", "")
        own = await http.post(
            "/staff/sign-in", data={"purpose": "Answering a phone call"}, headers={"Sec-Fetch-Site": "same-origin"}
        )
        assert own.status_code == 303 and own.headers["location"].startswith(provider.url)


async def signed_in_at_provider(http: httpx.AsyncClient, provider: Provider, email: str) -> httpx.Response:
    """The dashboard's sign-in, the provider's consent as `email`, and the callback's answer."""
    base_url = str(http.base_url).rstrip("/")
    provider.register(Client(CLIENT_ID, [f"{base_url}/staff/sign-in/callback"], client_secret=SECRET))
    start = await http.post("/staff/sign-in", data={"purpose": "Answering a phone call"}, headers={"Origin": base_url})
    assert start.status_code == 303
    fields = dict(parse_qsl(urlsplit(start.headers["location"]).query))
    async with httpx.AsyncClient() as at_provider:
        answer = await at_provider.post(f"{provider.url}/authorize", data={**fields, "email": email})
    return await http.get(answer.headers["location"])


async def test_the_dashboard_gets_a_staff_token_of_its_own_with_the_verified_roles_not_the_id_token(
    demo_settings: Settings, provider: Provider
):
    """The ID token is the provider's word to the dashboard (its audience the client id, its lifetime the
    provider's): the callback hands over a token the gateway minted from the verified principal."""
    provider.id_token_seconds = 120  # a provider's ID token may live minutes; the dashboard's token does not
    provider.extra_claims[STAFF_EMAIL] = {"name": "Sam Jones", "roles": ["customer_services", "root", "analyst"]}
    async with serving_app(staff_settings(demo_settings, provider)) as (_app, http):
        page = await signed_in_at_provider(http, provider, STAFF_EMAIL)
        assert page.status_code == 200
        found = re.search(r'<meta name="c360-staff-token" content="([^"]+)">', page.text)
        assert found is not None
        token = html.unescape(found.group(1))
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["iss"] == STAFF_DASHBOARD_ISSUER and claims["aud"] == "customer360"
        assert claims["roles"] == ["analyst", "customer_services"]  # as verified: a role the API does not know is gone
        assert claims["name"] == "Sam Jones" and claims["sub"]
        assert claims["exp"] - claims["iat"] == 8 * 3600
        # The API takes it as this member of staff, with those roles: a search (customer_services) answers.
        search = await http.post(
            "/graphql",
            json={"query": '{ searchCustomers(query: "a", first: 1) { edges { node { id } } } }'},
            headers={"Authorization": f"Bearer {token}", "X-Access-Purpose": "Answering a phone call"},
        )
        assert search.status_code == 200 and search.json()["data"]["searchCustomers"]["edges"]


async def test_a_dashboard_token_is_trusted_only_while_staff_sign_in_is_configured(own_council: Settings):
    key = load_or_create_signing_key(own_council.data_dir, STAFF_DASHBOARD_KEY)
    staff = Principal(PrincipalKind.STAFF, subject="someone", name="Someone", roles=frozenset({Role.CUSTOMER_SERVICES}))
    token = StaffDashboardIssuer(key).staff_token(staff)
    async with running_app(own_council) as (_app, client):
        answer = await client.post(
            "/graphql",
            json={"query": '{ searchCustomers(query: "a", first: 1) { edges { node { id } } } }'},
            headers={"Authorization": f"Bearer {token}", "X-Access-Purpose": "checking"},
        )
        assert answer.status_code == 401


async def test_an_identity_without_a_dashboard_role_is_refused(demo_settings: Settings, provider: Provider):
    async with serving_app(staff_settings(demo_settings, provider)) as (_app, http):
        base_url = str(http.base_url).rstrip("/")
        provider.register(Client(CLIENT_ID, [f"{base_url}/staff/sign-in/callback"], client_secret=SECRET))
        start = await http.post("/staff/sign-in", data={"purpose": "checking"}, headers={"Origin": base_url})
        assert start.status_code == 303
        fields = dict(parse_qsl(urlsplit(start.headers["location"]).query))
        async with httpx.AsyncClient() as at_provider:
            answer = await at_provider.post(
                f"{provider.url}/authorize", data={**fields, "email": "no.role@example.com"}
            )
        refused = await http.get(answer.headers["location"])
        assert refused.status_code == 400 and "no role in the staff dashboard" in refused.text
        assert "c360-staff-token" not in refused.text
        again = await http.get(answer.headers["location"])  # the same callback again: nothing waits for it
        assert again.status_code == 400 and "could not be completed" in again.text


async def test_production_without_staff_sign_in_serves_no_dashboard_and_the_demo_keeps_the_pasted_token(
    demo_settings: Settings,
):
    async with running_app(replace(demo_settings, env="production")) as (_app, client):
        assert (await client.get("/staff")).status_code == 404
    async with running_app(demo_settings) as (_app, client):
        page = await client.get("/staff")
        assert page.status_code == 200 and 'id="token"' in page.text
        assert (await client.get("/staff/sign-in")).status_code == 404
