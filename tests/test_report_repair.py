"""reportRepair end to end: a tenant's repair reaches HOUSING_MANAGEMENT once (a concurrent duplicate
is ALREADY_REPORTED, a retry with the same Idempotency-Key replays the answer), worked at the rules'
priority with its deadlines; another resident's tenancy is refused."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from customer360.demo import council
from customer360.domain.systems import SourceSystem
from customer360.sources.housing_management import sql as housing_management_sql
from customer360.store.database import create_engine
from tests.support import graphql, running_app

REPORT = """
mutation($input: ReportRepairInput!) { reportRepair(input: $input) {
  repair { id reference tenancyReference priority hazard status deadlines { kind due dueAt awaabsLaw } }
  userErrors { field code message } } }
"""
REPAIRS = """{ me { tenancies { repairs(first: 10) { edges { node { reference backOfficeReference status
  deadlines { kind due awaabsLaw aboutToMiss missed } aboutToMiss } } } } } }"""
ME = "{ me { tenancies { reference } requests(first: 50) { edges { node { reference serviceCode } } } } }"


async def _tenants(client, issuer, residents, count):
    found = []
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        me = (await graphql(client, ME, token)).json()["data"]["me"]
        if me["tenancies"]:
            found.append((token, me["tenancies"][0]["reference"]))
        if len(found) == count:
            return found
    raise AssertionError("too few sample residents are council tenants")


async def _repairs_recorded(settings, external_reference: str) -> int:
    engine = create_engine(council.database_urls(settings)[SourceSystem.HOUSING_MANAGEMENT])
    try:
        async with engine.connect() as conn:
            table = housing_management_sql.repairs
            return int(
                await conn.scalar(
                    select(func.count()).select_from(table).where(table.c.external_reference == external_reference)
                )
            )
    finally:
        await engine.dispose()


def _post(client, token, variables, key):
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    return client.post("/graphql", json={"query": REPORT, "variables": variables}, headers=headers)


async def test_a_repair_reaches_housing_management_once(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        ((token, tenancy),) = await _tenants(client, issuer, residents, 1)
        report = {
            "tenancyReference": tenancy,
            "category": "DAMP_AND_MOULD",
            "room": "Bedroom",
            "description": "Black mould behind the wardrobe",
        }
        first, duplicate = await asyncio.gather(
            _post(client, token, {"input": report}, "repair-1"), _post(client, token, {"input": report}, "repair-2")
        )
        answers = [first.json()["data"]["reportRepair"], duplicate.json()["data"]["reportRepair"]]
        kept = [a for a in answers if a["repair"]]
        refused = [a for a in answers if not a["repair"]]
        assert len(kept) == 1 and len(refused) == 1, answers
        assert [e["code"] for e in refused[0]["userErrors"]] == ["ALREADY_REPORTED"]
        repair = kept[0]["repair"]
        assert repair["reference"].startswith("C360-") and repair["reference"] in refused[0]["userErrors"][0]["message"]
        # Damp and mould is a significant hazard under Awaab's Law whatever the tenant said.
        assert repair["hazard"] == "DAMP_AND_MOULD"
        steps = [(d["kind"], d["awaabsLaw"]) for d in repair["deadlines"]]
        assert ("INVESTIGATE", True) in steps and ("WRITTEN_SUMMARY", True) in steps
        assert ("BEGIN_SAFETY_WORK", True) in steps and ("COMPLETE", False) in steps

        key = "repair-1" if first.json()["data"]["reportRepair"]["repair"] else "repair-2"
        retried = (await _post(client, token, {"input": report}, key)).json()["data"]["reportRepair"]
        assert retried["repair"]["reference"] == repair["reference"]

        assert await _repairs_recorded(own_council, repair["reference"]) == 1
        # The tenancy shows it by the same reference, with HOUSING_MANAGEMENT's own beside it.
        body = (await graphql(client, REPAIRS, token)).json()["data"]["me"]["tenancies"]
        on_tenancies = [e["node"] for t in body for e in t["repairs"]["edges"]]
        shown_on_tenancy = next(r for r in on_tenancies if r["reference"] == repair["reference"])
        assert shown_on_tenancy["backOfficeReference"].startswith("RR-")
        assert [d["kind"] for d in shown_on_tenancy["deadlines"]] == [d["kind"] for d in repair["deadlines"]]
        assert not any(d["missed"] for d in shown_on_tenancy["deadlines"])
        me = (await graphql(client, ME, token)).json()["data"]["me"]
        shown = {(e["node"]["reference"], e["node"]["serviceCode"]) for e in me["requests"]["edges"]}
        assert (repair["reference"], "REPAIR") in shown


async def test_another_residents_tenancy_is_refused(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        (mine, _), (_, theirs) = await _tenants(client, issuer, residents, 2)
        report = {"tenancyReference": theirs, "category": "PLUMBING", "room": "Kitchen", "description": "Tap drips"}
        answer = (await graphql(client, REPORT, mine, {"input": report})).json()["data"]["reportRepair"]
        assert answer["repair"] is None
        assert answer["userErrors"] == [
            {
                "field": ["input", "tenancyReference"],
                "code": "NOT_YOUR_TENANCY",
                "message": "That is not a tenancy of yours: check the reference on your tenancy agreement",
            }
        ]


async def test_bad_reports_get_user_errors(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        ((token, tenancy),) = await _tenants(client, issuer, residents, 1)
        report = {"tenancyReference": tenancy, "category": "PLUMBING", "room": " ", "description": ""}
        answer = (await graphql(client, REPORT, token, {"input": report})).json()["data"]["reportRepair"]
        assert [(e["field"], e["code"]) for e in answer["userErrors"]] == [
            (["input", "room"], "REQUIRED"),
            (["input", "description"], "REQUIRED"),
        ]
