"""Every check-then-write under N identical requests at once: one effect in the back office, N-1
userErrors, and a later retry refused the same way. And first deliveries for one resident: five
concurrent first writes make one CRM contact, one Open311 reporter."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from customer360.auth.principal import Role
from customer360.clock import london_today
from customer360.commands.contacts import person_key
from customer360.demo import council
from customer360.demo.street_scene_db import reporters
from customer360.demo.street_scene_db import requests as street_requests
from customer360.domain.people import NewContact
from customer360.domain.systems import SourceSystem
from customer360.sources.crm.sql import contacts
from customer360.sources.revenues.sql import accounts, properties
from customer360.store.database import create_engine
from tests.support import graphql, running_app
from tests.test_complaints import ESCALATE, GOOD, MAKE, _escalatable_complaint
from tests.test_moving_and_housing import APPLY as APPLY_FOR_HOUSING
from tests.test_moving_and_housing import MOVE, household, mover, new_home
from tests.test_report_issue import HERE, REPORT, litter_answers
from tests.test_stewardship import CONFIRM, ME, MERGE, QUEUE, UNMERGE

N = 5
LINKS = "{ me { id linkedRecords { system recordId } } }"


async def all_at_once(client, query, token, variables, field):
    answers = await asyncio.gather(*(graphql(client, query, token, variables) for _ in range(N)))
    return [answer.json()["data"][field] for answer in answers]


def refused(payloads) -> list[str]:
    return [p["userErrors"][0]["code"] for p in payloads if p["userErrors"]]


async def count_in(settings, system: SourceSystem, query) -> int:
    engine = create_engine(council.database_urls(settings)[system])
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def test_the_same_move_told_five_times_at_once_is_kept_once(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        token, _me, account = await mover(client, issuer, residents, systems={"REVENUES"})
        uprn = new_home(account["propertyAddress"]["uprn"])
        move = {
            "input": {"kind": "WITHIN", "moveDate": (london_today() - timedelta(days=2)).isoformat(), "newUprn": uprn}
        }

        payloads = await all_at_once(client, MOVE, token, move, "notifyMove")
        assert len([p for p in payloads if not p["userErrors"]]) == 1
        assert refused(payloads) == ["ALREADY_TOLD"] * (N - 1)
        opened = select(func.count()).select_from(accounts.join(properties)).where(properties.c.uprn == uprn)
        assert await count_in(own_council, SourceSystem.REVENUES, opened) == 1, "one new account, not five"

        retry = (await graphql(client, MOVE, token, move)).json()["data"]["notifyMove"]
        assert refused([retry]) == ["ALREADY_TOLD"]
        assert await count_in(own_council, SourceSystem.REVENUES, opened) == 1


async def test_five_housing_applications_at_once_make_one(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        for resident in residents:
            token = issuer.resident_token(resident["email"])
            me = (await graphql(client, "{ me { housingApplications { status } } }", token)).json()["data"]["me"]
            if not me["housingApplications"]:
                break
        else:
            pytest.skip("every sample resident has a housing application")
        application = {
            "input": {
                "household": household(("APPLICANT", date(1990, 5, 1)), ("CHILD", date(2018, 2, 2))),
                "currentTenure": "PRIVATE_RENTED",
                "reason": "Our landlord is selling the house",
                "incomeBand": "FROM_15K_TO_30K",
            }
        }
        payloads = await all_at_once(client, APPLY_FOR_HOUSING, token, application, "submitHousingApplication")
        assert len([p for p in payloads if not p["userErrors"]]) == 1
        assert refused(payloads) == ["ALREADY_OPEN"] * (N - 1)
        me = (await graphql(client, "{ me { housingApplications { status } } }", token)).json()["data"]["me"]
        assert len(me["housingApplications"]) == 1, "HOUSING holds one application"

        retry = (await graphql(client, APPLY_FOR_HOUSING, token, application)).json()["data"][
            "submitHousingApplication"
        ]
        assert refused([retry]) == ["ALREADY_OPEN"]


async def test_a_complaint_escalated_five_times_at_once_is_escalated_once(own_council, issuer, residents):
    async with running_app(own_council) as (app, client):
        owner, complaint = await _escalatable_complaint(client, issuer, residents)
        token = issuer.resident_token(owner["email"])
        request = {"input": {"complaintId": complaint["id"], "reason": "Still missed"}}

        payloads = await all_at_once(client, ESCALATE, token, request, "escalateComplaint")
        assert len([p for p in payloads if not p["userErrors"]]) == 1
        assert refused(payloads) == ["ALREADY_ESCALATED"] * (N - 1)
        principal = await app.state.runtime.authenticate(f"Bearer {token}")
        kept = (await app.state.runtime.outbox.submissions_by_customer([principal.customer_id]))[principal.customer_id]
        assert len([s for s in kept if s.kind == "complaint_escalation"]) == 1, "one stage 2 request, not five"

        retry = (await graphql(client, ESCALATE, token, request)).json()["data"]["escalateComplaint"]
        assert refused([retry]) == ["ALREADY_ESCALATED"]


async def resident_unknown_to(client, issuer, residents, system: str):
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        me = (await graphql(client, LINKS, token)).json()["data"]["me"]
        if me and system not in {link["system"] for link in me["linkedRecords"]}:
            return token
    pytest.skip(f"every sample resident is known to {system}")


async def test_five_first_complaints_at_once_make_one_crm_contact(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        token = await resident_unknown_to(client, issuer, residents, "CRM")
        everyone = select(func.count()).select_from(contacts)
        before = await count_in(own_council, SourceSystem.CRM, everyone)

        payloads = await all_at_once(client, MAKE, token, {"input": GOOD}, "makeComplaint")
        assert all(p["userErrors"] == [] for p in payloads)
        assert {p["complaint"]["delivery"]["state"] for p in payloads} == {"DELIVERED"}
        assert await count_in(own_council, SourceSystem.CRM, everyone) == before + 1
        me = (await graphql(client, LINKS, token)).json()["data"]["me"]
        assert [link["system"] for link in me["linkedRecords"]].count("CRM") == 1


async def test_five_first_street_reports_at_once_make_one_open311_reporter(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        token = await resident_unknown_to(client, issuer, residents, "STREET_SCENE")
        attributes = await litter_answers(client)
        everyone = select(func.count()).select_from(reporters)
        before = await count_in(own_council, SourceSystem.STREET_SCENE, everyone)

        def report(i: int) -> dict:
            # Five different places (about 200 m apart), so the duplicate-report rule does not apply.
            where = {**HERE, "latitude": HERE["latitude"] + 0.002 * i}
            return {
                "input": {
                    "serviceCode": "LITTER",
                    "description": "Bags split",
                    "location": where,
                    "attributes": attributes,
                }
            }

        answers = await asyncio.gather(*(graphql(client, REPORT, token, report(i)) for i in range(N)))
        payloads = [answer.json()["data"]["reportIssue"] for answer in answers]
        assert all(p["userErrors"] == [] for p in payloads)
        assert {p["request"]["delivery"]["state"] for p in payloads} == {"DELIVERED"}
        assert await count_in(own_council, SourceSystem.STREET_SCENE, everyone) == before + 1
        me = (await graphql(client, LINKS, token)).json()["data"]["me"]
        assert [link["system"] for link in me["linkedRecords"]].count("STREET_SCENE") == 1


async def two_residents(client, issuer, residents):
    kept = (await graphql(client, ME, issuer.resident_token(residents[0]["email"]))).json()["data"]["me"]
    absorbed = (await graphql(client, ME, issuer.resident_token(residents[1]["email"]))).json()["data"]["me"]
    return kept, absorbed


async def test_five_identical_merges_at_once_merge_once(own_council, staff_token, issuer, residents):
    steward = staff_token(Role.DATA_STEWARD)
    async with running_app(own_council) as (app, client):
        kept, absorbed = await two_residents(client, issuer, residents)
        pair = {"survivor": kept["id"], "merged": absorbed["id"]}
        payloads = await all_at_once(client, MERGE, steward, pair, "mergeCustomers")
        assert len([p for p in payloads if not p["userErrors"]]) == 1
        assert set(refused(payloads)) <= {"ALREADY_MERGED", "CHANGED_MEANWHILE"} and len(refused(payloads)) == N - 1
        assert len(await app.state.runtime.services.audit.by_action(["identity.merge"])) == 1
        retry = (await graphql(client, MERGE, steward, pair)).json()["data"]["mergeCustomers"]
        assert refused([retry]) == ["ALREADY_MERGED"]


async def test_five_identical_unmerges_at_once_split_once(own_council, staff_token, issuer, residents):
    steward = staff_token(Role.DATA_STEWARD)
    async with running_app(own_council) as (app, client):
        kept, absorbed = await two_residents(client, issuer, residents)
        pair = {"survivor": kept["id"], "merged": absorbed["id"]}
        assert (await graphql(client, MERGE, steward, pair)).json()["data"]["mergeCustomers"]["userErrors"] == []

        split_off = {"customer": kept["id"], "records": [r["id"] for r in absorbed["linkedRecords"]]}
        payloads = await all_at_once(client, UNMERGE, steward, split_off, "unmergeCustomer")
        assert len([p for p in payloads if not p["userErrors"]]) == 1
        assert len(refused(payloads)) == N - 1
        assert len(await app.state.runtime.services.audit.by_action(["identity.unmerge"])) == 2, "one unmerge, on both"
        after = (await graphql(client, ME, issuer.resident_token(residents[1]["email"]))).json()["data"]["me"]
        assert after["id"] == absorbed["id"]
        assert {r["id"] for r in after["linkedRecords"]} == {r["id"] for r in absorbed["linkedRecords"]}
        retry = (await graphql(client, UNMERGE, steward, split_off)).json()["data"]["unmergeCustomer"]
        assert len(refused([retry])) == 1


async def test_a_match_confirmed_five_times_at_once_is_decided_once(own_council, staff_token):
    steward = staff_token(Role.DATA_STEWARD)
    async with running_app(own_council) as (app, client):
        edges = (await graphql(client, QUEUE, steward, {"first": 1})).json()["data"]["matchReviewQueue"]["edges"]
        candidate = {"id": edges[0]["node"]["id"]}
        payloads = await all_at_once(client, CONFIRM, steward, candidate, "confirmMatch")
        assert len([p for p in payloads if not p["userErrors"]]) == 1
        assert refused(payloads) == ["ALREADY_DECIDED"] * (N - 1)
        assert len(await app.state.runtime.services.audit.by_action(["identity.match_confirmed"])) == 1
        assert len(await app.state.runtime.services.audit.by_action(["identity.merge"])) <= 1


async def test_the_same_street_report_sent_five_times_at_once_is_kept_once(own_council, issuer, residents):
    """The duplicate-report rule is a check then a write: one report reaches Open311, the others are
    told its reference. (Without the lock the window is narrow: this failed in 2 of 3 runs.)"""
    token = issuer.resident_token(residents[6]["email"])
    async with running_app(own_council) as (_, client):
        attributes = await litter_answers(client)
        report = {
            "input": {"serviceCode": "LITTER", "description": "Bags split", "location": HERE, "attributes": attributes}
        }
        payloads = await all_at_once(client, REPORT, token, report, "reportIssue")
        kept = [p for p in payloads if not p["userErrors"]]
        assert len(kept) == 1 and refused(payloads) == ["DUPLICATE_NEARBY"] * (N - 1)
        assert all(
            kept[0]["request"]["reference"] in p["userErrors"][0]["message"] for p in payloads if p["userErrors"]
        )
        filed = select(func.count()).where(street_requests.c.external_reference == kept[0]["request"]["reference"])
        assert await count_in(own_council, SourceSystem.STREET_SCENE, filed) == 1

        retry = (await graphql(client, REPORT, token, report)).json()["data"]["reportIssue"]
        assert refused([retry]) == ["DUPLICATE_NEARBY"]


async def test_a_contact_made_by_a_delivery_that_died_before_linking_it_is_found_not_made_again(
    own_council, issuer, residents
):
    """The CRM keeps our per-customer key on a contact we create: the next delivery finds it by that key."""
    async with running_app(own_council) as (app, client):
        token = await resident_unknown_to(client, issuer, residents, "CRM")
        runtime = app.state.runtime
        principal = await runtime.authenticate(f"Bearer {token}")
        # What a delivery that crashed between "contact created" and "contact linked" leaves behind.
        orphan = await runtime.services.sources.crm.create_contact(
            NewContact(
                external_reference=person_key(principal.customer_id, "C360-CRASHED1", "contact"),
                forenames="Left",
                surname="Behind",
                created_at=datetime.now(UTC),
            )
        )
        everyone = select(func.count()).select_from(contacts)
        before = await count_in(own_council, SourceSystem.CRM, everyone)
        payload = (await graphql(client, MAKE, token, {"input": GOOD})).json()["data"]["makeComplaint"]
        assert payload["complaint"]["delivery"]["state"] == "DELIVERED"
        assert await count_in(own_council, SourceSystem.CRM, everyone) == before
        me = (await graphql(client, LINKS, token)).json()["data"]["me"]
        assert [link["recordId"] for link in me["linkedRecords"] if link["system"] == "CRM"] == [orphan]
