"""Every replica runs the outbox relay: on one PostgreSQL and Redis, two gateways deliver a backlog
of pending writes between them, each write exactly once; a gateway that stops ends the delivery it
has under way instead of leaving it claimed.

Real components: a fresh PostgreSQL database as the gateways' shared store, Redis (C360_TEST_REDIS_URL),
the demo council's CRM (SQLite) as the back office; the writes are residents' complaints made while
the CRM was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from customer360.auth.keys import load_or_create_signing_key
from customer360.auth.tokens import DemoIssuer
from customer360.cli import _residents
from customer360.demo import council
from customer360.domain.requests import DeliveryState
from customer360.identity.linking import IdentityHub
from customer360.settings import Settings
from customer360.sources.crm.sql import complaints as crm_complaints
from customer360.sources.registry import SourceSystem
from customer360.store.database import create_engine, migrate
from customer360.store.tables import outbox
from tests.services import REDIS_URL, fresh_postgres_database, redis_or_skip
from tests.support import running_app

WRITES = 20
MAKE = """
mutation($input: MakeComplaintInput!) { makeComplaint(input: $input) {
  complaint { reference delivery { state } } userErrors { field code message } } }
"""


async def complain(client, token: str, key: str) -> dict:
    complaint = {"subject": f"backlog {key}", "description": "The bins were missed again", "serviceArea": "waste"}
    response = await client.post(
        "/graphql",
        json={"query": MAKE, "variables": {"input": complaint}},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )
    made = response.json()["data"]["makeComplaint"]
    assert made["userErrors"] == [], made
    return made["complaint"]


async def pending(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            # Writes to the CRM only: each complaint's receipt to its resident is a row of its own.
            query = select(func.count()).where(
                outbox.c.state == DeliveryState.PENDING.value, outbox.c.destination == "CRM"
            )
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def fall_due_now(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(outbox).values(next_attempt_at=datetime.now(UTC)))
    finally:
        await engine.dispose()


async def crm_subjects(settings: Settings) -> Counter[str]:
    engine = create_engine(council.database_urls(settings)[SourceSystem.CRM])
    try:
        async with engine.connect() as conn:
            query = select(crm_complaints.c.subject).where(crm_complaints.c.subject.like("backlog %"))
            return Counter(row.subject.removeprefix("backlog ") for row in await conn.execute(query))
    finally:
        await engine.dispose()


def delivered_by(app) -> float:
    return sum(
        sample.value
        for metric in app.state.runtime.metrics.outbox_delivered.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


async def test_two_gateways_relaying_one_backlog_deliver_each_write_once_and_share_it(tmp_path):
    await (await redis_or_skip()).aclose()
    async with fresh_postgres_database() as database_url:
        settings = Settings(
            data_dir=tmp_path,
            database_url=database_url,
            redis_url=REDIS_URL,
            outbox_interval_seconds=0,
            reconcile_interval_seconds=0,
            rate_limit_per_ip=0,
            rate_limit_per_principal=0,
        )
        engine = create_engine(database_url)
        try:
            await migrate(engine)
            await council.seed_demo(settings, IdentityHub.on(engine), residents=40, seed=11, reset=True)
        finally:
            await engine.dispose()
        issuer = DemoIssuer(load_or_create_signing_key(tmp_path))
        tokens = [issuer.resident_token(json.loads(line)["email"]) for line in await _residents(settings, 3)]

        # The backlog: complaints accepted while the CRM was down, each waiting in the outbox.
        keys = [uuid.uuid4().hex for _ in range(WRITES)]
        crm_down = replace(settings, demo_sources_down=frozenset({SourceSystem.CRM}))
        async with running_app(crm_down) as (_, client):
            made = [await complain(client, tokens[n % len(tokens)], key) for n, key in enumerate(keys[1:], 1)]
            # A double click (the same key twice at once), then a retry of it: one complaint.
            twice = await asyncio.gather(complain(client, tokens[0], keys[0]), complain(client, tokens[0], keys[0]))
            retried = await complain(client, tokens[0], keys[0])
        assert twice[0]["reference"] == twice[1]["reference"] == retried["reference"]
        assert {c["delivery"]["state"] for c in [*made, *twice]} == {"PENDING"}
        assert await pending(database_url) == WRITES

        # Two gateways on the same store, both relaying every 0.1 s; the CRM a little slow, as a real one is.
        relaying = replace(settings, outbox_interval_seconds=0.1, demo_source_latency_ms=20)
        async with contextlib.AsyncExitStack() as gateways:
            first, _ = await gateways.enter_async_context(running_app(relaying))
            second, _ = await gateways.enter_async_context(running_app(relaying))
            await fall_due_now(database_url)  # as when a long outage ends: the whole backlog at once
            deadline = time.monotonic() + 40
            while await pending(database_url):
                assert time.monotonic() < deadline, f"{await pending(database_url)} still pending after 40 s"
                await asyncio.sleep(0.2)
            shares = delivered_by(first), delivered_by(second)

        in_crm = await crm_subjects(settings)
        assert in_crm == Counter(dict.fromkeys(keys, 1)), "each write in the CRM exactly once"
        assert sum(shares) == WRITES, f"deliveries {shares}: one each"
        assert min(shares) > 0, f"one gateway idle while the other delivered the backlog: {shares}"


async def test_a_gateway_stopping_mid_delivery_finishes_it_and_releases_its_claim(own_council, issuer, residents):
    """Stopping (the end of a SIGTERM) lets the relay's pass under way end: the write is delivered and
    its claim released, not cancelled halfway and left claimed until the lease runs out."""
    token = issuer.resident_token(residents[3]["email"])
    key = uuid.uuid4().hex
    async with running_app(replace(own_council, demo_sources_down=frozenset({SourceSystem.CRM}))) as (_, client):
        complaint = await complain(client, token, key)
    slow_crm = replace(own_council, outbox_interval_seconds=0.1, demo_source_latency_ms=1500)
    async with running_app(slow_crm) as (app, _):
        await fall_due_now(own_council.gateway_database_url)
        store = app.state.runtime.outbox
        deadline = time.monotonic() + 20
        while not await claimed(own_council.gateway_database_url, complaint["reference"]):
            assert time.monotonic() < deadline, "the relay never took the write"
            await asyncio.sleep(0.05)
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 10, "the pass under way is waited for, not forever"
    assert await claimed(own_council.gateway_database_url, complaint["reference"]) is False
    assert await store.pending_count() == 0
    assert await crm_subjects(own_council) == Counter({key: 1})


async def claimed(database_url: str, reference: str) -> bool:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            # The complaint's delivery to the CRM (its receipt to the resident is a row of its own).
            query = select(outbox.c.claimed_until).where(outbox.c.reference == reference, outbox.c.destination == "CRM")
            return (await conn.execute(query)).scalar_one() is not None
    finally:
        await engine.dispose()
