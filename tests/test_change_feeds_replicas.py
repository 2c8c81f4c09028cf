"""The changes loop on two gateways sharing one PostgreSQL store: each feed read by one worker at a time
(leases), each arrival matched one at a time (an advisory lock). One new person registered at once in
three back offices, whose feeds the two gateways may read at the same moment, becomes one customer, not
two or three; an officer's changes are kept and told once.

Real components: a fresh PostgreSQL database as the gateways' store, the demo council's back offices
(SQLite files) changed in their own tables, `serve`'s own background loop (not called by hand).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import date

from sqlalchemy import func, insert, select

from customer360.demo import council
from customer360.demo.progress import progress
from customer360.domain.people import PersonRecord, PostalAddress
from customer360.domain.requests import RequestStatus
from customer360.domain.systems import SourceSystem
from customer360.identity.arrivals import match_records
from customer360.identity.linking import IdentityHub
from customer360.settings import Settings
from customer360.sources.benefits.sql import claimants
from customer360.sources.housing.sql import applicants, applications
from customer360.sources.revenues.sql import parties
from customer360.store.database import create_engine, migrate
from customer360.store.locks import locks_for
from customer360.store.tables import change_cursors, outbox, request_changes
from tests.services import fresh_postgres_database
from tests.support import running_app

NEWCOMER = {
    "forenames": "Ottoline",
    "surname": "Brackenbury",
    "date_of_birth": date(1979, 8, 14),
    "line1": "7 Ankerdine Court",
    "town": "Tamworth",
    "postcode": "B77 2XX",
    "email": "ottoline.brackenbury@example.org",
    "phone": "07700 900456",
}
PERSON = {
    "forenames": NEWCOMER["forenames"],
    "surname": NEWCOMER["surname"],
    "date_of_birth": NEWCOMER["date_of_birth"],
    "address": PostalAddress(line1="7 Ankerdine Court", postcode="B77 2XX", town="Tamworth"),
    "email": NEWCOMER["email"],
    "phone": NEWCOMER["phone"],
}
ARRIVED = [
    (SourceSystem.REVENUES, "PTY-OTT-1"),
    (SourceSystem.BENEFITS, "CLM-OTT-1"),
    (SourceSystem.HOUSING, "APP-OTT-1"),
]


async def _scalar(database_url: str, query):  # type: ignore[no-untyped-def]
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(query)).scalar_one()
    finally:
        await engine.dispose()


async def _register_newcomer(settings: Settings) -> None:
    """The same person, told to three offices (a move-in: council tax, housing benefit, the register)."""
    urls = council.database_urls(settings)
    for system, table, key in (
        (SourceSystem.REVENUES, parties, "party_id"),
        (SourceSystem.BENEFITS, claimants, "claimant_id"),
        (SourceSystem.HOUSING, applicants, "applicant_id"),
    ):
        engine = create_engine(urls[system])
        try:
            async with engine.begin() as conn:
                record_id = dict(ARRIVED)[system]
                await conn.execute(insert(table).values(**{key: record_id}, **NEWCOMER))
        finally:
            await engine.dispose()


async def _an_application(settings: Settings) -> str:
    engine = create_engine(council.database_urls(settings)[SourceSystem.HOUSING])
    try:
        async with engine.connect() as conn:
            return (await conn.execute(select(applications.c.reference).limit(1))).scalar_one()
    finally:
        await engine.dispose()


async def test_two_gateways_take_one_new_person_and_each_change_once(tmp_path):
    async with fresh_postgres_database() as database_url:
        settings = Settings(
            data_dir=tmp_path,
            database_url=database_url,
            outbox_interval_seconds=0.3,
            reconcile_interval_seconds=0,
            changes_interval_seconds=0.3,
            rate_limit_per_ip=0,
            rate_limit_per_principal=0,
        )
        engine = create_engine(database_url)
        try:
            await migrate(engine)
            await council.seed_demo(settings, IdentityHub.on(engine), residents=40, seed=11, reset=True)
        finally:
            await engine.dispose()
        feeds = 6  # every back office but the payment provider
        reference = await _an_application(settings)

        async with contextlib.AsyncExitStack() as gateways:
            first, _ = await gateways.enter_async_context(running_app(settings))
            await gateways.enter_async_context(running_app(settings))
            deadline = time.monotonic() + 30
            while await _scalar(database_url, select(func.count()).select_from(change_cursors)) < feeds:
                assert time.monotonic() < deadline, "the feeds' cursors were never started"
                await asyncio.sleep(0.1)

            await _register_newcomer(settings)
            registered = time.monotonic()
            await progress(settings, reference, RequestStatus.IN_PROGRESS, "Being assessed")
            await progress(settings, reference, RequestStatus.RESOLVED, "Offered a flat")
            hub = first.state.runtime.identity
            while len(await hub.customers.owners_of(ARRIVED)) < len(ARRIVED):
                assert time.monotonic() - registered < 30, "the newcomer never reached the golden record"
                await asyncio.sleep(0.05)
            arrived_in = time.monotonic() - registered
            await asyncio.sleep(2)  # several more passes of both loops: nothing is kept twice
            owners = await hub.customers.owners_of(ARRIVED)
            kept = await _scalar(
                database_url,
                select(func.count()).select_from(request_changes).where(request_changes.c.reference == reference),
            )
            messages = await _scalar(
                database_url,
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.reference == reference, outbox.c.operation.like("notify:%")),
            )
    assert len(set(owners.values())) == 1, f"one person became {len(set(owners.values()))} customers"
    assert kept == 2
    assert messages <= 2  # one per event at most (none when the applicant left no way to reach them)
    print(f"newcomer in the golden record {arrived_in:.2f} s after registration (interval 0.3 s)")


async def test_two_workers_matching_one_persons_new_records_at_once_make_one_customer(tmp_path):
    """The race the arrivals lock closes: two workers, each with a feed that brought one record of the same
    new person, match at the same moment. Each would find the other's record unowned and start a customer."""
    async with fresh_postgres_database() as database_url:
        settings = Settings(data_dir=tmp_path, database_url=database_url)
        engines = [create_engine(database_url) for _ in range(2)]
        try:
            await migrate(engines[0])
            await council.seed_demo(settings, IdentityHub.on(engines[0]), residents=20, seed=5, reset=True)
            records = [PersonRecord(system=system, record_id=record_id, **PERSON) for system, record_id in ARRIVED[:2]]
            hubs = [IdentityHub.on(engine) for engine in engines]
            locks = [locks_for(engine) for engine in engines]
            await asyncio.gather(
                *(
                    match_records([record], hub, settings.match_model_path, by="test", locks=lock)
                    for record, hub, lock in zip(records, hubs, locks, strict=True)
                )
            )
            owners = await hubs[0].customers.owners_of(ARRIVED[:2])
            for lock in locks:
                await lock.close()
        finally:
            for engine in engines:
                await engine.dispose()
    assert len(owners) == 2 and len(set(owners.values())) == 1, owners
