"""Staff casework: an officer answers a complaint (and the resident may then escalate it), moves a CRM
case on with a note the resident sees, and works a queue ordered by due date, overdue first."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from sqlalchemy import select

from customer360.auth.principal import Role
from customer360.clock import london_today
from customer360.demo import council
from customer360.domain.casework import working_days_until
from customer360.domain.systems import SourceSystem
from customer360.sources.crm.sql import complaints as crm_complaints
from customer360.store.database import create_engine
from customer360.store.tables import audit_log
from tests.support import graphql, running_app

MAKE = """mutation($input: MakeComplaintInput!) { makeComplaint(input: $input) {
  complaint { id reference delivery { state } } userErrors { code } } }"""
RESPOND = """mutation($input: RespondToComplaintInput!) { respondToComplaint(input: $input) {
  complaint { reference status stage respondedAt } userErrors { field code } } }"""
ESCALATE = """mutation($input: EscalateComplaintInput!) { escalateComplaint(input: $input) {
  complaint { stage } userErrors { code } } }"""
PROGRESS = """mutation($input: ProgressCaseInput!) { progressCase(input: $input) {
  request { reference status history { description status } } userErrors { field code } } }"""
QUEUE = """query($team: String, $status: [RequestStatus!], $after: String) {
  caseQueue(team: $team, status: $status, first: 10, after: $after) {
    edges { cursor node { reference status expectedBy } } pageInfo { hasNextPage endCursor } } }"""
MY_CASES = """{ me { requests(first: 100) { edges { node { reference serviceCode status
  history { description } } } } } }"""
COMPLAINT = {"subject": "Rude reply", "description": "The officer was rude on the phone.", "serviceArea": "waste"}


async def post(client, query, token, variables, key=None):
    headers = {"Authorization": f"Bearer {token}", "X-Access-Purpose": "automated test"}
    if key:
        headers["Idempotency-Key"] = key
    return (await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)).json()


async def crm_complaint(settings, reference: str):
    engine = create_engine(council.database_urls(settings)[SourceSystem.CRM])
    try:
        async with engine.connect() as conn:
            query = select(crm_complaints).where(crm_complaints.c.external_reference == reference)
            return (await conn.execute(query)).one()
    finally:
        await engine.dispose()


async def test_an_answered_complaint_can_be_escalated_and_answered_again_at_stage_2(
    own_council, issuer, residents, staff_token
):
    resident = issuer.resident_token(residents[0]["email"])
    officer = staff_token(Role.CUSTOMER_SERVICES, name="Carla Casework")
    async with running_app(own_council) as (app, client):
        made = (await graphql(client, MAKE, resident, {"input": COMPLAINT})).json()["data"]["makeComplaint"]
        complaint = made["complaint"]
        assert complaint["delivery"]["state"] == "DELIVERED"
        reply = {"complaintId": complaint["id"], "outcome": "PARTLY_UPHELD", "response": "We have spoken to them."}
        early = await graphql(client, ESCALATE, resident, {"input": {"complaintId": complaint["id"], "reason": "x"}})
        assert early.json()["data"]["escalateComplaint"]["userErrors"][0]["code"] == "NOT_YET_ESCALATABLE"

        # Revenues staff do not answer complaints: as if there were none.
        refused = (await graphql(client, RESPOND, staff_token(Role.REVENUES), {"input": reply})).json()
        assert refused["data"]["respondToComplaint"]["userErrors"][0]["code"] == "NOT_FOUND"
        # Twice at once, and a retry under the same key: answered once.
        both = await asyncio.gather(
            post(client, RESPOND, officer, {"input": reply}), post(client, RESPOND, officer, {"input": reply})
        )
        codes = sorted((b["data"]["respondToComplaint"]["userErrors"] or [{"code": "OK"}])[0]["code"] for b in both)
        assert codes[0] in ("ALREADY_ANSWERED", "BUSY") and codes[1] == "OK"
        keyed = await post(client, RESPOND, officer, {"input": reply}, key="answer-1")
        assert keyed == await post(client, RESPOND, officer, {"input": reply}, key="answer-1")
        assert keyed["data"]["respondToComplaint"]["userErrors"][0]["code"] == "ALREADY_ANSWERED"

        row = await crm_complaint(own_council, complaint["reference"])
        assert (row.status, row.response_outcome, row.response) == ("RESPONDED", "PARTLY_UPHELD", reply["response"])
        assert row.responded_at is not None

        escalated = (
            await graphql(
                client, ESCALATE, resident, {"input": {"complaintId": complaint["id"], "reason": "Not enough"}}
            )
        ).json()["data"]["escalateComplaint"]
        assert escalated["userErrors"] == [] and escalated["complaint"]["stage"] == "STAGE_2"
        second = {**reply, "outcome": "UPHELD", "response": "We apologise; the officer has been retrained."}
        answered = (await graphql(client, RESPOND, officer, {"input": second})).json()["data"]["respondToComplaint"]
        assert answered["userErrors"] == [] and answered["complaint"]["stage"] == "STAGE_2"
        row = await crm_complaint(own_council, complaint["reference"])
        assert row.stage2_responded_at is not None and row.response_outcome == "UPHELD"

        async with app.state.runtime.outbox._engine.connect() as conn:
            audited = (
                await conn.execute(select(audit_log).where(audit_log.c.action == "casework.respond_to_complaint"))
            ).all()
        assert [(a.purpose, a.detail["reason"], a.role) for a in audited] == [
            ("PARTLY_UPHELD", reply["response"], "customer_services"),
            ("UPHELD", second["response"], "customer_services"),
        ]


CRM_CASES = ("MISSED_BIN", "GENERAL_ENQUIRY", "ASSISTED_COLLECTION")
NEXT_STEP = {"SUBMITTED": "IN_PROGRESS", "IN_PROGRESS": "RESOLVED"}


async def resident_with_open_case(client, issuer, residents):
    """A demo resident's open CRM case: their token, its reference, and the step it can take next."""
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        for edge in (await graphql(client, MY_CASES, token)).json()["data"]["me"]["requests"]["edges"]:
            node = edge["node"]
            if node["serviceCode"] in CRM_CASES and node["status"] in NEXT_STEP:
                return token, node["reference"], NEXT_STEP[node["status"]]
    raise AssertionError("the demo council has no open case")


async def test_a_case_moved_on_shows_the_note_in_the_residents_history(own_council, issuer, residents, staff_token):
    officer = staff_token(Role.CUSTOMER_SERVICES)
    async with running_app(own_council) as (_, client):
        resident, reference, next_status = await resident_with_open_case(client, issuer, residents)
        step = {"reference": reference, "status": next_status, "note": "Crew booked for Thursday"}
        # A team that does not work the case's queue: as if there were no such case.
        housing = (await graphql(client, PROGRESS, staff_token(Role.HOUSING), {"input": step})).json()
        assert housing["data"]["progressCase"]["userErrors"][0]["code"] == "NOT_FOUND"
        both = await asyncio.gather(
            post(client, PROGRESS, officer, {"input": step}, key="step-1"),
            post(client, PROGRESS, officer, {"input": step}, key="step-2"),
        )
        outcomes = sorted((b["data"]["progressCase"]["userErrors"] or [{"code": "OK"}])[0]["code"] for b in both)
        assert outcomes[0] in ("NO_CHANGE", "FINISHED", "BUSY") and outcomes[1] == "OK"
        assert await post(client, PROGRESS, officer, {"input": step}, key="step-1") in both
        done = next(b for b in both if not b["data"]["progressCase"]["userErrors"])["data"]["progressCase"]
        assert done["request"]["status"] == next_status

        mine = (await graphql(client, MY_CASES, resident)).json()["data"]["me"]["requests"]["edges"]
        shown = next(e["node"] for e in mine if e["node"]["reference"] == reference)
        assert shown["status"] == next_status
        assert [h["description"] for h in shown["history"]].count("Crew booked for Thursday") == 1
        blank = (await graphql(client, PROGRESS, officer, {"input": {**step, "status": "CLOSED", "note": " "}})).json()
        assert {"field": ["input", "note"], "code": "REQUIRED"} in blank["data"]["progressCase"]["userErrors"]


async def test_the_queue_lists_the_most_overdue_first_and_only_to_those_who_work_it(
    own_council, issuer, residents, staff_token
):
    officer = staff_token(Role.CUSTOMER_SERVICES)
    async with running_app(own_council) as (_, client):
        seen, after = [], None
        while True:
            page = (await graphql(client, QUEUE, officer, {"team": "WASTE", "after": after})).json()["data"]
            seen += [e["node"] for e in page["caseQueue"]["edges"]]
            if not page["caseQueue"]["pageInfo"]["hasNextPage"]:
                break
            after = page["caseQueue"]["pageInfo"]["endCursor"]
        assert seen and all(node["status"] in ("SUBMITTED", "IN_PROGRESS") for node in seen)
        assert len({node["reference"] for node in seen}) == len(seen)
        due = [datetime.fromisoformat(node["expectedBy"]).date() for node in seen if node["expectedBy"]]
        assert due == sorted(due)
        left = [working_days_until(day, london_today()) for day in due]
        assert left == sorted(left) and (not any(d < 0 for d in left) or left[0] < 0)

        for outsider in (
            staff_token(Role.HOUSING),
            staff_token(Role.ANALYST),
            issuer.resident_token(residents[0]["email"]),
        ):
            body = (await graphql(client, QUEUE, outsider, {"team": "WASTE"})).json()
            assert body["data"]["caseQueue"]["edges"] == []


def test_working_days_until_counts_working_days_only():
    # Friday 4 Dec 2026 to Monday 7 Dec: one working day; back again: minus one; Christmas is skipped.
    cases = [
        (date(2026, 12, 4), date(2026, 12, 7), 1),
        (date(2026, 12, 7), date(2026, 12, 4), -1),
        (date(2026, 12, 7), date(2026, 12, 7), 0),
        (date(2026, 12, 24), date(2026, 12, 29), 1),  # 25 and 28 Dec are bank holidays (26th a Saturday)
        (date(2026, 12, 1), date(2026, 11, 24), -5),
    ]
    for today, due, expected in cases:
        assert working_days_until(due, today) == expected, (today, due)
