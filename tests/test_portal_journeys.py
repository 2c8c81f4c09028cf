"""The portal's Report a problem and Apply for a single person discount journeys over HTTP (no browser):
each question page drawn from what the API says, check your answers, one request however often the
form is sent, and the API's userErrors as the error summary and inline messages."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from customer360 import logging_config
from customer360.auth.principal import Role
from customer360.auth.tokens import DemoIssuer
from customer360.clock import london_today
from customer360.domain.systems import SourceSystem
from customer360.portal.sessions import Session, Sessions, session_key
from customer360.settings import Settings
from customer360.store.database import create_engine
from customer360.store.tables import intents, portal_sessions
from tests.portal_support import REFERENCE, csrf_of, form_token_of, links_of, sign_in
from tests.support import graphql, running_app
from tests.test_portal import h1
from tests.test_single_person_discount import ACCOUNTS

MY_REQUESTS = "{ me { requests(first: 100) { edges { node { reference } } } } }"
IN_BOROUGH = {"latitude": "52.6339", "longitude": "-1.6950"}  # Tamworth town centre
DEFINE = """mutation($input: DefineServiceInput!) { defineService(input: $input) {
  service { code name } userErrors { field code message } } }"""
HEDGE = {
    "code": "OVERGROWN_HEDGE",
    "name": "Report an overgrown hedge",
    "group": "Streets",
    "description": "A hedge blocking a path or a sign.",
    "attributes": [
        {"code": "HEIGHT", "description": "How high is it, in metres?", "datatype": "number", "required": True,
         "min": 1, "max": 10},
        {"code": "BLOCKS", "description": "What does it block?", "datatype": "multivaluelist", "required": True,
         "values": ["Footpath", "Road sign", "Street light"]},
        {"code": "OWNER", "description": "Whose hedge is it, if you know?", "datatype": "string", "required": False,
         "maxLength": 40},
        {"code": "MORE", "description": "Anything else we should know", "datatype": "text", "required": False,
         "maxLength": 200},
    ],
    "signInRequired": False,
    "routeTo": "ENVIRONMENTAL_HEALTH",
    "expectedDays": 10,
}  # fmt: skip


async def intents_described(settings: Settings, description: str) -> list[dict[str, Any]]:
    """What the gateway kept with this description (each a request the portal made)."""
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(intents.c.reference, intents.c.payload))).all()
    finally:
        await engine.dispose()
    return [{"reference": r.reference, **r.payload} for r in rows if r.payload.get("description") == description]


async def fill_report(client: httpx.AsyncClient, code: str, answers: dict[str, Any]) -> httpx.Response:
    """The question page of `code`, then its form sent with `answers`: the answer to the POST."""
    question = await client.get(f"/report-a-problem/{code}")
    assert question.status_code == 200, question.text
    return await client.post(f"/report-a-problem/{code}", data={**answers, "csrf_token": csrf_of(question.text)})


async def send_twice_and_again(client: httpx.AsyncClient, check_url: str) -> list[str]:
    """The check-answers form sent twice at once (a double click) and once more later (a resent page)."""
    check = await client.get(check_url)
    assert check.status_code == 200, check.text
    form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
    double = await asyncio.gather(*(client.post(check_url, data=form) for _ in range(2)))
    retried = await client.post(check_url, data=form)
    return [answer.headers["location"] for answer in (*double, retried)]


def error_links(html: str) -> dict[str, str]:
    summary = html.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return {text: href for text, href in links_of(summary).items()}


async def test_report_a_problem_offers_each_service_by_group_and_draws_each_question_from_its_definition(
    own_council: Settings, staff_token
):
    async with running_app(own_council) as (_app, client):
        admin = staff_token(Role.ADMIN)
        defined = (await graphql(client, DEFINE, admin, {"input": HEDGE})).json()["data"]["defineService"]
        assert defined["userErrors"] == []
        choose = await client.get("/report-a-problem")  # anonymous: street problems need no sign-in
        assert choose.status_code == 200 and h1(choose.text) == "Report a problem"
        assert '<h2 class="govuk-heading-m">Green &amp; Clean</h2>' in choose.text
        links = links_of(choose.text)
        for name, code in (("Litter", "LITTER"), ("Broken glass", "BROKEN_GLASS"), ("Graffiti", "GRAFFITI")):
            assert links[name] == f"/report-a-problem/{code}"
        assert links["Report an overgrown hedge"] == "/report-a-problem/OVERGROWN_HEDGE"

        litter = (await client.get("/report-a-problem/LITTER")).text
        assert h1(litter) == "Litter"
        assert litter.count('name="attribute-0" type="radio"') == 4, "a single-value list is radios"
        assert "How much is there? (optional)" in litter
        hedge = (await client.get("/report-a-problem/OVERGROWN_HEDGE")).text
        assert hedge.count('name="attribute-1" type="checkbox"') == 3, "a multi-value list is checkboxes"
        assert 'name="attribute-0"' in hedge and "A number from 1 to 10" in hedge and 'inputmode="decimal"' in hedge
        assert "No more than 40 characters" in hedge, "a string's declared limit"
        assert 'data-maxlength="200"' in hedge, "a text's limit is a character count"
        assert 'id="contact-email"' in hedge and "Email address (optional)" in hedge
        fly_tipping = (await client.get("/report-a-problem/FLY_TIPPING")).text
        assert "The date and time, for example" in fly_tipping, "a datetime question"
        assert (await client.get("/report-a-problem/NO_SUCH_SERVICE")).status_code == 404
        licence = (await client.get("/report-a-problem/PREMISES_LICENCE")).text
        assert 'href="/sign-in">sign in</a> to use this service' in licence
        assert 'name="description"' not in licence, "no form to fill in vain"


async def test_an_anonymous_report_goes_through_check_answers_once_however_often_it_is_sent(own_council: Settings):
    description = "Smashed bottle outside the library (portal, anonymous)"
    async with running_app(own_council) as (_app, client):
        answers = {**IN_BOROUGH, "attribute-0": "Yes", "description": description, "contact_email": "a@example.net"}
        sent = await fill_report(client, "BROKEN_GLASS", answers)
        assert sent.headers["location"] == "/report-a-problem/check-answers"
        check = await client.get("/report-a-problem/check-answers")
        assert h1(check.text) == "Check your answers before sending your report"
        for shown in ("Broken glass", "52.6339, -1.6950", "Is it on or by a play area?", description, "a@example.net"):
            assert shown in check.text
        assert links_of(check.text)["Change the description"] == "/report-a-problem/BROKEN_GLASS#description"
        again = await client.get("/report-a-problem/check-answers")  # the back button: same page, same token
        assert form_token_of(again.text) == form_token_of(check.text)

        locations = await send_twice_and_again(client, "/report-a-problem/check-answers")
        assert locations == ["/report-a-problem/confirmation"] * 3
        confirmation = await client.get("/report-a-problem/confirmation")
        panel = confirmation.text.split('class="govuk-panel', 1)[1].split("</div>\n", 1)[0]
        reference = REFERENCE.search(panel)
        assert reference
        kept = await intents_described(own_council, description)
        assert [k["reference"] for k in kept] == [reference.group(0)], "two clicks and a resend made one report"
        assert kept[0]["contact_email"] == "a@example.net" and kept[0]["location"]["latitude"] == 52.6339
        assert "Keep your reference number" in confirmation.text


async def test_a_signed_in_resident_reports_at_an_address_near_home_and_sees_it_in_my_requests(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    resident = residents[7]
    description = "Graffiti on the garages (portal)"
    async with running_app(own_council) as (app, client):
        await sign_in(client, resident["email"])
        question = (await client.get("/report-a-problem/GRAFFITI")).text
        options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', question)
        assert options, "addresses at the resident's postcode, from the gazetteer"
        uprn, label = options[0]
        assert app.state.runtime.services.addresses.by_uprn(uprn) is not None
        assert 'id="contact-email"' not in question, "a signed-in resident is replied to at their own address"
        answers = {"uprn": uprn, "attribute-0": "No", "attribute-1": "Brick", "description": description}
        await fill_report(client, "GRAFFITI", answers)
        check = await client.get("/report-a-problem/check-answers")
        assert label.strip() in check.text and "Brick" in check.text
        locations = await send_twice_and_again(client, "/report-a-problem/check-answers")
        assert locations == ["/report-a-problem/confirmation"] * 3
        reference = REFERENCE.search((await client.get("/report-a-problem/confirmation")).text)
        assert reference
        listed = await graphql(client, MY_REQUESTS, issuer.resident_token(resident["email"]))
        mine = listed.json()["data"]["me"]["requests"]["edges"]
        assert reference.group(0) in {edge["node"]["reference"] for edge in mine}
        assert len(await intents_described(own_council, description)) == 1


async def test_report_errors_come_back_as_the_summary_and_beside_each_question(own_council: Settings):
    async with running_app(own_council) as (_app, client):
        not_numbers = {"latitude": "north", "longitude": "-1.69", "description": "x"}
        refused = await fill_report(client, "LITTER", not_numbers)
        assert refused.headers["location"] == "/report-a-problem/LITTER", "the portal cannot send a word as a number"
        page = await client.get("/report-a-problem/LITTER")
        assert "<title>Error: Litter" in page.text
        assert error_links(page.text) == {"Enter the latitude as a number, like 52.6339": "#latitude"}
        assert 'value="north"' in page.text, "what was typed is kept"

        await fill_report(client, "LITTER", {"latitude": "", "longitude": "", "description": "", "contact_email": "no"})
        check = await client.get("/report-a-problem/check-answers")
        form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
        assert (await client.post("/report-a-problem/check-answers", data=form)).headers["location"] == (
            "/report-a-problem/LITTER"
        )
        resent = await client.post("/report-a-problem/check-answers", data=form)
        assert resent.headers["location"] == "/report-a-problem/LITTER", "the first sending's outcome, at once"
        page = await client.get("/report-a-problem/LITTER")
        hrefs = set(error_links(page.text).values())
        assert {"#latitude", "#attribute-0", "#description", "#contact-email"} <= hrefs, error_links(page.text)
        for element in ("latitude", "attribute-0", "description", "contact-email"):
            assert f'id="{element}-error"' in page.text
        assert "govuk-error-summary" not in (await client.get("/report-a-problem/LITTER")).text, "shown once"

        outside = {"latitude": "52.48", "longitude": "-1.89", "attribute-0": "Food", "description": "Chips"}
        await fill_report(client, "LITTER", outside)  # Birmingham: not the council's to clean
        check = await client.get("/report-a-problem/check-answers")
        form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
        await client.post("/report-a-problem/check-answers", data=form)
        assert "#latitude" in error_links((await client.get("/report-a-problem/LITTER")).text).values()


async def test_report_forms_need_the_sessions_csrf_token_and_a_draft_is_no_one_elses(own_council: Settings):
    async with running_app(own_council) as (_app, client):
        forged = await client.post("/report-a-problem/LITTER", data={"description": "x", "csrf_token": "forged"})
        assert forged.status_code == 403
        await fill_report(client, "LITTER", {**IN_BOROUGH, "attribute-0": "Food", "description": "Mine"})
        check = await client.get("/report-a-problem/check-answers")
        async with httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url)) as stranger:
            no_session = await stranger.post("/report-a-problem/check-answers", data={"form_token": "x"})
            assert no_session.status_code == 403
            assert (await stranger.get("/report-a-problem/check-answers")).headers["location"] == "/report-a-problem"
            other = await stranger.get("/report-a-problem/LITTER")
            taken = await stranger.post(
                "/report-a-problem/check-answers",
                data={"csrf_token": csrf_of(other.text), "form_token": form_token_of(check.text)},
            )
            assert taken.headers["location"] == "/report-a-problem/check-answers", (
                "another session's token opens nothing"
            )
        assert await intents_described(own_council, "Mine") == []


async def test_a_staff_defined_service_is_linked_from_your_account_by_its_name(
    own_council: Settings, staff_token, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        await sign_in(client, residents[8]["email"])
        assert "Report an overgrown hedge" not in links_of((await client.get("/")).text)
        defined = (await graphql(client, DEFINE, staff_token(Role.ADMIN), {"input": HEDGE})).json()
        assert defined["data"]["defineService"]["userErrors"] == []
        links = links_of((await client.get("/")).text)
        assert links["Report an overgrown hedge"] == "/report-a-problem/OVERGROWN_HEDGE", "at once, by its name"
        description = "Hedge over the path by the school"
        answers = {**IN_BOROUGH, "attribute-0": "11", "attribute-1": "Footpath", "description": description}
        await fill_report(client, "OVERGROWN_HEDGE", answers)
        check = await client.get("/report-a-problem/check-answers")
        form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
        await client.post("/report-a-problem/check-answers", data=form)
        page = await client.get("/report-a-problem/OVERGROWN_HEDGE")
        assert error_links(page.text) == {"Enter a number from 1 to 10": "#attribute-0"}
        question = await client.get("/report-a-problem/OVERGROWN_HEDGE")
        fixed = {**IN_BOROUGH, "attribute-0": "2", "attribute-1": ["Footpath", "Road sign"], "description": description}
        fixed["csrf_token"] = csrf_of(question.text)
        await client.post("/report-a-problem/OVERGROWN_HEDGE", data=fixed)
        assert "Footpath, Road sign" in (await client.get("/report-a-problem/check-answers")).text
        assert (await send_twice_and_again(client, "/report-a-problem/check-answers"))[0].endswith("/confirmation")
        (kept,) = await intents_described(own_council, description)
        assert kept["attributes"][1]["values"] == ["Footpath", "Road sign"]


async def test_with_back_offices_down_the_services_still_known_are_offered_and_a_report_is_kept(
    own_council: Settings, staff_token, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    description = "Hedge over the bus stop (portal, back offices down)"
    async with running_app(own_council) as (app, client):
        assert (await graphql(client, DEFINE, staff_token(Role.ADMIN), {"input": HEDGE})).status_code == 200
        app.state.runtime.faults.down.update({SourceSystem.STREET_SCENE.value, SourceSystem.CRM.value})
        try:
            choose = await client.get("/report-a-problem")
            assert choose.status_code == 200 and "We cannot show every service right now" in choose.text
            assert "Report an overgrown hedge" in links_of(choose.text), "defined services live in the gateway"
            litter = await client.get("/report-a-problem/LITTER")
            assert litter.status_code == 503, "not 'page not found': the contractor cannot say what it offers"
            assert h1(litter.text) == "Sorry, there is a problem with the service"
            answers = {**IN_BOROUGH, "attribute-0": "3", "attribute-1": "Footpath", "description": description}
            await fill_report(client, "OVERGROWN_HEDGE", answers)
            assert (await send_twice_and_again(client, "/report-a-problem/check-answers"))[0].endswith("/confirmation")
            assert REFERENCE.search((await client.get("/report-a-problem/confirmation")).text)
        finally:
            app.state.runtime.faults.down.clear()
        assert len(await intents_described(own_council, description)) == 1, "kept, to be delivered when it is back"
    quiet = tuple(logging_config._QUIET)
    logged = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith(quiet))
    assert description not in logged and "Footpath" not in logged, "no input values in logs"


async def resident_living_alone(
    client: httpx.AsyncClient, issuer: DemoIssuer, residents: list[dict[str, str]]
) -> tuple[dict[str, str], dict[str, Any]]:
    """A resident liable for exactly one account, without a discount, and nobody else at home on record."""
    for resident in residents:
        me = (await graphql(client, ACCOUNTS, issuer.resident_token(resident["email"]))).json()["data"]["me"]
        current = [a for a in me["councilTaxAccounts"] if a["liableTo"] is None]
        household = [m for c in me["benefitClaims"] if c["status"] in ("AWARDED", "ASSESSING") for m in c["household"]]
        if len(current) == 1 and not current[0]["discounts"] and not household:
            return resident, current[0]
    raise AssertionError("no demo resident of that kind in the sample")


def date_fields(day: date) -> dict[str, str]:
    return {"starts-on-day": str(day.day), "starts-on-month": str(day.month), "starts-on-year": str(day.year)}


async def test_single_person_discount_is_applied_once_and_a_second_application_is_already_applied(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        resident, account = await resident_living_alone(client, issuer, residents)
        token = issuer.resident_token(resident["email"])
        await sign_in(client, resident["email"])
        question = await client.get("/single-person-discount")
        assert h1(question.text) == "Apply for a single person discount"
        assert account["reference"] in question.text and 'type="radio"' not in question.text, "one account: no choice"
        starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=5))
        answers = {**date_fields(starts_on), "declaration": "yes", "csrf_token": csrf_of(question.text)}
        sent = await client.post("/single-person-discount", data=answers)
        assert sent.headers["location"] == "/single-person-discount/check-answers"
        check = await client.get("/single-person-discount/check-answers")
        assert h1(check.text) == "Check your answers before applying"
        assert f"{starts_on.day} {starts_on.strftime('%B')} {starts_on.year}" in check.text

        locations = await send_twice_and_again(client, "/single-person-discount/check-answers")
        assert locations == ["/single-person-discount/confirmation"] * 3
        confirmation = await client.get("/single-person-discount/confirmation")
        panel = confirmation.text.split('class="govuk-panel', 1)[1].split("</div>\n", 1)[0]
        reference = REFERENCE.search(panel)
        assert "Application sent" in panel and reference
        after = (await graphql(client, ACCOUNTS, token)).json()["data"]["me"]["councilTaxAccounts"]
        discounts = next(a for a in after if a["reference"] == account["reference"])["discounts"]
        assert len(discounts) == 1, "two clicks and a resend made one application"
        listed = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
        assert reference.group(0) in {edge["node"]["reference"] for edge in listed}, "the reference is in My requests"

        await client.post("/single-person-discount", data=answers)
        check = await client.get("/single-person-discount/check-answers")
        form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
        assert (await client.post("/single-person-discount/check-answers", data=form)).headers["location"] == (
            "/single-person-discount"
        )
        page = await client.get("/single-person-discount")
        assert error_links(page.text) == {
            "This account already has a single person discount, or an application for one": "#account"
        }
        assert 'id="account"' in page.text


async def test_single_person_discount_date_and_declaration_errors(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        resident, account = await resident_living_alone(client, issuer, residents)
        await sign_in(client, resident["email"])
        for fields, message in (
            ({}, "Enter the date the discount should start from"),
            ({"starts-on-day": "3", "starts-on-year": "2026"}, "The start date must include a month"),
            ({"starts-on-day": "31", "starts-on-month": "2", "starts-on-year": "2026"}, "The start date must be a real date"),  # noqa: E501
        ):  # fmt: skip
            question = await client.get("/single-person-discount")
            refused = await client.post(
                "/single-person-discount", data={**fields, "csrf_token": csrf_of(question.text)}
            )
            assert refused.headers["location"] == "/single-person-discount"
            page = await client.get("/single-person-discount")
            assert error_links(page.text) == {message: "#starts-on-day"}
            assert 'id="starts-on-error"' in page.text
        question = await client.get("/single-person-discount")
        good = {**date_fields(london_today()), "declaration": "yes", "csrf_token": csrf_of(question.text)}
        await client.post("/single-person-discount", data=good)
        check = await client.get("/single-person-discount/check-answers")
        stale = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
        await client.post("/single-person-discount", data={**good, "starts-on-month": "13"})  # back, and changed
        assert (await client.get("/single-person-discount/check-answers")).headers[
            "location"
        ] == "/single-person-discount"
        resent = await client.post("/single-person-discount/check-answers", data=stale)  # the old check page, sent
        assert resent.headers["location"] == "/single-person-discount/check-answers", "nothing sent"
        far = date_fields(london_today() + timedelta(days=400))
        await client.post("/single-person-discount", data={**far, "csrf_token": csrf_of(question.text)})
        check = await client.get("/single-person-discount/check-answers")
        assert "Not confirmed" in check.text
        form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
        await client.post("/single-person-discount/check-answers", data=form)
        page = await client.get("/single-person-discount")
        hrefs = error_links(page.text)
        assert hrefs["Confirm that you are the only adult living at the property"] == "#declaration"
        assert "#starts-on-day" in hrefs.values()
        after = (await graphql(client, ACCOUNTS, issuer.resident_token(resident["email"]))).json()["data"]["me"]
        assert next(a for a in after["councilTaxAccounts"] if a["reference"] == account["reference"])["discounts"] == []


async def test_single_person_discount_needs_sign_in_and_refuses_another_residents_account(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        assert (await client.get("/single-person-discount")).headers["location"] == "/sign-in"
        resident, _account = await resident_living_alone(client, issuer, residents)
        stranger = next(r for r in residents if r["email"] != resident["email"])
        theirs = (await graphql(client, ACCOUNTS, issuer.resident_token(stranger["email"]))).json()["data"]["me"]
        their_reference = theirs["councilTaxAccounts"][0]["reference"]
        await sign_in(client, resident["email"])
        question = await client.get("/single-person-discount")
        assert their_reference not in question.text
        forged = await client.post("/single-person-discount", data={"account": their_reference, "csrf_token": "x"})
        assert forged.status_code == 403
        answers = {**date_fields(london_today()), "declaration": "yes", "account": their_reference}
        await client.post("/single-person-discount", data={**answers, "csrf_token": csrf_of(question.text)})
        check = await client.get("/single-person-discount/check-answers")
        form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
        await client.post("/single-person-discount/check-answers", data=form)
        page = await client.get("/single-person-discount")
        assert "#account" in error_links(page.text).values(), "another resident's account is refused by the API"
        after = (await graphql(client, ACCOUNTS, issuer.resident_token(stranger["email"]))).json()["data"]["me"]
        assert after["councilTaxAccounts"][0]["discounts"] == theirs["councilTaxAccounts"][0]["discounts"]


async def test_single_person_discount_with_revenues_down_is_a_service_problem_page_and_the_resent_form_applies_once(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (app, client):
        resident, account = await resident_living_alone(client, issuer, residents)
        await sign_in(client, resident["email"])
        faults = app.state.runtime.faults
        faults.down.add(SourceSystem.REVENUES.value)
        try:
            page = await client.get("/single-person-discount")
            assert page.status_code == 503 and h1(page.text) == "Sorry, there is a problem with the service"
        finally:
            faults.down.clear()
        question = await client.get("/single-person-discount")
        starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=5))
        answers = {**date_fields(starts_on), "declaration": "yes", "csrf_token": csrf_of(question.text)}
        await client.post("/single-person-discount", data=answers)
        check = await client.get("/single-person-discount/check-answers")
        form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
        faults.down.add(SourceSystem.REVENUES.value)  # down between checking the answers and sending them
        try:
            failed = await client.post("/single-person-discount/check-answers", data=form)
            assert failed.status_code == 503 and "check My requests before sending it again" in failed.text
        finally:
            faults.down.clear()
        retried = await client.post("/single-person-discount/check-answers", data=form)  # the resident tries again
        assert retried.headers["location"] == "/single-person-discount/confirmation"
        after = (await graphql(client, ACCOUNTS, issuer.resident_token(resident["email"]))).json()["data"]["me"]
        assert (
            len(next(a for a in after["councilTaxAccounts"] if a["reference"] == account["reference"])["discounts"])
            == 1
        )


async def test_a_sending_cut_short_by_a_slow_back_office_gives_its_token_back_and_the_resent_form_applies_once(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    """The API call has less time than the page: a slow back office is a service-problem page before the
    page's own limit, the form's token is given back, and the resent form (same Idempotency-Key) applies
    once. A second click meanwhile waits no longer than an API call may take."""
    async with running_app(replace(own_council, request_timeout_seconds=3.0)) as (app, client):
        resident, account = await resident_living_alone(client, issuer, residents)
        await sign_in(client, resident["email"])
        question = await client.get("/single-person-discount")
        starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=5))
        answers = {**date_fields(starts_on), "declaration": "yes", "csrf_token": csrf_of(question.text)}
        await client.post("/single-person-discount", data=answers)
        check = await client.get("/single-person-discount/check-answers")
        form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
        faults = app.state.runtime.faults
        faults.latency_seconds = 4.0  # slower than the page may take
        try:
            started = time.monotonic()
            answered = await asyncio.gather(
                *(client.post("/single-person-discount/check-answers", data=form) for _ in range(2))
            )
            took = time.monotonic() - started
        finally:
            faults.latency_seconds = 0.0
        statuses = sorted(answer.status_code for answer in answered)
        assert statuses == [303, 503], statuses  # not a 504: the page ended before its limit
        assert took < 3.0
        assert next(a for a in answered if a.status_code == 303).headers["location"] == (
            "/single-person-discount/check-answers"
        )
        assert form_token_of((await client.get("/single-person-discount/check-answers")).text) == form["form_token"]
        for _ in range(20):  # the first attempt's key may still be held by the API for a moment: a 503 again
            retried = await client.post("/single-person-discount/check-answers", data=form)
            if retried.status_code != 503:
                break
            await asyncio.sleep(0.5)
        assert retried.headers["location"] == "/single-person-discount/confirmation"
        again = await client.post("/single-person-discount/check-answers", data=form)
        assert again.headers["location"] == "/single-person-discount/confirmation"
        after = (await graphql(client, ACCOUNTS, issuer.resident_token(resident["email"]))).json()["data"]["me"]
        assert (
            len(next(a for a in after["councilTaxAccounts"] if a["reference"] == account["reference"])["discounts"])
            == 1
        )


async def test_a_form_whose_first_sending_stopped_without_an_outcome_is_sent_by_the_next_click(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    """A sending that took the form's token and then stopped (its process ended mid-way) leaves no outcome:
    the next click waits briefly, gives the token back, and the click after sends; no loop of waits."""
    settings = replace(own_council, request_timeout_seconds=3.0)
    async with running_app(settings) as (app, client):
        resident, account = await resident_living_alone(client, issuer, residents)
        await sign_in(client, resident["email"])
        question = await client.get("/single-person-discount")
        starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=5))
        answers = {**date_fields(starts_on), "declaration": "yes", "csrf_token": csrf_of(question.text)}
        await client.post("/single-person-discount", data=answers)
        check = await client.get("/single-person-discount/check-answers")
        form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
        cookie = next(value for name, value in client.cookies.items() if name.endswith("c360_portal_session"))
        sessions = Sessions(
            app.state.runtime.portal_sessions, session_key(settings.data_dir, settings.session_secret), secure=False
        )
        assert await sessions.take_form_token(Session(id=cookie, csrf=""), form["form_token"])  # the stopped one

        clicks = await asyncio.gather(
            *(client.post("/single-person-discount/check-answers", data=form) for _ in range(2))
        )
        assert [click.headers.get("location") for click in clicks] == ["/single-person-discount/check-answers"] * 2
        sent = await client.post("/single-person-discount/check-answers", data=form)
        assert sent.headers["location"] == "/single-person-discount/confirmation"
        after = (await graphql(client, ACCOUNTS, issuer.resident_token(resident["email"]))).json()["data"]["me"]
        assert (
            len(next(a for a in after["councilTaxAccounts"] if a["reference"] == account["reference"])["discounts"])
            == 1
        )


async def kept_portal_keys(settings: Settings) -> int:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            return len((await conn.execute(select(portal_sessions.c.key))).all())
    finally:
        await engine.dispose()


async def test_an_anonymous_visit_keeps_no_session_until_its_answers_need_one(own_council: Settings):
    """Browsing writes nothing (each visit a row would let anyone fill the table); the first answers sent
    keep the session, and the form drawn before then (its CSRF token) still goes through."""
    async with running_app(own_council) as (_app, client):
        before = await kept_portal_keys(own_council)
        pages = ["/", "/report-a-problem", "/report-a-problem/BROKEN_GLASS", "/sign-in", "/sign-out"]
        for path in pages:
            assert (await client.get(path)).status_code == 200, path
        await asyncio.gather(*(client.get(path) for path in pages))  # with the cookie those pages set
        assert await kept_portal_keys(own_council) == before
        question = await client.get("/report-a-problem/BROKEN_GLASS")
        assert (await client.post("/report-a-problem/BROKEN_GLASS", data={"csrf_token": "forged"})).status_code == 403
        assert await kept_portal_keys(own_council) == before
        answers = {**IN_BOROUGH, "attribute-0": "No", "description": "Glass by the bus stop (lazy session)"}
        drafted = await client.post(
            "/report-a-problem/BROKEN_GLASS", data={**answers, "csrf_token": csrf_of(question.text)}
        )
        assert drafted.headers["location"] == "/report-a-problem/check-answers"
        assert await kept_portal_keys(own_council) > before  # the session, and its form token
        assert (
            await send_twice_and_again(client, "/report-a-problem/check-answers")
            == ["/report-a-problem/confirmation"] * 3
        )


async def test_a_form_sent_in_one_tab_keeps_the_draft_saved_in_another_meanwhile(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    """Sending waits seconds on the API; a complaint drafted in another tab meanwhile is still there after."""
    async with running_app(own_council) as (app, client):
        resident, account = await resident_living_alone(client, issuer, residents)
        await sign_in(client, resident["email"])
        question = await client.get("/single-person-discount")
        starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=5))
        answers = {**date_fields(starts_on), "declaration": "yes", "csrf_token": csrf_of(question.text)}
        await client.post("/single-person-discount", data=answers)
        check = await client.get("/single-person-discount/check-answers")
        form = {"csrf_token": csrf_of(check.text), "form_token": form_token_of(check.text)}
        faults = app.state.runtime.faults
        faults.latency_seconds = 1.0  # the revenues system is slow: sending takes seconds
        try:
            sending = asyncio.create_task(client.post("/single-person-discount/check-answers", data=form))
            await asyncio.sleep(0.5)
            assert not sending.done()
            complaint = {
                "subject": "Noise",
                "description": "Drilling at night (other tab)",
                "csrf_token": form["csrf_token"],
            }
            drafted = await client.post("/make-a-complaint", data=complaint)  # the other tab
            assert drafted.headers["location"] == "/make-a-complaint/check-answers"
            sent = await sending
        finally:
            faults.latency_seconds = 0.0
        assert sent.headers["location"] == "/single-person-discount/confirmation"
        other_tab = await client.get("/make-a-complaint/check-answers")
        assert other_tab.status_code == 200 and "Drilling at night (other tab)" in other_tab.text
