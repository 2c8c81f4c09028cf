"""The SQL back offices' change feeds: revenues, benefits, housing and housing management say what
their officers did (each office's audit table) and which people they added or changed (`changed_at`),
read by the real changes loop (`runtime.changes.run_once()`) against the demo back-office databases.

A request made through the portal, progressed in its own office with `customer360 demo progress`, is
shown in My Requests and told once per event, also when the feed is replayed; people arrive in the
golden record through the feeds; and a person record customer360 creates joins it on delivery.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update

from customer360.demo import council
from customer360.demo.progress import progress
from customer360.domain.people import PersonRecord
from customer360.domain.requests import RequestStatus
from customer360.domain.systems import SourceSystem
from customer360.sources.benefits.sql import claimants
from customer360.sources.crm.sql import case_events, cases, contacts
from customer360.sources.housing_management.sql import tenants
from customer360.sources.revenues.sql import parties
from customer360.store.database import create_engine
from customer360.store.tables import notifications, request_changes
from tests.support import graphql, serving_app
from tests.test_moving_and_housing import APPLY as APPLY_FOR_HOUSING
from tests.test_moving_and_housing import household
from tests.test_notifications import COMPLAIN, sent_for
from tests.test_report_repair import REPORT as REPORT_REPAIR
from tests.test_report_repair import _tenants
from tests.test_single_person_discount import APPLY as APPLY_FOR_DISCOUNT
from tests.test_single_person_discount import find_resident

MY_REQUESTS = """
{ me { id requests(first: 100) { edges { node { reference status history { description status } } } }
  linkedRecords { system recordId } } }
"""
OPEN_APPLICATIONS = ("SUBMITTED", "ASSESSING", "ACTIVE")


async def housing_application(client, issuer, residents) -> tuple[str, str]:
    for resident in residents:
        token = issuer.resident_token(resident["email"])
        me = (await graphql(client, "{ me { housingApplications { status } } }", token)).json()["data"]["me"]
        if not any(a["status"] in OPEN_APPLICATIONS for a in me["housingApplications"]):
            break
    application = {
        "household": household(("APPLICANT", date(1988, 4, 4)), ("CHILD", date(2017, 6, 6))),
        "currentTenure": "PRIVATE_RENTED",
        "reason": "The flat is too small",
        "incomeBand": "FROM_15K_TO_30K",
        "localConnection": True,
    }
    made = (await graphql(client, APPLY_FOR_HOUSING, token, {"input": application})).json()["data"]
    assert made["submitHousingApplication"]["userErrors"] == []
    return token, made["submitHousingApplication"]["application"]["reference"]


async def discount_application(client, issuer, residents) -> tuple[str, str]:
    token, account = await find_resident(client, issuer, residents, with_household=False)
    starts_on = max(date.fromisoformat(account["liableFrom"]), date.today() - timedelta(days=10))
    apply = {"accountReference": account["reference"], "startsOn": starts_on.isoformat(), "declaration": True}
    made = (await graphql(client, APPLY_FOR_DISCOUNT, token, {"input": apply})).json()["data"]
    assert made["applySinglePersonDiscount"]["userErrors"] == []
    # Applied through us, the discount is followed by its C360- reference.
    query = "{ me { requests(first: 100) { edges { node { reference serviceCode } } } } }"
    mine = (await graphql(client, query, token)).json()["data"]["me"]["requests"]["edges"]
    (spd,) = [
        e["node"]["reference"]
        for e in mine
        if e["node"]["serviceCode"] == "SINGLE_PERSON_DISCOUNT" and e["node"]["reference"].startswith("C360-")
    ]
    return token, spd


async def repair(client, issuer, residents) -> tuple[str, str]:
    ((token, tenancy),) = await _tenants(client, issuer, residents, 1)
    report = {"tenancyReference": tenancy, "category": "PLUMBING", "room": "Kitchen", "description": "Tap drips"}
    made = (await graphql(client, REPORT_REPAIR, token, {"input": report})).json()["data"]["reportRepair"]
    assert made["userErrors"] == [], made
    return token, made["repair"]["reference"]


async def counted(settings, table) -> int:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(table)))
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("make", "system", "service"),
    [
        pytest.param(housing_application, SourceSystem.HOUSING, "Housing application", id="housing"),
        pytest.param(discount_application, SourceSystem.REVENUES, "Single Person Discount", id="revenues"),
        pytest.param(repair, SourceSystem.HOUSING_MANAGEMENT, "Repair", id="housing-management"),
    ],
)
async def test_a_request_progressed_in_its_own_office_is_shown_and_told_once_even_when_replayed(
    own_council, issuer, residents, make, system, service
):
    async with serving_app(own_council) as (app, client):
        runtime = app.state.runtime
        await runtime.changes.run_once()  # the feeds' cursors start now
        started_at = await runtime.changes.changes.cursor(system)
        token, reference = await make(client, issuer, residents)
        office, _ = await progress(own_council, reference, RequestStatus.IN_PROGRESS, "With an officer")
        assert office == system.value
        # Two workers read the feeds at once, then the same pass again: each change kept and told once.
        await asyncio.gather(runtime.changes.run_once(), runtime.changes.run_once())
        await runtime.changes.run_once()
        await progress(own_council, reference, RequestStatus.RESOLVED, "All done")
        await runtime.changes.run_once()
        await runtime.services.writes.deliverer.run_due()
        mine = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
        listed = next(e["node"] for e in mine if e["node"]["reference"] == reference)
        sent = await asyncio.to_thread(sent_for, own_council, runtime.messenger.notify.base_url, reference)

        # The feed read again from where it started (a restored cursor, a replica replaying it): nothing new.
        events, messages = await counted(own_council, request_changes), await counted(own_council, notifications)
        await runtime.changes.changes.save_cursor(system, started_at, datetime.now(UTC))
        await runtime.changes.run_once()
        await runtime.services.writes.deliverer.run_due()
        assert (await counted(own_council, request_changes), await counted(own_council, notifications)) == (
            events,
            messages,
        )
        again = await asyncio.to_thread(sent_for, own_council, runtime.messenger.notify.base_url, reference)

    assert listed["status"] == "RESOLVED"
    assert [h["description"] for h in listed["history"]][-2:] == ["With an officer", "All done"]
    if system is SourceSystem.HOUSING:  # the register keeps the day only: shown when it got the application
        assert [h["description"] for h in listed["history"]][:3] == [
            "Received by the council",
            "Passed to Housing",
            "Application received",
        ]
    told = Counter(message["subject"] for message in sent)
    assert told[f"{service}: your request is being worked on"] == 1
    assert told[f"{service}: your request is resolved"] == 1
    assert set(told.values()) == {1}, told
    assert Counter(message["subject"] for message in again) == told


async def test_a_complaint_closed_in_the_crm_without_a_reply_is_seen_and_told(own_council, issuer, residents):
    token = issuer.resident_token(residents[21]["email"])
    async with serving_app(own_council) as (app, client):
        runtime = app.state.runtime
        await runtime.changes.run_once()
        complaint = {"subject": "Noise", "description": "Loud music at night", "serviceArea": "waste"}
        made = (await graphql(client, COMPLAIN, token, {"input": complaint})).json()["data"]["makeComplaint"]
        reference = made["complaint"]["reference"]
        await progress(own_council, reference, RequestStatus.CLOSED, None)  # withdrawn: closed, no reply
        await runtime.changes.run_once()
        await runtime.changes.run_once()
        mine = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
        sent = await asyncio.to_thread(sent_for, own_council, runtime.messenger.notify.base_url, reference)
    listed = next(e["node"] for e in mine if e["node"]["reference"] == reference)
    assert listed["status"] == "CLOSED"
    assert listed["history"][-1] == {"description": "Complaint closed", "status": "CLOSED"}
    assert Counter(message["subject"] for message in sent)["Complaint: your request is closed"] == 1


async def _office(settings, system: SourceSystem):  # type: ignore[no-untyped-def]
    return create_engine(council.database_urls(settings)[system])


async def test_people_arrive_and_change_through_the_feeds_not_a_listing(own_council, issuer, residents):
    """A resident registered afresh in revenues joins their customer; a stranger in benefits starts one; a
    tenant's new phone number reaches the golden record; all by the feeds' next pass, none by a listing."""
    token = issuer.resident_token(residents[4]["email"])
    revenues = await _office(own_council, SourceSystem.REVENUES)
    benefits = await _office(own_council, SourceSystem.BENEFITS)
    housing_management = await _office(own_council, SourceSystem.HOUSING_MANAGEMENT)
    try:
        async with serving_app(own_council) as (app, client):
            runtime = app.state.runtime
            hub = runtime.identity
            listed = 0
            for source in runtime.services.sources.by_system().values():  # a listing would be counted here
                original = source.person_records

                async def counting(original=original):  # type: ignore[no-untyped-def]
                    nonlocal listed
                    listed += 1
                    return await original()

                source.person_records = counting
            await runtime.changes.run_once()
            me = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]
            keys = [(SourceSystem(r["system"]), r["recordId"]) for r in me["linkedRecords"]]
            known = await hub.people.by_key(keys)
            person = next(r for r in known.values() if r.date_of_birth and r.address)
            customer_id = (await hub.customers.owners_of([(person.system, person.record_id)]))[
                (person.system, person.record_id)
            ]
            row = {
                "forenames": person.forenames,
                "surname": person.surname,
                "date_of_birth": person.date_of_birth,
                "line1": person.address.line1,
                "line2": person.address.line2,
                "town": person.address.town,
                "postcode": person.address.postcode,
                "email": person.email,
                "email_verified": False,
                "phone": person.phone,
            }
            async with revenues.begin() as conn:
                await conn.execute(insert(parties).values(party_id="PTY-NEW-1", **row))
            async with benefits.begin() as conn:
                await conn.execute(
                    insert(claimants).values(
                        claimant_id="CLM-NEW-1",
                        forenames="Zebedee",
                        surname="Quillfeather",
                        date_of_birth=date(1961, 2, 3),
                        line1="1 Nowhere Lane",
                        town="Tamworth",
                        postcode="B79 9ZZ",
                    )
                )
            async with housing_management.connect() as conn:
                tenant = (await conn.execute(select(tenants.c.tenant_id).limit(1))).scalar_one()
            async with housing_management.begin() as conn:
                await conn.execute(
                    update(tenants)
                    .where(tenants.c.tenant_id == tenant)
                    .values(phone="07700 900123", updated_on=date.today())  # the tenant rang with a new number
                )
            changed_at = time.perf_counter()
            await runtime.changes.run_once()
            took = time.perf_counter() - changed_at

            owners = await hub.customers.owners_of(
                [(SourceSystem.REVENUES, "PTY-NEW-1"), (SourceSystem.BENEFITS, "CLM-NEW-1")]
            )
            tenant_copy = (await hub.people.by_key([(SourceSystem.HOUSING_MANAGEMENT, tenant)]))[
                (SourceSystem.HOUSING_MANAGEMENT, tenant)
            ]
            tenant_owner = (await hub.customers.owners_of([(SourceSystem.HOUSING_MANAGEMENT, tenant)]))[
                (SourceSystem.HOUSING_MANAGEMENT, tenant)
            ]
            golden = (await hub.customers.customers_by_id([tenant_owner]))[tenant_owner]
            customers_before_replay = await hub.customers.count()
            await runtime.changes.run_once()  # nothing changed since: nothing matched again
            customers_after_replay = await hub.customers.count()
    finally:
        for engine in (revenues, benefits, housing_management):
            await engine.dispose()
    assert owners[(SourceSystem.REVENUES, "PTY-NEW-1")] == customer_id
    stranger = owners[(SourceSystem.BENEFITS, "CLM-NEW-1")]
    assert stranger != customer_id
    assert tenant_copy.phone == "+447700900123"
    assert golden.phone == "+447700900123"  # confirmed today: the golden record shows it
    assert customers_after_replay == customers_before_replay
    assert listed == 0, "the changes loop listed every person in a back office"
    assert took < 10


async def test_a_contact_customer360_creates_joins_person_records_on_delivery(own_council, issuer, residents):
    """A resident the CRM does not know complains: the CRM contact made on delivery is in the hub's copies
    (and the customer's linked records) at once, before any feed or reconciliation has run."""
    async with serving_app(own_council) as (app, client):
        hub = app.state.runtime.identity
        for resident in residents:
            token = issuer.resident_token(resident["email"])
            me = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]
            if not any(r["system"] == "CRM" for r in me["linkedRecords"]):
                break
        else:
            pytest.skip("every sample resident is known to the CRM")
        complaint = {"subject": "Potholes", "description": "Three on my road", "serviceArea": "waste"}
        made = (await graphql(client, COMPLAIN, token, {"input": complaint})).json()["data"]["makeComplaint"]
        assert made["userErrors"] == []
        after = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]
        created = [r["recordId"] for r in after["linkedRecords"] if r["system"] == "CRM"]
        kept = await hub.people.by_key([(SourceSystem.CRM, record_id) for record_id in created])
    assert len(created) == 1
    record = kept[(SourceSystem.CRM, created[0])]
    assert isinstance(record, PersonRecord) and record.surname


async def test_a_walk_in_keyed_into_the_crm_becomes_a_customer_and_gets_the_receipt_in_one_pass(own_council):
    """The contact centre keys a new person and their case into the CRM: the feed's pass matches the
    person first (a new customer), so the case's receipt reaches them in the same pass, once."""
    crm = await _office(own_council, SourceSystem.CRM)
    try:
        async with serving_app(own_council) as (app, _):
            runtime = app.state.runtime
            await runtime.changes.run_once()
            now = datetime.now(UTC)
            async with crm.begin() as conn:
                await conn.execute(
                    insert(contacts).values(
                        contact_id="CON-WALK-1",
                        forenames="Philippa",
                        surname="Ormerod-Blythe",
                        email="philippa.ormerod@example.org",
                        email_verified=False,
                    )
                )
                await conn.execute(
                    insert(cases).values(
                        reference="CASE-WALK-1",
                        contact_id="CON-WALK-1",
                        service_code="SERVICE_SHORTFALL",
                        service_name="Report a shortfall in service",
                        status="SUBMITTED",
                        opened_at=now,
                        updated_at=now,
                    )
                )
                await conn.execute(
                    insert(case_events).values(
                        case_reference="CASE-WALK-1", at=now, status="SUBMITTED", description="Case opened"
                    )
                )
            await runtime.changes.run_once()
            await runtime.changes.run_once()  # read again: nothing more
            await runtime.services.writes.deliverer.run_due()
            owner = (await runtime.identity.customers.owners_of([(SourceSystem.CRM, "CON-WALK-1")]))[
                (SourceSystem.CRM, "CON-WALK-1")
            ]
            sent = await asyncio.to_thread(sent_for, own_council, runtime.messenger.notify.base_url, "CASE-WALK-1")
    finally:
        await crm.dispose()
    assert owner
    assert [(m["subject"], m["email_address"]) for m in sent] == [
        ("Report a shortfall in service: we have received your request", "philippa.ormerod@example.org")
    ]
