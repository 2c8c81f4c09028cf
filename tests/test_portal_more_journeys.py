"""The portal's other journeys over HTTP (no browser): report a safeguarding concern (no sign-in, the 999
advice first), escalate a complaint, end a single person discount, tell us you are moving, and make a
payment through the provider's hosted page. Each: question page, check your answers, one request however
often the form is sent (a double click and a resent page), the API's userErrors as the error summary."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

import httpx

from customer360.auth.tokens import DemoIssuer
from customer360.clock import london_today
from customer360.domain.money import format_pence
from customer360.portal.sessions import Sessions, session_key
from customer360.settings import Settings
from tests.portal_support import REFERENCE, csrf_of, form_token_of, links_of, sign_in
from tests.support import graphql, running_app, serving_app
from tests.test_portal import h1
from tests.test_portal_journeys import error_links, resident_living_alone, send_twice_and_again

PANEL_REFERENCE = re.compile(r"Your reference number<br><strong>([^<]+)</strong>")
HOME_LINKS = (
    "Make a complaint",
    "Report a problem",
    "Council Tax",
    "My requests",
    "Apply for a single person discount",
    "Make a payment",
    "Tell us you are moving",
    "Apply for housing",
    "Report a safeguarding concern",
)
COMPLAINTS = "{ me { complaints(first: 50) { edges { node { id reference stage respondedAt } } } } }"
REQUESTS = "{ me { requests(first: 100) { edges { node { reference serviceCode status } } } } }"
PAYMENTS = "{ me { payments(first: 50) { edges { node { reference status amount { pence } } } } } }"


def date_fields(prefix: str, day: date) -> dict[str, str]:
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month), f"{prefix}-year": str(day.year)}


async def answer(client: httpx.AsyncClient, url: str, fields: dict[str, str]) -> httpx.Response:
    question = await client.get(url)
    assert question.status_code == 200, question.text
    return await client.post(url, data={**fields, "csrf_token": csrf_of(question.text)})


async def sent_once(client: httpx.AsyncClient, check: str, done: str) -> str:
    """Sends the check page twice at once and again; each lands on `done`; the reference it shows."""
    assert await send_twice_and_again(client, check) == [done] * 3
    confirmation = await client.get(done)
    found = PANEL_REFERENCE.search(confirmation.text)
    assert found, confirmation.text
    return found.group(1)


def after_pence(html: str) -> list[int]:
    """The "After" column of the check page's instalments table, in pence."""
    return [int(pence) for pence in re.findall(r'data-pence="(-?[0-9]+)"', html)]


async def instalments(client: httpx.AsyncClient, token: str, account: str) -> list[int]:
    query = "{ me { councilTaxAccounts { reference instalments { amount { pence } } } } }"
    accounts = (await graphql(client, query, token)).json()["data"]["me"]["councilTaxAccounts"]
    return [i["amount"]["pence"] for a in accounts if a["reference"] == account for i in a["instalments"]]


async def test_your_account_links_to_every_service_by_its_name(own_council: Settings, residents: list[dict[str, str]]):
    async with running_app(own_council) as (_app, client):
        await sign_in(client, residents[0]["email"])
        links = links_of((await client.get("/")).text)
    for text in HOME_LINKS:
        assert text in links, text
    for text, href in links.items():
        if text in HOME_LINKS:
            assert href.startswith("/"), href


async def test_a_safeguarding_concern_needs_no_sign_in_and_danger_is_told_to_call_999_first(own_council: Settings):
    async with running_app(own_council) as (_app, client):
        skipped = await client.get("/report-a-safeguarding-concern/details")
        assert skipped.headers["location"] == "/report-a-safeguarding-concern", "the 999 question comes first"
        refused = await answer(client, "/report-a-safeguarding-concern", {})
        assert refused.headers["location"] == "/report-a-safeguarding-concern"
        page = await client.get("/report-a-safeguarding-concern")
        assert "Select yes if someone is in immediate danger right now" in page.text
        danger = await answer(client, "/report-a-safeguarding-concern", {"danger": "yes"})
        assert danger.headers["location"] == "/report-a-safeguarding-concern/call-999"
        advice = await client.get("/report-a-safeguarding-concern/call-999")
        assert h1(advice.text) == "Call 999 now"

        blank = await answer(client, "/report-a-safeguarding-concern/details", {"about": "CHILD"})
        assert blank.headers["location"] == "/report-a-safeguarding-concern/check-answers"
        check = await client.get("/report-a-safeguarding-concern/check-answers")
        assert h1(check.text) == "Check your answers before sending your concern"
        form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
        refused_by_api = await client.post("/report-a-safeguarding-concern/check-answers", data=form)
        assert refused_by_api.headers["location"] == "/report-a-safeguarding-concern/details"
        errors = error_links((await client.get("/report-a-safeguarding-concern/details")).text)
        assert list(errors.values()) == ["#description"], errors

        fields = {"about": "CHILD", "description": "A child left alone all week", "where": "Market Street"}
        await answer(client, "/report-a-safeguarding-concern/details", fields)
        reference = await sent_once(
            client, "/report-a-safeguarding-concern/check-answers", "/report-a-safeguarding-concern/confirmation"
        )
        receipt = await graphql(
            client, "query($r: String!) { safeguardingReceipt(reference: $r) { received } }", variables={"r": reference}
        )
    assert receipt.json()["data"]["safeguardingReceipt"] == {"received": True}


async def test_a_complaint_with_its_stage_1_reply_is_escalated_once(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        for resident in residents:
            token = issuer.resident_token(resident["email"])
            edges = (await graphql(client, COMPLAINTS, token)).json()["data"]["me"]["complaints"]["edges"]
            replied = [e["node"] for e in edges if e["node"]["stage"] == "STAGE_1" and e["node"]["respondedAt"]]
            if replied:
                break
        else:
            raise AssertionError("no demo resident with a replied complaint")
        await sign_in(client, resident["email"])
        question = await client.get("/escalate-a-complaint")
        assert replied[0]["reference"] in question.text
        await answer(client, "/escalate-a-complaint", {"complaint": replied[0]["id"], "reason": ""})
        check = await client.get("/escalate-a-complaint/check-answers")
        assert h1(check.text) == "Check your answers before escalating your complaint"
        await send_twice_and_again(client, "/escalate-a-complaint/check-answers")
        errors = error_links((await client.get("/escalate-a-complaint")).text)
        assert list(errors.values()) == ["#reason"], errors

        await answer(client, "/escalate-a-complaint", {"complaint": replied[0]["id"], "reason": "Nothing changed"})
        reference = await sent_once(client, "/escalate-a-complaint/check-answers", "/escalate-a-complaint/confirmation")
        assert reference == replied[0]["reference"], "the complaint keeps its one reference"
        edges = (await graphql(client, COMPLAINTS, token)).json()["data"]["me"]["complaints"]["edges"]
        assert {e["node"]["reference"]: e["node"]["stage"] for e in edges}[reference] == "STAGE_2"
        again = await client.get("/escalate-a-complaint")
        assert replied[0]["reference"] not in again.text, "at stage 2 it is no longer offered"


async def test_a_single_person_discount_applied_for_is_ended_once(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        resident, account = await resident_living_alone(client, issuer, residents)
        token = issuer.resident_token(resident["email"])
        await sign_in(client, resident["email"])
        assert "You have no single person discount to end" in (await client.get("/single-person-discount/end")).text
        starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=5))
        await answer(client, "/single-person-discount", {**date_fields("starts-on", starts_on), "declaration": "yes"})
        previewed = after_pence((await client.get("/single-person-discount/check-answers")).text)
        assert previewed and sum(previewed) < sum(await instalments(client, token, account["reference"]))
        await sent_once(client, "/single-person-discount/check-answers", "/single-person-discount/confirmation")
        assert await instalments(client, token, account["reference"]) == previewed, "the preview is what applying did"

        await answer(
            client,
            "/single-person-discount/end",
            {"account": account["reference"], "ends-on-day": "31", "ends-on-month": "2", "ends-on-year": "2026"},
        )
        errors = error_links((await client.get("/single-person-discount/end")).text)
        assert errors == {"The date the discount ends must be a real date": "#ends-on-day"}
        ends_on = london_today() + timedelta(days=3)
        await answer(
            client,
            "/single-person-discount/end",
            {"account": account["reference"], **date_fields("ends-on", ends_on), "reason": "Partner"},
        )
        check = await client.get("/single-person-discount/end/check-answers")
        assert f"{ends_on.day} {ends_on.strftime('%B')} {ends_on.year}" in check.text
        previewed = after_pence(check.text)
        reference = await sent_once(
            client, "/single-person-discount/end/check-answers", "/single-person-discount/end/confirmation"
        )
        assert await instalments(client, token, account["reference"]) == previewed, "the preview is what ending did"
        discounts = (
            await graphql(
                client, "{ me { discounts { reference status endsOn } } }", issuer.resident_token(resident["email"])
            )
        ).json()["data"]["me"]["discounts"]
    ended = [d for d in discounts if d["reference"] == reference]
    assert len(ended) == 1 and ended[0]["endsOn"] == ends_on.isoformat()


async def test_telling_us_you_are_moving_out_makes_one_request(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    resident = residents[3]
    async with running_app(own_council) as (_app, client):
        await sign_in(client, resident["email"])
        await answer(client, "/tell-us-you-are-moving", {"move-date-day": "1"})
        errors = error_links((await client.get("/tell-us-you-are-moving")).text)
        assert errors == {
            "Select where you are moving": "#kind",
            "The date you move must include a month and year": "#move-date-day",
        }
        moves_on = london_today() + timedelta(days=14)
        await answer(client, "/tell-us-you-are-moving", {"kind": "OUT", **date_fields("move-date", moves_on)})
        reference = await sent_once(
            client, "/tell-us-you-are-moving/check-answers", "/tell-us-you-are-moving/confirmation"
        )
        edges = (await graphql(client, REQUESTS, issuer.resident_token(resident["email"]))).json()["data"]["me"]
    assert [e["node"]["reference"] for e in edges["requests"]["edges"]].count(reference) == 1


async def test_a_council_tax_payment_goes_through_the_hosted_page_and_comes_back_to_its_confirmation(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with serving_app(own_council) as (_app, client):
        resident, account = await resident_living_alone(client, issuer, residents)
        await sign_in(client, resident["email"])
        await answer(client, "/make-a-payment", {"account": account["reference"], "amount": "12.3x"})
        errors = error_links((await client.get("/make-a-payment")).text)
        assert errors == {"Enter the amount in pounds and pence, like 25.50": "#amount"}
        limit = f"Enter an amount between £0.01 and {format_pence(own_council.max_payment_pence)}"
        for amount, told in [
            ("1e30", "Enter the amount in pounds and pence, like 25.50"),  # cannot be rounded to pence
            ("9" * 40, "Enter the amount in pounds and pence, like 25.50"),
            ("-5", limit),
            ("0.00", limit),
            (str(own_council.max_payment_pence // 100 + 1), limit),
            ("99999999999", limit),  # more pence than a GraphQL Int holds
        ]:
            refused = await answer(client, "/make-a-payment", {"account": account["reference"], "amount": amount})
            assert refused.status_code == 303 and refused.headers["location"] == "/make-a-payment", amount
            assert error_links((await client.get("/make-a-payment")).text) == {told: "#amount"}, amount
        await answer(client, "/make-a-payment", {"account": account["reference"], "amount": "12.34"})
        sent = await send_twice_and_again(client, "/make-a-payment/check-answers")
        assert sent == ["/make-a-payment/pay"] * 3
        to_provider = await client.get("/make-a-payment/pay")
        assert h1(to_provider.text) == "Pay £12.34"
        next_url = links_of(to_provider.text)["Continue to the payment page"]
        async with httpx.AsyncClient() as browser:
            provider_page = await browser.get(next_url)
            assert provider_page.status_code == 200
            paid = await browser.post(next_url, data={"outcome": "success"})
        assert paid.status_code == 303 and paid.headers["location"].endswith("/make-a-payment/return")
        confirmation = await _eventually_paid(client)
        payments = (await graphql(client, PAYMENTS, issuer.resident_token(resident["email"]))).json()["data"]["me"]
    reference = REFERENCE.search(confirmation)
    assert reference
    made = [e["node"] for e in payments["payments"]["edges"] if e["node"]["reference"] == reference.group(0)]
    assert made == [{"reference": reference.group(0), "status": "SUCCESS", "amount": {"pence": 1234}}]


async def _eventually_paid(client: httpx.AsyncClient) -> str:
    for _ in range(50):
        page = await client.get("/make-a-payment/return")
        if h1(page.text) == "Payment complete" or "Payment complete" in page.text:
            return page.text
        await asyncio.sleep(0.2)
    raise AssertionError(page.text)


HOUSING = "{ me { housingApplications { reference status } } }"


async def test_a_housing_application_saved_for_later_survives_signing_out_and_is_sent_once(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        for resident in residents[5:]:
            token = issuer.resident_token(resident["email"])
            if not (await graphql(client, HOUSING, token)).json()["data"]["me"]["housingApplications"]:
                break
        await sign_in(client, resident["email"])
        first = {**date_fields("dob", date(1988, 4, 2)), "member-1-relationship": "CHILD", "action": "save"}
        saved = await answer(client, "/apply-for-housing", first)
        assert saved.headers["location"] == "/apply-for-housing/saved"
        home = await client.get("/")
        await client.post("/sign-out", data={"csrf_token": csrf_of(home.text)})
        assert (await client.get("/apply-for-housing")).headers["location"] == "/sign-in"

        await sign_in(client, resident["email"])
        listed = await client.get("/my-requests")
        assert "Saved, not sent yet" in listed.text and "Draft" in listed.text
        resumed = await client.get("/apply-for-housing")
        assert 'value="1988"' in resumed.text and 'value="CHILD" selected' in resumed.text, "the saved answers"

        await answer(client, "/apply-for-housing", {**first, "action": "continue"})
        errors = error_links((await client.get("/apply-for-housing")).text)
        assert errors == {
            "Enter person 1's date of birth": "#member-1-dob-day",
            "Select where you live now": "#tenure",
            "Select your household's income": "#income",
        }
        complete = {
            **first,
            **date_fields("member-1-dob", date(2016, 9, 1)),
            "tenure": "PRIVATE_RENTED",
            "reason": "Two of us in one bedroom",
            "income": "UNDER_15K",
            "local": "yes",
            "action": "continue",
        }
        # The form leads to the (optional) evidence step, then check your answers.
        assert (await answer(client, "/apply-for-housing", complete)).headers["location"] == (
            "/apply-for-housing/evidence"
        )
        reference = await sent_once(client, "/apply-for-housing/check-answers", "/apply-for-housing/confirmation")
        assert "Saved, not sent yet" not in (await client.get("/my-requests")).text, "sent: no longer a draft"
        applications = (await graphql(client, HOUSING, token)).json()["data"]["me"]["housingApplications"]
    assert [a["reference"] for a in applications].count(reference) == 1


async def test_a_housing_draft_is_never_saved_under_an_empty_owner(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    """A resident whose session no longer names a customer (`me` is null: unlinked since sign-in) saving
    for later: refused as a sign-in that no longer holds, and nothing kept under the empty owner."""
    async with running_app(own_council) as (app, client):
        await sign_in(client, residents[5]["email"])
        runtime = app.state.runtime
        sessions = Sessions(
            runtime.portal_sessions, session_key(own_council.data_dir, own_council.session_secret), secure=False
        )
        session = await sessions._kept(client.cookies[sessions.cookie])
        assert session is not None
        session.token = issuer.resident_token("no-longer-linked@example.com")
        await sessions.save(session)
        first = {**date_fields("dob", date(1988, 4, 2)), "action": "save"}
        refused = await answer(client, "/apply-for-housing", first)
        assert refused.status_code == 200 and "Your sign-in has expired" in refused.text
        assert await sessions.saved("", "housing") is None
