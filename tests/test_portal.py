"""The resident portal over HTTP (no browser): sign-in, sessions, CSRF, and each page's figures
checked against what the API itself answers for the same resident."""

from __future__ import annotations

import ast
import asyncio
import json
import logging
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from graphql import parse, validate
from sqlalchemy import select, update
from starlette.responses import Response

import customer360.portal
from customer360 import logging_config
from customer360.auth.tokens import DemoIssuer
from customer360.domain.systems import SourceSystem
from customer360.http.trusted_documents import TrustedDocuments
from customer360.portal.documents import all_documents
from customer360.portal.sessions import Session, Sessions
from customer360.schema.schema import build_schema
from customer360.settings import Settings
from customer360.store.database import create_engine
from customer360.store.tables import portal_sessions
from tests.portal_support import REFERENCE, csrf_of, form_token_of, links_of, sign_in
from tests.services import REDIS_URL, redis_or_skip
from tests.support import free_port, graphql, running_app

HOME = """{ me { name councilTaxAccounts { balance { formatted } nextInstalment { amount { formatted } } }
  requests(status: [SUBMITTED, IN_PROGRESS], first: 1) { totalCount } } }"""
COUNCIL_TAX = """{ me { councilTaxAccounts { reference band annualCharge { formatted } balance { formatted }
  instalments { dueDate } latestStatement { lines { amount { pence } } closingBalance { pence formatted } } } } }"""
REQUESTS = "{ me { requests(first: 100) { totalCount edges { node { reference history { description } } } } } }"
COMPLAINTS = "{ me { complaints(first: 100) { totalCount edges { node { reference subject } } } } }"
JOURNEY_LINKS = {
    "Council Tax": "/council-tax",
    "My requests": "/my-requests",
    "Make a complaint": "/make-a-complaint",
    "Report a problem": "/report-a-problem",
    "Apply for a single person discount": "/single-person-discount",
    "Make a payment": "/make-a-payment",
    "Tell us you are moving": "/tell-us-you-are-moving",
    "Apply for housing": "/apply-for-housing",
    "Report a safeguarding concern": "/report-a-safeguarding-concern",
}


def h1(html: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert found
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split())


async def test_signed_out_home_is_a_start_page_with_sign_in(demo_settings: Settings):
    async with running_app(demo_settings) as (_app, client):
        page = await client.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert h1(page.text) == "My Tamworth"
        assert links_of(page.text)["Sign in"] == "/sign-in"
        assert "Your account" not in page.text
        assert page.headers["cache-control"] == "no-store"
        assert "'unsafe-inline'" not in page.headers["content-security-policy"]
        css = await client.get("/static/govuk/govuk-frontend.min.css")
        font = await client.get("/assets/fonts/bold-b542beb274-v2.woff2")
        assert css.status_code == 200 and "text/css" in css.headers["content-type"]
        assert font.status_code == 200 and len(font.content) > 10_000


async def test_sign_in_shows_your_account_with_the_apis_figures(
    demo_settings: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    resident = residents[0]
    async with running_app(demo_settings) as (_app, client):
        await client.get("/sign-in")
        before = client.cookies["c360_portal_session"]
        signed_in = await sign_in(client, resident["email"])
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
        assert client.cookies["c360_portal_session"] != before, "a new session id at sign-in (no fixation)"
        cookie = signed_in.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "secure" not in cookie.lower()
        home = await client.get("/")
        truth = (await graphql(client, HOME, issuer.resident_token(resident["email"]))).json()["data"]["me"]

        assert h1(home.text) == "Your account"
        assert truth["name"] in home.text
        account = truth["councilTaxAccounts"][0]
        assert account["balance"]["formatted"] in home.text
        assert account["nextInstalment"]["amount"]["formatted"] in home.text
        count = truth["requests"]["totalCount"]
        assert f"You have {count} open request" in home.text
        links = links_of(home.text)
        assert {text: links.get(text) for text in JOURNEY_LINKS} == JOURNEY_LINKS
        for href in JOURNEY_LINKS.values():
            assert (await client.get(href)).status_code == 200, "a link appears only for a journey that exists"
        assert "eyJ" not in home.text and "eyJ" not in cookie, "the bearer token never reaches the browser"


async def test_sign_in_refuses_a_blank_or_unknown_email_with_the_error_summary(demo_settings: Settings):
    async with running_app(demo_settings) as (_app, client):
        for email, message in (
            ("", "Enter your email address"),
            ("not-an-email", "Enter an email address in the correct format, like name@example.com"),
            ("nobody@example.invalid", "There is no demo resident with that email address"),
        ):
            page = await sign_in(client, email)
            assert page.status_code == 200
            assert "<title>Error: Sign in" in page.text
            assert 'class="govuk-error-summary"' in page.text and f'<a href="#email">{message}</a>' in page.text
            assert 'id="email-error"' in page.text
        assert (await client.get("/council-tax")).headers["location"] == "/sign-in"


async def test_a_post_without_the_sessions_csrf_token_is_refused(
    demo_settings: Settings, residents: list[dict[str, str]]
):
    async with running_app(demo_settings) as (_app, client):
        form = await client.get("/sign-in")
        refused = await client.post("/sign-in", data={"email": residents[0]["email"], "csrf_token": "forged"})
        assert refused.status_code == 403 and "csrf_token" not in refused.text
        no_token = await client.post("/sign-in", data={"email": residents[0]["email"]})
        assert no_token.status_code == 403
        stranger = httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))
        async with stranger:  # another browser, holding the page's token but not its session
            taken = await stranger.post(
                "/sign-in", data={"email": residents[0]["email"], "csrf_token": csrf_of(form.text)}
            )
            assert taken.status_code == 403
        assert (await sign_in(client, residents[0]["email"])).status_code == 303
        draft = await client.post(
            "/make-a-complaint", data={"subject": "x", "description": "y", "csrf_token": "forged"}
        )
        assert draft.status_code == 403
        assert (await client.get("/make-a-complaint/check-answers")).headers["location"] == "/make-a-complaint"


async def test_sign_out_ends_the_session_and_its_cookie_opens_nothing(
    demo_settings: Settings, residents: list[dict[str, str]]
):
    async with running_app(demo_settings) as (_app, client):
        await sign_in(client, residents[0]["email"])
        cookie = dict(client.cookies)
        council_tax = await client.get("/council-tax")
        assert council_tax.status_code == 200
        assert "Sign out" not in links_of(council_tax.text)  # a button in a form, not a link
        out = await client.post("/sign-out", data={"csrf_token": csrf_of(council_tax.text)})
        assert out.status_code == 200 and h1(out.text) == "You have signed out"
        assert "Sign out" not in out.text
        client.cookies.clear()
        client.cookies.update(cookie)  # the old cookie, replayed
        assert (await client.get("/council-tax")).headers["location"] == "/sign-in"
        assert h1((await client.get("/")).text) == "My Tamworth"


async def test_only_a_post_with_the_csrf_token_signs_out(demo_settings: Settings, residents: list[dict[str, str]]):
    """A cross-site `<img src=/sign-out>` or a forged form signs nobody out; GET /sign-out is a page with
    the button (it works without JavaScript)."""
    async with running_app(demo_settings) as (_app, client):
        await sign_in(client, residents[0]["email"])
        page = await client.get("/sign-out")
        assert page.status_code == 200 and h1(page.text) == "Sign out"
        assert '<form method="post" action="/sign-out"' in page.text
        forged = await asyncio.gather(
            client.post("/sign-out", data={"csrf_token": "forged"}), client.post("/sign-out", data={})
        )
        assert [answer.status_code for answer in forged] == [403, 403]
        assert h1((await client.get("/")).text) == "Your account"  # still signed in
        token = csrf_of(page.text)
        twice = await asyncio.gather(*(client.post("/sign-out", data={"csrf_token": token}) for _ in range(2)))
        assert {h1(answer.text) for answer in twice} == {"You have signed out"}
        assert (await client.get("/council-tax")).headers["location"] == "/sign-in"
        assert h1((await client.get("/sign-out")).text) == "You are signed out"


async def test_a_copy_of_the_session_table_opens_no_session_and_shows_no_draft(
    demo_settings: Settings, residents: list[dict[str, str]]
):
    async with running_app(demo_settings) as (_app, client):
        await sign_in(client, residents[0]["email"])
        question = await client.get("/make-a-complaint")
        await client.post(
            "/make-a-complaint",
            data={
                "subject": "Missed bin",
                "description": "Nobody came on Tuesday",
                "csrf_token": csrf_of(question.text),
            },
        )
        engine = create_engine(demo_settings.gateway_database_url)
        try:
            async with engine.connect() as conn:
                values = [row.value for row in await conn.execute(select(portal_sessions.c.value))]
        finally:
            await engine.dispose()
        session_id = next(value for name, value in client.cookies.items() if name.endswith("c360_portal_session"))
        assert values and all(session_id not in value for value in values)
        kept = "\n".join(values)
        assert "Nobody came on Tuesday" not in kept and "Missed bin" not in kept and '"token"' not in kept
        # Sealed with the portal's own key in the data dir: the draft is there, for that key's holder only.
        key = Fernet((demo_settings.data_dir / "keys" / "session.key").read_bytes().strip())
        assert any("Nobody came on Tuesday" in key.decrypt(value.encode()).decode() for value in values)


async def test_sessions_opened_with_another_session_secret_are_over(
    demo_settings: Settings, residents: list[dict[str, str]]
):
    async with running_app(replace(demo_settings, session_secret="one secret")) as (_app, client):
        await sign_in(client, residents[0]["email"])
        assert h1((await client.get("/")).text) == "Your account"
        cookie = dict(client.cookies)
    async with running_app(replace(demo_settings, session_secret="another secret")) as (_app, client):
        client.cookies.update(cookie)
        assert h1((await client.get("/")).text) == "My Tamworth"


async def test_a_session_idle_past_its_lifetime_is_over(demo_settings: Settings, residents: list[dict[str, str]]):
    async with running_app(demo_settings) as (_app, client):
        await sign_in(client, residents[1]["email"])
        assert (await client.get("/my-requests")).status_code == 200
        engine = create_engine(demo_settings.gateway_database_url)
        try:  # thirty minutes pass: every key of the portal's store is now past its expiry
            async with engine.begin() as conn:
                await conn.execute(update(portal_sessions).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        finally:
            await engine.dispose()
        assert (await client.get("/my-requests")).headers["location"] == "/sign-in"


async def test_sessions_live_in_redis_when_it_is_configured(demo_settings: Settings, residents: list[dict[str, str]]):
    redis = await redis_or_skip()
    try:
        async with running_app(replace(demo_settings, redis_url=REDIS_URL)) as (_app, client):
            await sign_in(client, residents[0]["email"])
            keys = [key async for key in redis.scan_iter("c360:portal:*:session:*")]
            assert keys and 0 < await redis.ttl(keys[0]) <= 30 * 60
            kept = [await redis.get(key) for key in keys]
            assert all(value.startswith(b"gAAAAA") and b'"token"' not in value for value in kept)  # Fernet
            assert h1((await client.get("/")).text) == "Your account"
            await redis.delete(*keys)  # the session is gone from the store: the browser is signed out
            assert h1((await client.get("/")).text) == "My Tamworth"
    finally:
        await redis.aclose()


async def test_council_tax_page_shows_band_charge_instalments_and_a_statement_that_adds_up(
    demo_settings: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(demo_settings) as (_app, client):
        await sign_in(client, residents[0]["email"])
        page = await client.get("/council-tax")
        truth = (await graphql(client, COUNCIL_TAX, issuer.resident_token(residents[0]["email"]))).json()
        account = truth["data"]["me"]["councilTaxAccounts"][0]
        assert page.status_code == 200 and h1(page.text) == "Council Tax"
        for value in (account["reference"], account["band"], account["annualCharge"]["formatted"]):
            assert value in page.text
        instalments = page.text.split("Instalments for account", 1)[1].split("</table>", 1)[0]
        assert instalments.count('<tr class="govuk-table__row">') == 1 + len(account["instalments"])
        statement = page.text.split("Latest statement for account", 1)[1].split("</table>", 1)[0]
        body, foot = statement.split("<tfoot>")
        lines = [int(pence) for pence in re.findall(r'data-pence="(-?\d+)"', body)]
        closing = int(re.findall(r'data-pence="(-?\d+)"', foot)[0])
        assert lines and sum(lines) == closing == account["latestStatement"]["closingBalance"]["pence"]
        assert "Closing balance" in foot and account["latestStatement"]["closingBalance"]["formatted"] in foot


async def test_my_requests_lists_each_request_linking_to_its_history_and_no_one_elses(
    demo_settings: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(demo_settings) as (_app, client):
        mine = (await graphql(client, REQUESTS, issuer.resident_token(residents[0]["email"]))).json()["data"]["me"]
        others = (await graphql(client, REQUESTS, issuer.resident_token(residents[1]["email"]))).json()["data"]["me"]
        mine_refs = {edge["node"]["reference"] for edge in mine["requests"]["edges"]}
        theirs = next(
            e["node"]["reference"] for e in others["requests"]["edges"] if e["node"]["reference"] not in mine_refs
        )
        await sign_in(client, residents[0]["email"])

        listing = await client.get("/my-requests")
        assert listing.status_code == 200 and h1(listing.text) == "My requests"
        for header in ("Reference", "Service", "Status", "Last update"):
            assert f'<th scope="col" class="govuk-table__header">{header}</th>' in listing.text
        first = mine["requests"]["edges"][0]["node"]
        links = links_of(listing.text)
        assert links[first["reference"]] == f"/my-requests/{first['reference']}"
        shown = sum(1 for text in links if text in mine_refs)
        assert shown == min(20, mine["requests"]["totalCount"])
        if mine["requests"]["totalCount"] > 20:
            older = await client.get(links["Older requests"])
            assert any(text in mine_refs and text not in links for text in links_of(older.text))

        detail = await client.get(f"/my-requests/{first['reference']}")
        assert detail.status_code == 200 and h1(detail.text) == first["reference"]
        for event in first["history"]:
            escaped = event["description"].replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;")
            assert escaped in detail.text  # as Jinja escapes it ("Green & Clean" is "Green &amp; Clean")
        assert (await client.get(f"/my-requests/{theirs}")).status_code == 404
        assert (await client.get("/my-requests/C360-NOTAREAL")).status_code == 404
        assert (await client.get("/my-requests?after=tampered")).status_code == 404


async def test_make_a_complaint_question_check_answers_confirmation_and_no_double_complaint(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    resident = residents[2]
    token = issuer.resident_token(resident["email"])
    async with running_app(own_council) as (_app, client):
        before = (await graphql(client, COMPLAINTS, token)).json()["data"]["me"]["complaints"]["totalCount"]
        await sign_in(client, resident["email"])
        question = await client.get("/make-a-complaint")
        assert question.status_code == 200 and h1(question.text) == "Make a complaint"
        answers = {"subject": "Bins not emptied", "description": "Missed three weeks running.", "desired_outcome": ""}
        sent = await client.post("/make-a-complaint", data={**answers, "csrf_token": csrf_of(question.text)})
        assert sent.headers["location"] == "/make-a-complaint/check-answers"
        check = await client.get("/make-a-complaint/check-answers")
        assert "Bins not emptied" in check.text and "Missed three weeks running." in check.text
        assert "Not given" in check.text
        assert links_of(check.text)["Change what your complaint is about"] == "/make-a-complaint#subject"
        again = await client.get("/make-a-complaint/check-answers")  # the back button: the same page, same token
        assert form_token_of(again.text) == form_token_of(check.text)

        form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
        double = await asyncio.gather(*(client.post("/make-a-complaint/check-answers", data=form) for _ in range(2)))
        assert [answer.headers["location"] for answer in double] == ["/make-a-complaint/confirmation"] * 2
        retried = await client.post("/make-a-complaint/check-answers", data=form)  # a resent page, later
        assert retried.headers["location"] == "/make-a-complaint/confirmation"

        confirmation = await client.get("/make-a-complaint/confirmation")
        panel = confirmation.text.split('class="govuk-panel', 1)[1].split("</div>\n", 1)[0]
        reference = REFERENCE.search(panel)
        assert reference, panel
        after = (await graphql(client, COMPLAINTS, token)).json()["data"]["me"]["complaints"]
        assert after["totalCount"] == before + 1, "two clicks and a resend made one complaint"
        assert reference.group(0) in {edge["node"]["reference"] for edge in after["edges"]}
        blank = await client.get("/make-a-complaint")
        assert "Bins not emptied" not in blank.text, "the sent draft is gone"


async def test_complaint_errors_come_from_the_apis_user_errors_as_summary_and_inline(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    resident = residents[3]
    async with running_app(own_council) as (_app, client):
        await sign_in(client, resident["email"])
        question = await client.get("/make-a-complaint")
        answers = {"subject": "  ", "description": "", "desired_outcome": "x" * 5000}
        await client.post("/make-a-complaint", data={**answers, "csrf_token": csrf_of(question.text)})
        check = await client.get("/make-a-complaint/check-answers")
        form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
        refused = await client.post("/make-a-complaint/check-answers", data=form)
        assert refused.headers["location"] == "/make-a-complaint"
        resent = await client.post("/make-a-complaint/check-answers", data=form)  # the same form, again
        assert resent.headers["location"] == "/make-a-complaint", "at once: the first sending's outcome is known"
        page = await client.get("/make-a-complaint")
        assert page.status_code == 200 and "<title>Error: Make a complaint" in page.text
        summary = page.text.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
        assert '<a href="#subject">Enter a subject</a>' in summary
        assert '<a href="#description">Enter what went wrong</a>' in summary
        assert 'href="#desired-outcome"' in summary
        for field in ("subject", "description", "desired-outcome"):
            assert f'id="{field}-error"' in page.text
        assert "govuk-error-summary" not in (await client.get("/make-a-complaint")).text, "shown once"
        fixed = {
            "subject": "Noise",
            "description": "Every night.",
            "desired_outcome": "",
            "csrf_token": form["csrf_token"],
        }
        await client.post("/make-a-complaint", data=fixed)
        check = await client.get("/make-a-complaint/check-answers")
        assert form_token_of(check.text) != form["form_token"], "the refused sending spent its token"
        done = await client.post(
            "/make-a-complaint/check-answers", data={**form, "form_token": form_token_of(check.text)}
        )
        assert done.headers["location"] == "/make-a-complaint/confirmation"


def test_the_portal_reaches_data_only_through_its_graphql_documents():
    """It imports nothing that reads or writes residents' data: only its own session store."""
    allowed = {"customer360.store.portal_sessions"}
    forbidden = ("customer360.store", "customer360.sources", "customer360.commands", "customer360.resolvers")
    for path in Path(customer360.portal.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                assert name in allowed or not name.startswith(forbidden), f"{path.name} imports {name}"


def test_the_portals_documents_are_valid_operations_and_load_as_a_trusted_document_list(tmp_path: Path):
    documents = all_documents()
    assert set(documents) >= {"PortalHome", "PortalCouncilTax", "PortalMyRequests", "PortalMakeComplaint"}
    schema = build_schema(production=True)._schema
    for name, text in documents.items():
        parsed = parse(text)
        assert not validate(schema, parsed), name
        assert [op.name.value for op in parsed.definitions if op.name] == [name], "one operation, named as its file"
    allowlist = tmp_path / "portal-documents.json"
    allowlist.write_text(json.dumps(list(documents.values())))
    assert len(TrustedDocuments.load(allowlist, enforce=True)) == len(documents)


def test_outside_demo_mode_the_session_cookie_is_secure_and_host_only():
    response = Response()
    Sessions(None, Fernet.generate_key(), secure=True).set_cookie(response, Session(id="opaque", csrf="c"))  # type: ignore[arg-type]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-c360_portal_session=opaque;")
    for attribute in ("HttpOnly", "Path=/", "SameSite=lax", "Secure"):
        assert attribute in cookie
    assert "Domain" not in cookie


async def test_every_link_and_asset_on_the_portals_pages_answers(
    demo_settings: Settings, residents: list[dict[str, str]]
):
    """No dead links: from the home page, every same-site link (but sign-out), stylesheet and script."""
    async with running_app(demo_settings) as (_app, client):
        await sign_in(client, residents[0]["email"])
        seen: set[str] = set()
        queue = ["/", "/make-a-complaint", "/sign-out"]
        while queue:
            url = queue.pop(0)
            path = url.split("#", 1)[0]
            if path in seen or not path.startswith("/"):
                continue
            seen.add(path)
            if path == "/sign-out":
                continue  # visited last, by hand, with its button: signing out ends the crawl's session
            answer = await client.get(path)
            assert answer.status_code == 200, f"{path} answers {answer.status_code}"
            if "text/html" in answer.headers["content-type"]:
                queue += list(links_of(answer.text).values())
                queue += re.findall(r'<(?:link|script)[^>]+(?:href|src)="(/[^"]+)"', answer.text)
        assert len(seen) > 10 and {"/council-tax", "/my-requests"} <= seen
        assert any(url.startswith("/static/portal.js?v=") for url in seen), "asset URLs carry their version"
        sign_out_page = await client.get("/sign-out")
        assert sign_out_page.status_code == 200
        await client.post("/sign-out", data={"csrf_token": csrf_of(sign_out_page.text)})
        signed_out = await client.get("/")
        assert h1(signed_out.text) == "My Tamworth"
        for link in links_of(signed_out.text).values():
            assert (await client.get(link)).status_code == 200, link


async def test_a_back_office_that_is_down_is_a_service_problem_page_and_a_complaint_is_still_taken(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]], caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    resident = residents[5]
    async with running_app(own_council) as (app, client):
        await sign_in(client, resident["email"])
        faults = app.state.runtime.faults
        faults.down.update({SourceSystem.REVENUES.value, SourceSystem.CRM.value})
        try:
            page = await client.get("/council-tax")
            assert page.status_code == 503 and h1(page.text) == "Sorry, there is a problem with the service"
            assert "Traceback" not in page.text
            home = await client.get("/")  # the account page still shows everything but Council Tax
            assert home.status_code == 200 and h1(home.text) == "Your account" and resident["name"] in home.text
            assert "We cannot show your Council Tax account right now" in home.text
            assert {text: links_of(home.text).get(text) for text in JOURNEY_LINKS} == JOURNEY_LINKS
            assert "We cannot show all your requests right now" in home.text, "not a count that is short"
            async with httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url)) as other:
                assert (await sign_in(other, residents[6]["email"])).headers["location"] == "/", "sign-in still works"
            listing = await client.get("/my-requests")
            assert listing.status_code == 200 and "We cannot show all your requests right now" in listing.text

            question = await client.get("/make-a-complaint")  # the CRM is down: the complaint waits in the outbox
            answers = {"subject": "Fly-tipping", "description": "Behind the shops.", "desired_outcome": "Clear it"}
            await client.post("/make-a-complaint", data={**answers, "csrf_token": csrf_of(question.text)})
            check = await client.get("/make-a-complaint/check-answers")
            form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
            sent = await client.post("/make-a-complaint/check-answers", data=form)
            assert sent.headers["location"] == "/make-a-complaint/confirmation"
            confirmation = await client.get("/make-a-complaint/confirmation")
            assert REFERENCE.search(confirmation.text.split('class="govuk-panel', 1)[1])
        finally:
            faults.down.clear()
    # Every level of the project's own loggers and the web stack's; the loggers that would print SQL
    # parameters or raw HTTP are held at WARNING by logging_config (its own test covers them).
    quiet = tuple(logging_config._QUIET)
    logged = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith(quiet))
    for personal in (resident["email"], resident["name"], "Fly-tipping", "Behind the shops."):
        assert personal not in logged, "no personal data or input values in logs"


async def test_a_session_store_that_cannot_be_reached_is_a_service_problem_page(demo_settings: Settings):
    """Redis configured but not answering (nothing listens on the port): a GOV.UK problem page, not a 500."""
    async with running_app(replace(demo_settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")) as (_app, client):
        page = await client.get("/sign-in")  # a visit keeps nothing (and reads nothing without a cookie)
        assert page.status_code == 200
        sent = await client.post("/sign-in", data={"email": "a@example.net", "csrf_token": csrf_of(page.text)})
        assert sent.status_code == 503 and h1(sent.text) == "Sorry, there is a problem with the service"
        client.cookies.set("c360_portal_session", "x")
        assert (await client.get("/")).status_code == 503
