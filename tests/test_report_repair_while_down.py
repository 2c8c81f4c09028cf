"""reportRepair while HOUSING_MANAGEMENT is down: the tenancy is checked against the tenancies the office
last showed for the resident's linked records (kept in the gateway's store: no cache, a restart, any worker),
the repair is kept with its C360- reference and delivered once when the office is back, under the same
reference for ever. A tenancy never seen is a clear userError and nothing is kept."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, update

from customer360.domain.requests import DeliveryState
from customer360.domain.systems import SourceSystem
from customer360.sources.housing_management import sql as housing_management_sql
from customer360.store.tables import accounts_seen
from tests.support import graphql, running_app
from tests.tenancy_support import on_housing_management
from tests.test_report_issue_while_open311_down import on_gateway, submission
from tests.test_report_repair import REPAIRS, REPORT, _post, _repairs_recorded, _tenants

DOWN = frozenset({SourceSystem.HOUSING_MANAGEMENT})
MY_REQUESTS = "{ me { requests(first: 50) { edges { node { reference serviceCode delivery { state system } } } } } }"


def _report(tenancy: str, room: str = "Bathroom") -> dict[str, Any]:
    return {
        "input": {
            "tenancyReference": tenancy,
            "category": "DAMP_AND_MOULD",
            "room": room,
            "description": "Mould on the ceiling above the bath",
        }
    }


async def _back(app: Any) -> None:
    """HOUSING_MANAGEMENT is back: two relay passes at once (a second worker), then a later one."""
    app.state.runtime.faults.down.clear()
    later = datetime.now(UTC) + timedelta(hours=1)
    deliverer = app.state.runtime.services.writes.deliverer
    await asyncio.gather(deliverer.run_due(now=later), deliverer.run_due(now=later))
    await deliverer.run_due(now=later + timedelta(hours=1))


async def test_a_repair_reported_while_down_is_kept_and_delivered_once_under_the_same_reference(
    own_council, issuer, residents
):
    async with running_app(own_council) as (app, client):
        ((token, tenancy),) = await _tenants(client, issuer, residents, 1)  # read live: kept as last seen
        app.state.runtime.faults.down.add(SourceSystem.HOUSING_MANAGEMENT)
        first, duplicate = await asyncio.gather(
            _post(client, token, _report(tenancy), "down-1"), _post(client, token, _report(tenancy), "down-2")
        )
        answers = [first.json()["data"]["reportRepair"], duplicate.json()["data"]["reportRepair"]]
        kept = [a["repair"] for a in answers if a["repair"]]
        refused = [a["userErrors"] for a in answers if not a["repair"]]
        assert len(kept) == 1 and [[e["code"] for e in errors] for errors in refused] == [["ALREADY_REPORTED"]]
        repair = kept[0]
        reference = repair["reference"]
        assert reference.startswith("C360-") and repair["status"] == "REPORTED"
        assert [d["kind"] for d in repair["deadlines"]][:1] == ["INVESTIGATE"]  # Awaab's Law, as if live
        key = "down-1" if answers[0]["repair"] else "down-2"
        retried = (await _post(client, token, _report(tenancy), key)).json()["data"]["reportRepair"]
        assert retried["repair"]["reference"] == reference
        assert (await submission(app, reference)).delivery_state is DeliveryState.PENDING
        assert await _repairs_recorded(own_council, reference) == 0

        await _back(app)
        assert (await submission(app, reference)).delivery_state is DeliveryState.DELIVERED
        assert await _repairs_recorded(own_council, reference) == 1
        on_tenancies = (await graphql(client, REPAIRS, token)).json()["data"]["me"]["tenancies"]
        shown = [e["node"] for t in on_tenancies for e in t["repairs"]["edges"] if e["node"]["reference"] == reference]
        assert len(shown) == 1 and shown[0]["backOfficeReference"].startswith("RR-")
        mine = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
        listed = [e["node"] for e in mine if e["node"]["reference"] == reference]
        assert listed == [
            {
                "reference": reference,
                "serviceCode": "REPAIR",
                "delivery": {"state": "DELIVERED", "system": "HOUSING_MANAGEMENT"},
            }
        ]


async def test_after_a_restart_while_down_the_tenancy_as_last_seen_still_stands(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        (mine, theirs) = await _tenants(client, issuer, residents, 2)
    # A new process on the same data dir, started while the office is down: nothing of the first in memory.
    async with running_app(replace(own_council, demo_sources_down=DOWN)) as (app, client):
        token, tenancy = mine
        answer = (await graphql(client, REPORT, token, _report(tenancy, "Kitchen"))).json()["data"]["reportRepair"]
        assert answer["userErrors"] == []
        reference = answer["repair"]["reference"]
        # Another resident's tenancy, though seen, is not this one's.
        other = (await graphql(client, REPORT, token, _report(theirs[1]))).json()["data"]["reportRepair"]
        assert [e["code"] for e in other["userErrors"]] == ["NOT_YOUR_TENANCY"]
        await _back(app)
        assert (await submission(app, reference)).delivery_state is DeliveryState.DELIVERED
    assert await _repairs_recorded(own_council, reference) == 1


async def test_a_tenancy_never_seen_while_down_is_a_clear_user_error_and_nothing_is_kept(
    own_council, issuer, residents
):
    async with running_app(own_council) as (_, client):
        ((token, tenancy),) = await _tenants(client, issuer, residents, 1)
    await on_gateway(own_council, delete(accounts_seen))
    async with running_app(replace(own_council, demo_sources_down=DOWN)) as (app, client):
        answer = (await graphql(client, REPORT, token, _report(tenancy))).json()["data"]["reportRepair"]
        assert answer["repair"] is None
        assert [(e["code"], e["message"]) for e in answer["userErrors"]] == [
            ("SOURCE_UNAVAILABLE", "We cannot check your tenancy right now; nothing was sent, please try again shortly")
        ]
        assert await app.state.runtime.outbox.pending_count() == 0


async def test_a_tenancy_seen_longer_ago_than_four_weeks_is_not_used(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        ((token, tenancy),) = await _tenants(client, issuer, residents, 1)
    five_weeks_ago = datetime.now(UTC) - timedelta(weeks=5)
    await on_gateway(own_council, update(accounts_seen).values(seen_at=five_weeks_ago))
    async with running_app(replace(own_council, demo_sources_down=DOWN)) as (app, client):
        answer = (await graphql(client, REPORT, token, _report(tenancy))).json()["data"]["reportRepair"]
        assert [e["code"] for e in answer["userErrors"]] == ["SOURCE_UNAVAILABLE"]
        assert await app.state.runtime.outbox.pending_count() == 0


async def test_a_tenancy_ended_since_it_was_last_seen_is_refused_on_delivery_for_the_housing_team(
    own_council, issuer, residents
):
    async with running_app(own_council) as (_, client):
        ((token, tenancy),) = await _tenants(client, issuer, residents, 1)
    async with running_app(replace(own_council, demo_sources_down=DOWN)) as (app, client):
        answer = (await graphql(client, REPORT, token, _report(tenancy))).json()["data"]["reportRepair"]
        reference = answer["repair"]["reference"]
        # While the office was down the tenancy ended (a transfer, say): the office refuses the repair.
        await on_housing_management(
            own_council,
            update(housing_management_sql.tenancies)
            .where(housing_management_sql.tenancies.c.tenancy_ref == tenancy)
            .values(ends_on=date.today() - timedelta(days=1)),
        )
        await _back(app)
        (delivery,) = (await submission(app, reference)).deliveries
        assert delivery.state is DeliveryState.FAILED, "refused for good, not retried for ever, never lost"
        cases = await app.state.runtime.services.cases.cases(["housing"], open_only=True, first=10)
        assert [case.reference for case in cases] == [reference]
    assert await _repairs_recorded(own_council, reference) == 0
