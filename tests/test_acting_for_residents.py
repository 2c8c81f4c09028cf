"""Acting for residents: an officer on the phone, a carer under the resident's grant, a partner agency.

Every path ends in an actor token (subject the resident, `act` who acts); the grant behind a delegate's
token is checked on every request, so revoking stops a token already issued.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import select, update

from customer360.auth.principal import Role
from customer360.clock import london_today
from customer360.schema.node import key_of
from customer360.store.tables import access_grants, events, intents
from tests.support import graphql, running_app
from tests.test_report_issue import HERE, litter_answers

ME = "{ me { id name } }"
START = """mutation($input: StartAssistedSessionInput!) { startAssistedSession(input: $input) {
  token expiresAt userErrors { field code } } }"""
MAKE = """mutation($input: MakeComplaintInput!) { makeComplaint(input: $input) {
  complaint { reference } userErrors { field code } } }"""
GRANT = """mutation($input: GrantAccessInput!) { grantAccess(input: $input) {
  grant { id relationship scope expiresOn active delegateEmail agencyId } userErrors { field code } } }"""
REVOKE = """mutation($id: ID!) { revokeAccess(input: {grantId: $id}) { grant { id active revokedAt }
  userErrors { field code } } }"""
ACT_FOR = """mutation($id: ID!) { actFor(input: {customerId: $id}) { token expiresAt scope
  userErrors { field code } } }"""
REPORT = """mutation($input: ReportIssueInput!) { reportIssue(input: $input) { request { reference }
  userErrors { field code } } }"""
MY_REQUESTS = """{ me { requests(first: 100) { edges { node { reference channel madeForYouBy
  history { description } } } } accessLog(first: 20) { edges { node { team summary channel } } } } }"""
GRANTS = """{ me { accessGrants { id relationship scope active }
  actingFor { customer { id name } relationship scope } } }"""
CUSTOMER = "query($id: ID!) { customer(id: $id) { id name } }"
COMPLAINT = {
    "subject": "Missed collection",
    "description": "Called in: the bin was missed twice.",
    "serviceArea": "waste",
    "desiredOutcome": "Collect it",
}


async def post(client, query, token, variables=None, key=None):
    headers = {"Authorization": f"Bearer {token}", "X-Access-Purpose": "automated test"}
    if key:
        headers["Idempotency-Key"] = key
    return await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)


async def customer_id(client, token) -> str:
    return (await graphql(client, ME, token)).json()["data"]["me"]["id"]


async def grant(client, token, **input_) -> dict:
    body = (await graphql(client, GRANT, token, {"input": input_})).json()
    payload = body["data"]["grantAccess"]
    assert payload["userErrors"] == [], body
    return payload["grant"]


async def act_for(client, token, customer) -> dict:
    return (await graphql(client, ACT_FOR, token, {"id": customer})).json()["data"]["actFor"]


def until(days: int) -> str:
    return (london_today() + timedelta(days=days)).isoformat()


async def test_an_officer_makes_a_complaint_by_phone_that_the_resident_sees_as_made_for_them(
    own_council, issuer, residents, staff_token
):
    resident = issuer.resident_token(residents[0]["email"])
    officer = staff_token(Role.CUSTOMER_SERVICES, name="Olive Officer")
    began = datetime.now(UTC)
    async with running_app(own_council) as (app, client):
        customer = await customer_id(client, resident)
        started = (
            await graphql(
                client,
                START,
                officer,
                {"input": {"customerId": customer, "channel": "PHONE", "purpose": "Caller asked to complain"}},
            )
        ).json()["data"]["startAssistedSession"]
        assert started["userErrors"] == []
        session = started["token"]
        lasts = datetime.fromisoformat(started["expiresAt"]) - datetime.now(UTC)
        assert timedelta(minutes=14) < lasts <= timedelta(minutes=15)
        claims = jwt.decode(session, options={"verify_signature": False})
        assert claims["sub"].endswith(key_of("Customer", customer)) and claims["act"]["sub"] == "staff-Olive Officer"
        assert claims["scope"] == "act" and claims["act"]["channel"] == "phone"
        assert (await graphql(client, ME, session)).json()["data"]["me"]["id"] == customer

        # A concurrent duplicate under one Idempotency-Key, then a retry: one complaint.
        first, second = await asyncio.gather(
            post(client, MAKE, session, {"input": COMPLAINT}, key="phone-complaint-1"),
            post(client, MAKE, session, {"input": COMPLAINT}, key="phone-complaint-1"),
        )
        answers = [r.json() for r in (first, second) if r.status_code == 200]
        made = next(a["data"]["makeComplaint"]["complaint"] for a in answers if "data" in a)
        retried = (await post(client, MAKE, session, {"input": COMPLAINT}, key="phone-complaint-1")).json()
        assert retried["data"]["makeComplaint"]["complaint"]["reference"] == made["reference"]

        mine = (await graphql(client, MY_REQUESTS, resident)).json()["data"]["me"]
        shown = [e["node"] for e in mine["requests"]["edges"] if e["node"]["reference"] == made["reference"]]
        assert len(shown) == 1
        assert shown[0]["channel"] == "PHONE" and shown[0]["madeForYouBy"] == "Customer services"
        channels = [e["node"]["channel"] for e in mine["accessLog"]["edges"] if e["node"]["summary"]]
        assert set(channels) == {"PHONE"}
        assert shown[0]["history"][0]["description"] == "Made for you by Customer services by phone"
        summaries = [e["node"]["summary"] for e in mine["accessLog"]["edges"]]
        assert "Made for you by Customer services by phone" in summaries
        assert "Customer services started helping you by phone" in summaries

        engine = app.state.runtime.outbox._engine
        async with engine.connect() as conn:
            kept = (await conn.execute(select(intents).where(intents.c.reference == made["reference"]))).one()
            recorded = (
                await conn.execute(select(events).where(events.c.at >= began, events.c.kind == "service_submitted"))
            ).all()
        assert (kept.acted_by, kept.acted_team, kept.channel) == ("Olive Officer", "Customer services", "phone")
        assert [(e.service_code, e.channel, e.assisted) for e in recorded] == [("COMPLAINT", "phone", True)]


async def test_only_customer_services_start_an_assisted_session(own_council, issuer, residents, staff_token):
    resident = issuer.resident_token(residents[0]["email"])
    async with running_app(own_council) as (_, client):
        customer = await customer_id(client, resident)
        for token in (staff_token(Role.REVENUES), staff_token(Role.ANALYST), resident):
            body = (
                await graphql(
                    client, START, token, {"input": {"customerId": customer, "channel": "PHONE", "purpose": "x"}}
                )
            ).json()
            payload = body["data"]["startAssistedSession"]
            assert payload["token"] is None and payload["userErrors"][0]["code"] == "NOT_FOUND"


async def test_a_carer_with_act_reports_a_view_grant_cannot_and_revoking_stops_an_issued_token(
    own_council, issuer, residents
):
    cared_for = issuer.resident_token(residents[1]["email"])
    carer = issuer.resident_token(residents[2]["email"])
    relative = issuer.resident_token(residents[3]["email"])
    async with running_app(own_council) as (app, client):
        customer = await customer_id(client, cared_for)
        act = await grant(
            client,
            cared_for,
            delegateEmail=residents[2]["email"],
            relationship="CARER",
            scope="ACT",
            expiresOn=until(30),
        )
        await grant(
            client,
            cared_for,
            delegateEmail=residents[3]["email"],
            relationship="FAMILY",
            scope="VIEW",
            expiresOn=until(30),
        )
        listed = (await graphql(client, GRANTS, carer)).json()["data"]["me"]["actingFor"]
        assert [(x["customer"]["id"], x["relationship"], x["scope"]) for x in listed] == [(customer, "CARER", "ACT")]

        carer_token = (await act_for(client, carer, customer))["token"]
        attributes = await litter_answers(client)
        report = {"serviceCode": "LITTER", "description": "Bags split", "location": HERE, "attributes": attributes}
        made = (await post(client, REPORT, carer_token, {"input": report}, key="carer-report")).json()
        assert made.get("data"), made
        assert made["data"]["reportIssue"]["userErrors"] == []
        again = (await post(client, REPORT, carer_token, {"input": report}, key="carer-report")).json()
        assert again["data"]["reportIssue"]["request"] == made["data"]["reportIssue"]["request"]
        mine = (await graphql(client, MY_REQUESTS, cared_for)).json()["data"]["me"]["requests"]["edges"]
        reference = made["data"]["reportIssue"]["request"]["reference"]
        shown = [e["node"] for e in mine if e["node"]["reference"] == reference]
        assert [(s["channel"], s["madeForYouBy"]) for s in shown] == [("ONLINE", "Your carer")]

        viewer = await act_for(client, relative, customer)
        assert viewer["scope"] == "VIEW"
        assert (await graphql(client, ME, viewer["token"])).json()["data"]["me"]["id"] == customer
        refused = (await graphql(client, MAKE, viewer["token"], {"input": COMPLAINT})).json()
        assert refused["data"] is None or refused["data"]["makeComplaint"] is None
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        # The delegate cannot see who else the resident lets in, nor grant in their name.
        assert (await graphql(client, GRANTS, carer_token)).json()["data"]["me"]["accessGrants"] == []
        passed_on = await graphql(
            client,
            GRANT,
            carer_token,
            {
                "input": {
                    "delegateEmail": "x@example.org",
                    "relationship": "FAMILY",
                    "scope": "ACT",
                    "expiresOn": until(9),
                }
            },
        )
        assert passed_on.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"

        revoked = (await graphql(client, REVOKE, cared_for, {"id": act["id"]})).json()["data"]["revokeAccess"]
        assert revoked["grant"]["active"] is False
        assert (await graphql(client, ME, carer_token)).json()["data"]["me"] is None
        after = (await graphql(client, REPORT, carer_token, {"input": report})).json()
        assert after["data"] is None and after["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert (await act_for(client, carer, customer))["userErrors"][0]["code"] == "NOT_FOUND"
        async with app.state.runtime.outbox._engine.connect() as conn:
            made_for = (await conn.execute(select(intents.c.reference).where(intents.c.acted_by.is_not(None)))).all()
        assert [row.reference for row in made_for] == [reference]


async def test_a_grant_made_twice_at_once_is_one_grant(own_council, issuer, residents):
    resident = issuer.resident_token(residents[1]["email"])
    wanted = {"delegateEmail": residents[2]["email"], "relationship": "CARER", "scope": "ACT", "expiresOn": until(5)}
    async with running_app(own_council) as (_, client):
        both = await asyncio.gather(*(graphql(client, GRANT, resident, {"input": wanted}) for _ in range(2)))
        keyed = (await post(client, GRANT, resident, {"input": wanted}, key="grant-1")).json()
        retried = (await post(client, GRANT, resident, {"input": wanted}, key="grant-1")).json()
        ids = {r.json()["data"]["grantAccess"]["grant"]["id"] for r in both}
        ids |= {keyed["data"]["grantAccess"]["grant"]["id"], retried["data"]["grantAccess"]["grant"]["id"]}
        assert len(ids) == 1
        listed = (await graphql(client, GRANTS, resident)).json()["data"]["me"]["accessGrants"]
        assert [g["id"] for g in listed] == list(ids)
        # Revoked twice at once and retried under one key: one revocation, the same answer each time.
        grant_id = next(iter(ids))
        revokes = await asyncio.gather(
            *(post(client, REVOKE, resident, {"id": grant_id}, key=f"revoke-{n}") for n in range(2))
        )
        again = (await post(client, REVOKE, resident, {"id": grant_id}, key="revoke-0")).json()
        assert again == revokes[0].json()
        stamps = {r.json()["data"]["revokeAccess"]["grant"]["revokedAt"] for r in revokes}
        assert len(stamps) == 1 and None not in stamps


async def test_a_partner_agency_sees_exactly_the_residents_who_chose_it(own_council, issuer, residents):
    agency = issuer.staff_token("Vera Volunteer", [Role.PARTNER_AGENCY], agency_id="age-uk-tamworth")
    other_agency = issuer.staff_token("Otto Other", [Role.PARTNER_AGENCY], agency_id="another-agency")
    async with running_app(own_council) as (_, client):
        chose, did_not = [], []
        for index, resident in enumerate(residents[:6]):
            token = issuer.resident_token(resident["email"])
            customer = await customer_id(client, token)
            if index % 2 == 0:
                await grant(
                    client,
                    token,
                    agencyId="age-uk-tamworth",
                    relationship="VOLUNTARY_AGENCY",
                    scope="VIEW",
                    expiresOn=until(60),
                )
                chose.append(customer)
            else:
                did_not.append(customer)
        for customer in chose:
            found = (await graphql(client, CUSTOMER, agency, {"id": customer})).json()["data"]["customer"]
            assert found["id"] == customer
            assert (await graphql(client, CUSTOMER, other_agency, {"id": customer})).json()["data"]["customer"] is None
            assert (await act_for(client, agency, customer))["scope"] == "VIEW"
        for customer in did_not:
            assert (await graphql(client, CUSTOMER, agency, {"id": customer})).json()["data"]["customer"] is None
            assert (await act_for(client, agency, customer))["userErrors"][0]["code"] == "NOT_FOUND"
        search = await graphql(client, '{ searchCustomers(query: "a") { edges { node { id } } } }', agency)
        assert not ((search.json().get("data") or {}).get("searchCustomers") or {}).get("edges")


async def test_an_expired_grant_answers_as_if_the_resident_did_not_exist(own_council, issuer, residents):
    cared_for = issuer.resident_token(residents[1]["email"])
    carer = issuer.resident_token(residents[2]["email"])
    async with running_app(own_council) as (app, client):
        customer = await customer_id(client, cared_for)
        made = await grant(
            client,
            cared_for,
            delegateEmail=residents[2]["email"],
            relationship="CARER",
            scope="ACT",
            expiresOn=until(0),
        )
        token = (await act_for(client, carer, customer))["token"]
        assert (await graphql(client, ME, token)).json()["data"]["me"]["id"] == customer
        async with app.state.runtime.outbox._engine.begin() as conn:
            await conn.execute(update(access_grants).values(expires_on=london_today() - timedelta(days=1)))
        await app.state.runtime.services.grants.forget(
            await app.state.runtime.services.grants.store.get(key_of("AccessGrant", made["id"])), london_today()
        )
        assert (await graphql(client, ME, token)).json()["data"]["me"] is None
        assert (await act_for(client, carer, customer))["userErrors"][0]["code"] == "NOT_FOUND"


DEMAND = """query($from: Date!, $to: Date!) { demand(from: $from, to: $to, groupBy: [CHANNEL]) {
  channel suppressed people submitted } }"""


async def test_demand_by_channel_counts_what_officers_made_by_phone(own_council, issuer, residents, staff_token):
    """Ten residents helped by phone today: the PHONE row counts ten more submissions than before."""
    officer = staff_token(Role.CUSTOMER_SERVICES)
    analyst = staff_token(Role.ANALYST)
    today = {"from": london_today().isoformat(), "to": london_today().isoformat()}
    async with running_app(own_council) as (_, client):

        async def phone_submissions() -> int:
            rows = (await graphql(client, DEMAND, analyst, today)).json()["data"]["demand"]
            phone = [row for row in rows if row["channel"] == "PHONE" and not row["suppressed"]]
            return phone[0]["submitted"] if phone else 0

        before = await phone_submissions()
        for resident in residents[10:20]:
            customer = await customer_id(client, issuer.resident_token(resident["email"]))
            started = await graphql(
                client, START, officer, {"input": {"customerId": customer, "channel": "PHONE", "purpose": "Caller"}}
            )
            session = started.json()["data"]["startAssistedSession"]["token"]
            made = (await graphql(client, MAKE, session, {"input": COMPLAINT})).json()["data"]["makeComplaint"]
            assert made["userErrors"] == []
        assert await phone_submissions() == before + 10


LOG = "{ me { accessLog(first: 50) { edges { node { team } } } } }"


async def test_safeguarding_is_never_seen_through_a_grant(own_council, issuer, residents, staff_token):
    """The safeguarding team looked at the resident's record: the resident sees that in their access log;
    a carer acting for them, and a partner agency they chose, never do."""
    cared_for = issuer.resident_token(residents[1]["email"])
    carer = issuer.resident_token(residents[2]["email"])
    agency = issuer.staff_token("Vera Volunteer", [Role.PARTNER_AGENCY], agency_id="age-uk-tamworth")
    async with running_app(own_council) as (_, client):
        customer = await customer_id(client, cared_for)
        await grant(
            client,
            cared_for,
            delegateEmail=residents[2]["email"],
            relationship="CARER",
            scope="VIEW",
            expiresOn=until(9),
        )
        await grant(
            client,
            cared_for,
            agencyId="age-uk-tamworth",
            relationship="VOLUNTARY_AGENCY",
            scope="VIEW",
            expiresOn=until(9),
        )
        for team in (Role.SAFEGUARDING, Role.REVENUES):
            read = await graphql(client, CUSTOMER, staff_token(team), {"id": customer})
            assert read.json()["data"]["customer"]["id"] == customer

        def teams(body: dict) -> list[str]:
            return [e["node"]["team"] for e in body["accessLog"]["edges"]]

        assert "Safeguarding" in teams((await graphql(client, LOG, cared_for)).json()["data"]["me"])
        token = (await act_for(client, carer, customer))["token"]
        seen = teams((await graphql(client, LOG, token)).json()["data"]["me"])
        assert "Council Tax" in seen and "Safeguarding" not in seen
        by_agency = """query($id: ID!) { customer(id: $id) { accessLog(first: 50) { edges { node { team } } } } }"""
        body = (await graphql(client, by_agency, agency, {"id": customer})).json()["data"]["customer"]
        assert "Council Tax" in teams(body) and "Safeguarding" not in teams(body)
