"""makeComplaint and escalateComplaint end to end: the CRM gets each complaint once, even when it is down."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from customer360.clock import london_today
from customer360.commands.relay import drain
from customer360.demo import council
from customer360.domain.systems import SourceSystem
from customer360.domain.working_days import is_working_day
from customer360.schema.node import from_global_id
from customer360.sources.crm.sql import complaints as crm_complaints
from customer360.store.database import create_engine
from tests.support import graphql, running_app

MAKE = """
mutation($input: MakeComplaintInput!) { makeComplaint(input: $input) {
  complaint { id reference subject status stage acknowledgeBy respondBy
              delivery { state system backOfficeReference attempts } }
  userErrors { field code message } } }
"""
ESCALATE = """
mutation($input: EscalateComplaintInput!) { escalateComplaint(input: $input) {
  complaint { reference stage acknowledgeBy respondBy }
  userErrors { field code message } } }
"""
MY_COMPLAINTS = """
{ me { complaints(first: 50) { edges { node { id reference stage respondBy respondedAt
  delivery { state backOfficeReference } } } } } }
"""
GOOD = {
    "subject": "Bin not emptied",
    "description": "My green bin was missed three weeks running.",
    "serviceArea": "waste",
    "desiredOutcome": "Collect it and stop missing it",
}


async def crm_rows(settings, external_reference: str) -> int:
    engine = create_engine(council.database_urls(settings)[SourceSystem.CRM])
    try:
        async with engine.connect() as conn:
            query = select(func.count()).where(crm_complaints.c.external_reference == external_reference)
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def test_a_complaint_reaches_the_crm_with_its_deadlines(own_council, issuer, residents):
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(own_council) as (_, client):
        body = (await graphql(client, MAKE, token, {"input": GOOD})).json()
        payload = body["data"]["makeComplaint"]
        assert payload["userErrors"] == []
        complaint = payload["complaint"]
        assert complaint["reference"].startswith("C360-")
        assert complaint["stage"] == "STAGE_1" and complaint["status"] == "RECEIVED"
        assert complaint["delivery"]["state"] == "DELIVERED"
        assert complaint["delivery"]["system"] == "CRM"
        assert complaint["delivery"]["backOfficeReference"].startswith("CMP")
        acknowledge_by = date.fromisoformat(complaint["acknowledgeBy"])
        respond_by = date.fromisoformat(complaint["respondBy"])
        assert is_working_day(acknowledge_by) and is_working_day(respond_by)
        assert london_today() + timedelta(days=5) <= acknowledge_by <= london_today() + timedelta(days=11)
        assert acknowledge_by + timedelta(days=14) <= respond_by

        listed = (await graphql(client, MY_COMPLAINTS, token)).json()["data"]["me"]["complaints"]["edges"]
        mine = [edge["node"] for edge in listed if edge["node"]["reference"] == complaint["reference"]]
        assert len(mine) == 1 and mine[0]["id"] == complaint["id"]
    assert await crm_rows(own_council, complaint["reference"]) == 1


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        pytest.param({"subject": "   "}, ["input", "subject"], "REQUIRED", id="blank-subject"),
        pytest.param({"description": ""}, ["input", "description"], "REQUIRED", id="empty-description"),
        pytest.param({"description": "x" * 5001}, ["input", "description"], "TOO_LONG", id="oversized"),
        pytest.param({"serviceArea": "moon"}, ["input", "serviceArea"], "UNKNOWN_SERVICE_AREA", id="unknown-area"),
    ],
)
async def test_bad_complaints_get_user_errors_and_write_nothing(own_council, issuer, residents, change, field, code):
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(own_council) as (app, client):
        body = (await graphql(client, MAKE, token, {"input": {**GOOD, **change}})).json()
        assert body["data"]["makeComplaint"] == {
            "complaint": None,
            "userErrors": [
                {"field": field, "code": code, "message": body["data"]["makeComplaint"]["userErrors"][0]["message"]}
            ],
        }
        assert await app.state.runtime.outbox.pending_count() == 0
        submissions = await app.state.runtime.outbox.submissions_by_customer([_raw_id(residents[0])])
        assert submissions == {}


async def test_an_anonymous_complaint_is_refused_with_a_user_error(own_council):
    async with running_app(own_council) as (_, client):
        body = (await graphql(client, MAKE, None, {"input": GOOD})).json()
    assert body["data"]["makeComplaint"]["userErrors"][0]["code"] == "NOT_SIGNED_IN"


async def test_with_the_crm_down_a_complaint_is_kept_and_delivered_exactly_once_when_it_is_back(
    own_council, issuer, residents
):
    token = issuer.resident_token(residents[1]["email"])
    down = replace(own_council, demo_sources_down=frozenset({SourceSystem.CRM}))
    async with running_app(down) as (_, client):
        payload = (await graphql(client, MAKE, token, {"input": GOOD})).json()["data"]["makeComplaint"]
        complaint = payload["complaint"]
        assert payload["userErrors"] == []
        assert complaint["reference"].startswith("C360-")
        assert complaint["delivery"] == {
            "state": "PENDING",
            "system": "CRM",
            "backOfficeReference": None,
            "attempts": 1,
        }
        listed = (await graphql(client, MY_COMPLAINTS, token)).json()
        nodes = [edge["node"] for edge in listed["data"]["me"]["complaints"]["edges"]]
        assert complaint["reference"] in {node["reference"] for node in nodes}, "the resident sees it at once"
        assert listed["errors"][0]["extensions"]["source"] == "CRM"
    assert await crm_rows(own_council, complaint["reference"]) == 0

    async with running_app(own_council) as (app, client):
        deliverer = app.state.runtime.services.writes.deliverer
        later = datetime.now(UTC) + timedelta(hours=1)
        # Two relays racing for the same row, then a third pass: the CRM still gets it once.
        await asyncio.gather(deliverer.run_due(now=later), deliverer.run_due(now=later))
        await deliverer.run_due(now=later)
        listed = (await graphql(client, MY_COMPLAINTS, token)).json()["data"]["me"]["complaints"]["edges"]
        node = next(edge["node"] for edge in listed if edge["node"]["reference"] == complaint["reference"])
        assert node["delivery"]["state"] == "DELIVERED"
        assert node["delivery"]["backOfficeReference"].startswith("CMP")
    assert await crm_rows(own_council, complaint["reference"]) == 1


async def test_outbox_drain_delivers_what_waited_for_a_back_office(own_council, issuer, residents):
    token = issuer.resident_token(residents[2]["email"])
    async with running_app(replace(own_council, demo_sources_down=frozenset({SourceSystem.CRM}))) as (_, client):
        reference = (await graphql(client, MAKE, token, {"input": GOOD})).json()["data"]["makeComplaint"]["complaint"][
            "reference"
        ]
    async with running_app(own_council) as (app, _):
        await drain(app.state.runtime.services.writes.deliverer)
    assert await crm_rows(own_council, reference) == 1


async def test_escalation_rules(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        owner, complaint = await _escalatable_complaint(client, issuer, residents)
        stranger = issuer.resident_token(next(r for r in residents if r is not owner)["email"])
        refused = await escalate(client, stranger, complaint["id"], "Unhappy")
        assert refused["complaint"] is None
        assert refused["userErrors"][0]["code"] == "NOT_FOUND"

        token = issuer.resident_token(owner["email"])
        blank = await escalate(client, token, complaint["id"], " ")
        assert blank["userErrors"][0]["field"] == ["input", "reason"]

        escalated = await escalate(client, token, complaint["id"], "Still missed")
        assert escalated["userErrors"] == []
        assert escalated["complaint"]["stage"] == "STAGE_2"
        acknowledge_by = date.fromisoformat(escalated["complaint"]["acknowledgeBy"])
        assert acknowledge_by > london_today()
        # Stage 2: 20 working days from the acknowledgement deadline: at least four weeks on.
        assert date.fromisoformat(escalated["complaint"]["respondBy"]) >= acknowledge_by + timedelta(days=26)

        again = await escalate(client, token, complaint["id"], "Again")
        assert again["userErrors"][0]["code"] == "ALREADY_ESCALATED"

        fresh = (await graphql(client, MAKE, token, {"input": GOOD})).json()["data"]["makeComplaint"]["complaint"]
        early = await escalate(client, token, fresh["id"], "Too slow")
        assert early["userErrors"][0]["code"] == "NOT_YET_ESCALATABLE"


async def escalate(client, token: str, complaint_id: str, reason: str) -> dict:
    body = (await graphql(client, ESCALATE, token, {"input": {"complaintId": complaint_id, "reason": reason}})).json()
    return body["data"]["escalateComplaint"]


async def _escalatable_complaint(client, issuer, residents):
    today = london_today()
    for resident in residents:
        body = (await graphql(client, MY_COMPLAINTS, issuer.resident_token(resident["email"]))).json()
        for edge in body["data"]["me"]["complaints"]["edges"]:
            node = edge["node"]
            overdue = date.fromisoformat(node["respondBy"]) < today
            if node["stage"] == "STAGE_1" and (node["respondedAt"] or overdue):
                return resident, node
    raise AssertionError("the demo council has no stage 1 complaint that can be escalated")


def _raw_id(resident) -> str:
    _type, key = from_global_id(resident["customer_id"])
    return key
