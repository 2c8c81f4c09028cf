"""A delivery a back office refuses for good becomes a case for the staff team that owns it.

The money case first: a Council Tax payment taken at the provider whose posting REVENUES refuses is
never a quiet FAILED row. Over real HTTP (hosted page, signed webhooks sent twice at once), on SQLite
and PostgreSQL: one case however many webhooks and reconcilers race, counted in /metrics, listed to
the revenues team only, resolved once; the resident sees the payment is being looked into.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from customer360.auth.principal import Role
from customer360.domain.cases import DeliveryCaseRecord, team_for
from customer360.domain.systems import SourceSystem
from customer360.settings import Settings
from customer360.store.cases import DeliveryCaseStore, NewCase
from customer360.store.database import create_engine, migrate
from customer360.store.tables import audit_log, delivery_cases, outbox, payments
from tests.payments_support import any_account, gateway_store, start_payment
from tests.services import fresh_postgres_database
from tests.support import graphql, serving_app
from tests.test_payments import owing_resident, pay, settle_at_page, wait_for

CASES = """
query($team: String, $openOnly: Boolean) { deliveryCases(team: $team, openOnly: $openOnly, first: 10) {
  edges { cursor node { id reference customerId destination operation reasonCode reason team openedAt resolvedAt
  resolvedBy } }
  pageInfo { hasNextPage endCursor } } }
"""
RESOLVE = """
mutation($input: ResolveDeliveryCaseInput!) { resolveDeliveryCase(input: $input) {
  case { id resolvedAt resolvedBy resolutionNote } userErrors { field code message } } }
"""
MY_PAYMENTS = """
{ me { payments { edges { node { reference status posting } } }
  requests { edges { node { serviceCode status history { description } } } } } }
"""


async def refuse_posting_of(settings: Settings, reference: str) -> None:
    """What the stray space did on main: the ledger holds an account REVENUES does not know."""
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                update(payments).where(payments.c.reference == reference).values(account_reference="NO-SUCH-ACCT")
            )
    finally:
        await engine.dispose()


async def count(settings: Settings, table, *where) -> int:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)
    finally:
        await engine.dispose()


def metric(text: str, name: str, **labels: str) -> float | None:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    found = re.search(rf"^{re.escape(name)}\{{{re.escape(wanted)}\}} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_refused_posting_after_the_money_was_taken_is_one_case_for_revenues(own_council, staff_token, backend):
    base = replace(own_council, demo_webhook_copies=2, reconcile_interval_seconds=0)
    async with gateway_store(base, backend) as settings:
        await refused_posting_flow(settings, staff_token)


async def refused_posting_flow(settings: Settings, staff_token) -> None:
    async with serving_app(settings) as (app, client):
        runtime = app.state.runtime
        stored = await start_payment(runtime, await any_account(settings), 4321)
        await refuse_posting_of(settings, stored.reference)
        finished = await settle_at_page(stored.next_url, "success")  # two webhooks at once follow
        assert finished.status_code == 303
        # ...racing two reconcilers, and then a retry of everything.
        await asyncio.gather(runtime.payments.reconcile(), runtime.payments.reconcile())

        async def case_opened() -> bool:
            return await count(settings, delivery_cases, delivery_cases.c.reference == stored.reference) == 1

        assert await wait_for(case_opened)
        await asyncio.sleep(0.3)  # let the second webhook land too
        await runtime.payments.reconcile()
        await runtime.payments.on_webhook(f'{{"resource_id": "{stored.provider_payment_id}"}}'.encode())
        await runtime.payments.deliverer.run_due()
        assert await count(settings, delivery_cases) == 1
        assert await count(settings, outbox, outbox.c.reference == stored.reference, outbox.c.state == "FAILED") == 1

        scraped = (await client.get("/metrics")).text
        assert metric(scraped, "customer360_delivery_cases_open", team="revenues") == 1.0
        assert metric(scraped, "customer360_delivery_cases_open", team="housing") == 0.0
        assert metric(scraped, "customer360_delivery_cases_total", destination="REVENUES", team="revenues") == 1.0

        revenues = staff_token(Role.REVENUES, name="Rita Revenues")
        listed = (await graphql(client, CASES, revenues)).json()["data"]["deliveryCases"]
        [edge] = listed["edges"]
        case = edge["node"]
        assert (case["reference"], case["destination"], case["team"]) == (stored.reference, "REVENUES", "revenues")
        assert (case["operation"], case["reasonCode"], case["resolvedAt"]) == ("revenues.post_payment", "REFUSED", None)
        assert "NO-SUCH-ACCT" not in case["reason"]  # our words, never the back office's (they quote input)
        assert case["customerId"]  # whose payment it is, for `customer(id:)`

        # Another team sees none of it; asking for revenues' cases by name is refused; so is a resident.
        others = staff_token(Role.HOUSING, name="Hal Housing")
        assert (await graphql(client, CASES, others)).json()["data"]["deliveryCases"]["edges"] == []
        refused = (await graphql(client, CASES, others, {"team": "revenues"})).json()
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        wrong_resolve = (await graphql(client, RESOLVE, others, {"input": {"caseId": case["id"]}})).json()
        assert wrong_resolve["data"]["resolveDeliveryCase"]["userErrors"][0]["code"] == "NOT_FOUND"

        # Two staff resolve at once: one does, the other is told; a retry is told too.
        request = {"input": {"caseId": case["id"], "note": "Posted by hand to the right account"}}
        answers = await asyncio.gather(*(graphql(client, RESOLVE, revenues, request) for _ in range(2)))
        payloads = [answer.json()["data"]["resolveDeliveryCase"] for answer in answers]
        assert sorted(len(p["userErrors"]) for p in payloads) == [0, 1]
        assert [p["userErrors"][0]["code"] for p in payloads if p["userErrors"]] == ["ALREADY_RESOLVED"]
        retry = (await graphql(client, RESOLVE, revenues, request)).json()["data"]["resolveDeliveryCase"]
        assert retry["userErrors"][0]["code"] == "ALREADY_RESOLVED"
        resolved = next(p["case"] for p in payloads if p["case"])
        assert resolved["resolvedBy"] == "Rita Revenues" and resolved["resolvedAt"]

        assert (await graphql(client, CASES, revenues)).json()["data"]["deliveryCases"]["edges"] == []
        history = (await graphql(client, CASES, revenues, {"openOnly": False})).json()["data"]["deliveryCases"]
        assert [e["node"]["reference"] for e in history["edges"]] == [stored.reference]
        scraped = (await client.get("/metrics")).text
        assert metric(scraped, "customer360_delivery_cases_open", team="revenues") == 0.0
    reads = await count(settings, audit_log, audit_log.c.action == "delivery_cases.read")
    assert reads >= 3, "every read of the cases is audited"
    assert await count(settings, audit_log, audit_log.c.action == "delivery_case.resolve") == 1


async def test_the_resident_sees_their_refused_payment_is_being_looked_into(
    own_council, issuer, residents, staff_token
):
    settings = replace(own_council, demo_webhook_copies=2, reconcile_interval_seconds=0)
    async with serving_app(settings) as (_, client):
        token, account = await owing_resident(client, issuer, residents)
        made = await pay(client, token, account["reference"], 1500, "refused-later")
        reference = made["payment"]["reference"]  # the one reference: ledger, provider, statement line
        await refuse_posting_of(settings, reference)
        await settle_at_page(made["payment"]["nextUrl"], "success")

        async def under_review() -> bool:
            me = (await graphql(client, MY_PAYMENTS, token)).json()["data"]["me"]
            return any(e["node"]["posting"] == "UNDER_REVIEW" for e in me["payments"]["edges"])

        assert await wait_for(under_review)
        me = (await graphql(client, MY_PAYMENTS, token)).json()["data"]["me"]
        paid = [e["node"] for e in me["requests"]["edges"] if e["node"]["serviceCode"] == "PAYMENT_COUNCIL_TAX"]
        looked_into = [
            p for p in paid if "We are looking into this payment" in [h["description"] for h in p["history"]]
        ]
        assert len(looked_into) == 1 and looked_into[0]["status"] == "IN_PROGRESS"

        # Staff deal with it: the resident reads that at once.
        revenues = staff_token(Role.REVENUES)
        [edge] = (await graphql(client, CASES, revenues)).json()["data"]["deliveryCases"]["edges"]
        await graphql(client, RESOLVE, revenues, {"input": {"caseId": edge["node"]["id"]}})
        me = (await graphql(client, MY_PAYMENTS, token)).json()["data"]["me"]
        assert "RESOLVED" in [e["node"]["posting"] for e in me["payments"]["edges"]]

        # A payment posted as it should be says so.
        posted = await pay(client, token, account["reference"], 700, "posted-fine")
        await settle_at_page(posted["payment"]["nextUrl"], "success")

        async def both_known() -> bool:
            me = (await graphql(client, MY_PAYMENTS, token)).json()["data"]["me"]
            states = sorted(e["node"]["posting"] or "" for e in me["payments"]["edges"])
            return "POSTED" in states and "RESOLVED" in states

        assert await wait_for(both_known)




@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_case_is_opened_once_and_resolved_once_however_many_race(tmp_path, backend):
    @asynccontextmanager
    async def store() -> AsyncIterator[DeliveryCaseStore]:
        if backend == "sqlite":
            engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
            await migrate(engine)
            yield DeliveryCaseStore(engine)
            await engine.dispose()
            return
        async with fresh_postgres_database() as url:
            engine = create_engine(url)
            await migrate(engine)
            yield DeliveryCaseStore(engine)
            await engine.dispose()

    async with store() as cases:
        refused = NewCase("C360-ABCD2345", None, "STREET_SCENE", "open311.report", "SERVICE_CHANGED", "refused", "x")
        refused = replace(refused, team=team_for(refused.destination))
        now = datetime.now(UTC)
        opened = await asyncio.gather(*(cases.open(refused, now) for _ in range(5)))
        [case] = [c for c in opened if c is not None]
        assert isinstance(case, DeliveryCaseRecord) and case.team == "customer_services"
        assert await cases.open(refused, now) is None  # a retry finds it
        assert await cases.open_counts() == {"customer_services": 1}
        won = await asyncio.gather(*(cases.resolve(case.id, f"staff {n}", None, now) for n in range(5)))
        assert sorted(won) == [False] * 4 + [True]
        assert await cases.resolve(case.id, "late", None, now) is False
        assert await cases.open_counts() == {}
        assert await cases.open(refused, now) is None  # resolved is not reopened by a late refusal


@pytest.mark.parametrize(
    ("destination", "team"),
    [
        ("REVENUES", "revenues"),
        ("CRM", "customer_services"),
        ("STREET_SCENE", "customer_services"),
        ("HOUSING", "housing"),
        ("BENEFITS", "benefits"),
        ("AGENCIES", "safeguarding"),
        ("SOMETHING_NEW", "customer_services"),
    ],
)
def test_each_destination_has_a_team(destination, team):
    assert team_for(destination) == team


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_refusals_kept_before_cases_existed_get_their_case_on_upgrade(tmp_path, backend):
    from alembic import command
    from alembic.config import Config

    from customer360.store.database import MIGRATIONS

    def upgrade(connection, revision: str) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async def check(url: str) -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(upgrade, "0007")
                now = datetime.now(UTC)
                for reference, destination, state in (
                    ("C360-AAAA2222", "REVENUES", "FAILED"),
                    ("C360-BBBB3333", "AGENCIES", "FAILED"),
                    ("C360-CCCC4444", "CRM", "DELIVERED"),
                ):
                    await conn.execute(
                        outbox.insert().values(
                            reference=reference,
                            destination=destination,
                            operation="some.operation",
                            payload={},
                            state=state,
                            attempts=1,
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
            await migrate(engine)
            cases = DeliveryCaseStore(engine)
            found = await cases.cases({"revenues", "safeguarding", "customer_services"}, open_only=True, first=10)
            assert sorted((c.reference, c.team, c.reason_code) for c in found) == [
                ("C360-AAAA2222", "revenues", "REFUSED"),
                ("C360-BBBB3333", "safeguarding", "REFUSED"),
            ]
        finally:
            await engine.dispose()

    if backend == "sqlite":
        await check(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    else:
        async with fresh_postgres_database() as url:
            await check(url)


async def test_any_refused_delivery_opens_a_case_without_its_service_doing_anything(own_council, staff_token):
    """A street report Open311 refuses (its service is gone there) is a case for customer services,
    through the same write path every service uses: nothing in reporting knows about cases."""
    from customer360.commands.reporting import STREET_REPORT, SUBMIT_TO_OPEN311
    from customer360.store.outbox import NewDelivery

    settings = replace(own_council, reconcile_interval_seconds=0)
    async with serving_app(settings) as (app, client):
        runtime = app.state.runtime
        payload = {
            "service_code": "RETIRED_AT_OPEN311",
            "description": "Glass on the path",
            "location": {"latitude": 52.6339, "longitude": -1.695},
            "attributes": [],
        }
        submitted = await runtime.writes.submit(
            kind=STREET_REPORT,
            customer_id=None,
            payload=payload,
            service_code="RETIRED_AT_OPEN311",
            deliveries=[NewDelivery(SourceSystem.STREET_SCENE, SUBMIT_TO_OPEN311, payload)],
        )
        assert submitted.deliveries[0].state.value == "FAILED"
        # The relay and a retry find it refused already: still one case.
        await asyncio.gather(runtime.payments.deliverer.run_due(), runtime.payments.deliverer.run_due())
        token = staff_token(Role.CUSTOMER_SERVICES, name="Cas Services")
        [edge] = (await graphql(client, CASES, token)).json()["data"]["deliveryCases"]["edges"]
        assert (edge["node"]["reference"], edge["node"]["destination"]) == (submitted.reference, "STREET_SCENE")
        assert edge["node"]["team"] == "customer_services"
        assert edge["node"]["customerId"] is None  # an anonymous report
        scraped = (await client.get("/metrics")).text
        assert metric(scraped, "customer360_delivery_cases_open", team="customer_services") == 1.0
