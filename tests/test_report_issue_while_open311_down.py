"""reportIssue while Open311 is down: validated against its service list as last seen, kept, delivered later.

The list as last seen lives in the gateway's own store (`listed_services`), so it works with the
cache off, after a restart and for every worker; each delivery checks the definition again, and a
report that no longer fits is refused for good with the reason, never dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from customer360.demo import council
from customer360.demo.street_scene_db import requests as street_requests
from customer360.demo.street_scene_db import service_attributes, services
from customer360.domain.requests import DeliveryState
from customer360.domain.services import ServiceAttributeRecord, ServiceDefinitionRecord
from customer360.domain.submissions import Submission
from customer360.domain.systems import SourceSystem
from customer360.settings import Settings
from customer360.store.database import create_engine, migrate
from customer360.store.listed_services import ListedServiceStore
from customer360.store.tables import listed_services
from customer360.store.times import as_utc
from tests.services import fresh_postgres_database
from tests.support import graphql, running_app
from tests.test_report_issue import HERE, MY_REQUESTS, REPORT, litter_answers, rows

DESCRIPTION = "Chip papers all along the bus shelter"
EMAIL = "passer.by.while.down@example.net"
STREET_DOWN = frozenset({SourceSystem.STREET_SCENE})


def report_of(attributes: list[dict[str, str]], **more: Any) -> dict[str, Any]:
    return {"input": {"serviceCode": "LITTER", "description": DESCRIPTION, "location": HERE, "attributes": attributes}
            | more}  # fmt: skip


async def relay_when_back(app: Any) -> None:
    """Open311 is back: two relay passes at once (a second worker), then a later retry pass."""
    app.state.runtime.faults.down.clear()
    later = datetime.now(UTC) + timedelta(hours=1)
    deliverer = app.state.runtime.services.writes.deliverer
    await asyncio.gather(deliverer.run_due(now=later), deliverer.run_due(now=later))
    await deliverer.run_due(now=later + timedelta(hours=1))


async def submission(app: Any, reference: str) -> Submission:
    return (await app.state.runtime.outbox.submissions_by_reference([reference]))[reference]


async def on_street_scene(settings: Settings, change: Callable[[AsyncConnection], Any]) -> None:
    engine = create_engine(council.database_urls(settings)[SourceSystem.STREET_SCENE])
    try:
        async with engine.begin() as conn:
            await change(conn)
    finally:
        await engine.dispose()


async def on_gateway(settings: Settings, statement: Any) -> None:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(statement)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    "cache",
    [
        pytest.param({"cache_enabled": True, "cache_ttl_seconds": 0.0}, id="cache-entry-expired"),
        pytest.param({"cache_enabled": False}, id="cache-off"),
    ],
)
async def test_with_open311_down_and_its_list_expired_a_report_is_kept_and_delivered_once(
    own_council, issuer, residents, cache
):
    token = issuer.resident_token(residents[8]["email"])
    async with running_app(replace(own_council, **cache)) as (app, client):
        attributes = await litter_answers(client)  # the list is read live, and kept as last seen
        app.state.runtime.faults.down.add(SourceSystem.STREET_SCENE)
        payload = (await graphql(client, REPORT, token, report_of(attributes))).json()["data"]["reportIssue"]
        assert payload["userErrors"] == []
        reference = payload["request"]["reference"]
        assert reference.startswith("C360-")
        assert payload["request"]["delivery"]["state"] == "PENDING"
        assert payload["request"]["delivery"]["system"] == "STREET_SCENE"
        assert await rows(own_council, SourceSystem.STREET_SCENE, street_requests, reference) == 0

        await relay_when_back(app)
        kept = await submission(app, reference)
        assert kept.delivery_state is DeliveryState.DELIVERED
        mine = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
        listed = {edge["node"]["reference"]: edge["node"] for edge in mine}
        assert listed[reference]["delivery"]["state"] == "DELIVERED"
    assert await rows(own_council, SourceSystem.STREET_SCENE, street_requests, reference) == 1


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
async def test_a_restart_while_open311_is_down_still_accepts_a_report(own_council, store):
    async with fresh_postgres_database() if store == "postgresql" else nullcontext() as url:
        settings = replace(own_council, database_url=url) if url else own_council
        async with running_app(settings) as (_, client):
            attributes = await litter_answers(client)
        # A new process on the same data dir, started while Open311 is down: nothing of the first in memory.
        async with running_app(replace(settings, demo_sources_down=STREET_DOWN)) as (app, client):
            body = (await graphql(client, REPORT, None, report_of(attributes, contactEmail=EMAIL))).json()
            payload = body["data"]["reportIssue"]
            assert payload["userErrors"] == []
            reference = payload["request"]["reference"]
            assert payload["request"]["delivery"]["state"] == "PENDING"
            await relay_when_back(app)
            assert (await submission(app, reference)).delivery_state is DeliveryState.DELIVERED
    assert await rows(own_council, SourceSystem.STREET_SCENE, street_requests, reference) == 1


async def test_a_list_seen_longer_ago_than_the_stale_window_is_not_used(own_council):
    async with running_app(own_council) as (_, client):
        attributes = await litter_answers(client)
    two_days_ago = datetime.now(UTC) - timedelta(days=2)  # the default window is one day
    await on_gateway(own_council, update(listed_services).values(seen_at=two_days_ago))
    async with running_app(replace(own_council, demo_sources_down=STREET_DOWN)) as (app, client):
        body = (await graphql(client, REPORT, None, report_of(attributes, contactEmail=EMAIL))).json()
        (error,) = body["data"]["reportIssue"]["userErrors"]
        assert error["code"] == "SOURCE_UNAVAILABLE"
        assert await app.state.runtime.outbox.pending_count() == 0


async def _make_quantity_required(conn: AsyncConnection) -> None:
    await conn.execute(
        update(service_attributes)
        .where(service_attributes.c.service_code == "LITTER", service_attributes.c.code == "QUANTITY")
        .values(required=True)
    )


async def _remove_litter(conn: AsyncConnection) -> None:
    await conn.execute(delete(service_attributes).where(service_attributes.c.service_code == "LITTER"))
    await conn.execute(delete(services).where(services.c.service_code == "LITTER"))


async def _add_an_optional_question(conn: AsyncConnection) -> None:
    await conn.execute(
        insert(service_attributes).values(
            service_code="LITTER",
            code="NEAR_SCHOOL",
            description="Is it near a school?",
            datatype="singlevaluelist",
            required=False,
            position=99,
            values=["Yes", "No"],
        )
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param(
            _make_quantity_required,
            "service LITTER changed since the report was accepted: REQUIRED: Answer 'QUANTITY'",
            id="attribute-made-required",
        ),
        pytest.param(_remove_litter, "service LITTER is no longer offered", id="service-removed"),
        pytest.param(_add_an_optional_question, None, id="still-fits"),
    ],
)
async def test_a_definition_changed_while_down_is_refused_for_good_with_the_reason_not_lost(
    own_council, change, reason
):
    async with running_app(own_council) as (app, client):
        attributes = await litter_answers(client)  # LITTER_TYPE only: QUANTITY is optional when read
        app.state.runtime.faults.down.add(SourceSystem.STREET_SCENE)
        body = (await graphql(client, REPORT, None, report_of(attributes, contactEmail=EMAIL))).json()
        reference = body["data"]["reportIssue"]["request"]["reference"]
        await on_street_scene(own_council, change)

        await relay_when_back(app)
        (delivery,) = (await submission(app, reference)).deliveries
    if reason is None:
        assert delivery.state is DeliveryState.DELIVERED
        assert await rows(own_council, SourceSystem.STREET_SCENE, street_requests, reference) == 1
        return
    assert delivery.state is DeliveryState.FAILED, "refused for good: not retried for ever"
    assert delivery.attempts == 2, "the first attempt (while down) and the one that found the change"
    assert delivery.last_error is not None and reason in delivery.last_error
    assert DESCRIPTION not in delivery.last_error and EMAIL not in delivery.last_error
    assert await rows(own_council, SourceSystem.STREET_SCENE, street_requests, reference) == 0


# The store on its own: refreshed when a list changes or once a minute, the same row for every worker.

LITTER = ServiceDefinitionRecord(
    "LITTER",
    "Litter",
    "Green & Clean",
    "Litter on a street",
    (ServiceAttributeRecord("LITTER_TYPE", "What kind?", "singlevaluelist", True, ("General", "Food")),),
    SourceSystem.STREET_SCENE,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def seen_at(engine: AsyncEngine) -> datetime:
    async with engine.connect() as conn:
        return as_utc((await conn.execute(select(listed_services.c.seen_at))).scalar_one())


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
async def test_the_list_as_last_seen_is_one_row_per_back_office_rewritten_when_it_changes(tmp_path, store):
    async with fresh_postgres_database() if store == "postgresql" else nullcontext() as url:
        engine = create_engine(url or f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}")
        try:
            await migrate(engine)
            clock = Clock()
            workers = [ListedServiceStore(engine, keep_seconds=3600, monotonic=clock) for _ in range(4)]
            # Four workers read the list at once: one row, no error.
            await asyncio.gather(*(worker.remember(SourceSystem.STREET_SCENE, [LITTER]) for worker in workers))
            first = await seen_at(engine)
            assert await workers[0].last_seen([SourceSystem.STREET_SCENE]) == {SourceSystem.STREET_SCENE: [LITTER]}

            await workers[0].remember(SourceSystem.STREET_SCENE, [LITTER])
            assert await seen_at(engine) == first, "unchanged within the minute: no write"
            changed = replace(LITTER, attributes=())
            await workers[0].remember(SourceSystem.STREET_SCENE, [changed])
            assert await workers[1].last_seen([SourceSystem.STREET_SCENE]) == {SourceSystem.STREET_SCENE: [changed]}
            clock.now += 61
            await workers[0].remember(SourceSystem.STREET_SCENE, [changed])
            assert await seen_at(engine) > first, "unchanged for a minute: seen again"

            assert await ListedServiceStore(engine, keep_seconds=0).last_seen([SourceSystem.STREET_SCENE]) == {}
            assert await workers[0].last_seen([SourceSystem.CRM]) == {}
        finally:
            await engine.dispose()
