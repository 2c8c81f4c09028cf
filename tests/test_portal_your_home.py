"""Your home and Report a repair over plain HTTP (no JavaScript): a form without its CSRF token is refused;
a double click on check your answers reports one repair; with the housing system down, Your home says so,
the repair form asks for the tenancy reference (filled in from the link) and the repair is kept under
its reference, delivered once the system is back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from customer360.auth.tokens import DemoIssuer
from customer360.domain.requests import DeliveryState
from customer360.domain.systems import SourceSystem
from customer360.settings import Settings
from tests.portal_support import REFERENCE, csrf_of, sign_in
from tests.support import graphql, running_app
from tests.tenancy_support import add_a_repair_about_to_miss, tenant_and_not
from tests.test_portal import h1
from tests.test_portal_journeys import send_twice_and_again
from tests.test_report_issue_while_open311_down import submission
from tests.test_report_repair import _repairs_recorded

START = "/your-home/report-a-repair"
ANSWERS = {"category": "HEATING", "room": "Living room", "description": "Radiator cold at the top", "hazard": "NONE"}
REQUESTS = "{ me { requests(first: 100) { edges { node { reference serviceCode } } } } }"


async def test_a_repair_form_without_its_csrf_token_is_refused(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        tenant, tenancy, _ = await tenant_and_not(client, issuer, residents)
        await sign_in(client, tenant["email"])
        refused = await client.post(START, data={**ANSWERS, "tenancy": tenancy["reference"]})
        assert refused.status_code == 403
        assert h1(refused.text) == "Your form could not be sent"


async def test_a_double_click_reports_one_repair(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        tenant, tenancy, _ = await tenant_and_not(client, issuer, residents)
        await sign_in(client, tenant["email"])
        question = await client.get(START)
        assert h1(question.text) == "Report a repair"
        sent = await client.post(
            START, data={**ANSWERS, "tenancy": tenancy["reference"], "csrf_token": csrf_of(question.text)}
        )
        assert sent.headers["location"] == START + "/check-answers"
        locations = await send_twice_and_again(client, START + "/check-answers")
        assert locations == [START + "/confirmation"] * 3
        confirmation = await client.get(START + "/confirmation")
        reference = REFERENCE.search(confirmation.text)
        assert reference and "Finish the repair" in confirmation.text  # heating: urgent, done in 5 working days
        mine = (await graphql(client, REQUESTS, issuer.resident_token(tenant["email"]))).json()["data"]["me"]
        one = await client.get(f"/my-requests/{reference.group(0)}")  # linked from Repairs in progress
        assert one.status_code == 200 and h1(one.text) == reference.group(0)
    made = [e["node"]["reference"] for e in mine["requests"]["edges"] if e["node"]["serviceCode"] == "REPAIR"]
    assert made == [reference.group(0)], "one repair for three sendings"


async def test_another_residents_tenancy_sent_in_the_form_is_refused_beside_the_field(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        tenant, _tenancy, _ = await tenant_and_not(client, issuer, residents)
        others = [r for r in residents if r["email"] != tenant["email"]]
        _other, theirs, _ = await tenant_and_not(client, issuer, others)
        await sign_in(client, tenant["email"])
        question = await client.get(START)
        tampered = {**ANSWERS, "tenancy": theirs["reference"], "csrf_token": csrf_of(question.text)}
        await client.post(START, data=tampered)
        assert await send_twice_and_again(client, START + "/check-answers") == [START] * 3
        refused = await client.get(START)
        assert 'href="#tenancy">That is not a tenancy of yours' in refused.text


async def test_with_the_housing_system_down_a_repair_is_kept_and_delivered_later(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (app, client):
        tenant, tenancy, _ = await tenant_and_not(client, issuer, residents)
        await sign_in(client, tenant["email"])
        assert (await client.get("/your-home")).status_code == 200  # read live: its tenancies kept as last seen
        app.state.runtime.faults.down.add(SourceSystem.HOUSING_MANAGEMENT)

        home = await client.get("/your-home")
        assert home.status_code == 200 and "We cannot show your tenancy right now" in home.text
        question = await client.get(f"{START}?tenancy={tenancy['reference']}")
        assert "Your tenancy reference" in question.text and f'value="{tenancy["reference"]}"' in question.text
        await client.post(
            START, data={**ANSWERS, "tenancy": tenancy["reference"], "csrf_token": csrf_of(question.text)}
        )
        check = await client.get(START + "/check-answers")
        assert f"Tenancy {tenancy['reference']}" in check.text
        locations = await send_twice_and_again(client, START + "/check-answers")
        assert locations == [START + "/confirmation"] * 3
        found = REFERENCE.search((await client.get(START + "/confirmation")).text)
        assert found
        reference = found.group(0)
        assert await _repairs_recorded(own_council, reference) == 0

    # Later, the system back (a new process: the first one's circuit to it opened after so many failures).
    async with running_app(own_council) as (app, client):
        later = datetime.now(UTC) + timedelta(hours=1)
        deliverer = app.state.runtime.services.writes.deliverer
        await asyncio.gather(deliverer.run_due(now=later), deliverer.run_due(now=later))
        assert (await submission(app, reference)).delivery_state is DeliveryState.DELIVERED
        await sign_in(client, tenant["email"])
        assert reference in (await client.get("/your-home")).text
    assert await _repairs_recorded(own_council, reference) == 1


async def test_a_repair_about_to_miss_a_deadline_is_flagged_in_repairs_in_progress(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        tenant, tenancy, _ = await tenant_and_not(client, issuer, residents)
        reference = await add_a_repair_about_to_miss(own_council, tenancy["reference"])
        await sign_in(client, tenant["email"])
        home = (await client.get("/your-home")).text
    (card,) = [card for card in home.split('class="govuk-summary-card"') if reference in card]
    assert "A deadline on this repair is due very soon." in card
    assert card.count("Due very soon") == 2, "make safe and investigate, each within 24 hours"
    assert "Required by Awaab’s Law" in card  # noqa: RUF001 (the page's own apostrophe)
