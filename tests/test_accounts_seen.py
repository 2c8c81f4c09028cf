"""The accounts as last seen (store/accounts_seen.py), against a real store: what a live read shows
replaces what was kept for that holder in that office only; unchanged, it is written at most once an hour
per process; two processes remembering at once leave one copy; none kept, or kept too long ago, is
"unknown"; and the tenancies kept before the table served Council Tax too are still found after the
migration (0150)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import column, func, insert, select, table, update
from sqlalchemy.engine import Connection

from customer360.domain.accounts_held import AccountHeld, liable_on, shown
from customer360.domain.systems import SourceSystem
from customer360.store.accounts_seen import AccountsSeenStore
from customer360.store.database import MIGRATIONS, create_engine, migrate
from customer360.store.tables import accounts_seen
from tests.services import fresh_postgres_database

HM = SourceSystem.HOUSING_MANAGEMENT
REVENUES = SourceSystem.REVENUES
HOME = AccountHeld("TY100001", None, vulnerable_household=False)
ENDING = AccountHeld("TY100002", date(2027, 1, 4), vulnerable_household=True)
COUNCIL_TAX = AccountHeld("CT1000001", None)


@pytest.fixture
async def engine(tmp_path: Path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    await migrate(engine)
    yield engine
    await engine.dispose()


async def _seen_at(engine) -> list[datetime]:
    async with engine.connect() as conn:
        # Accounts' rows only, not the row marking each holder seen (reference '').
        accounts_only = select(accounts_seen.c.seen_at).where(accounts_seen.c.reference != "")
        return list((await conn.execute(accounts_only)).scalars())


async def test_a_live_read_replaces_what_was_kept_for_that_holder_only(engine):
    store = AccountsSeenStore(engine)
    await store.remember(HM, {"TN1": [HOME, ENDING], "TN2": [HOME]})
    await store.remember(HM, {"TN1": [ENDING]})  # TY100001 no longer shown for TN1
    assert await store.last_seen(HM, ["TN1"]) == [ENDING]
    assert await store.last_seen(HM, ["TN2"]) == [HOME]
    assert sorted(t.reference for t in await store.last_seen(HM, ["TN1", "TN2"]) or []) == ["TY100001", "TY100002"]
    await store.remember(HM, {"TN1": []})  # holds none now: unknown, never "none held"
    assert await store.last_seen(HM, ["TN1"]) is None
    assert await store.last_seen(HM, []) is None


async def test_only_when_every_record_of_the_resident_was_seen_is_there_an_answer(engine):
    # A record linked to the resident since the last live read (TN3) may hold the very account asked
    # about: what the others held must not be read as all the resident holds.
    store = AccountsSeenStore(engine)
    await store.remember(HM, {"TN1": [HOME], "TN2": []})
    assert await store.last_seen(HM, ["TN1", "TN3"]) is None
    assert await store.last_seen(HM, ["TN1", "TN2"]) == [HOME]  # TN2 was seen holding none
    await store.remember(HM, {"TN3": [ENDING]})
    assert sorted(a.reference for a in await store.last_seen(HM, ["TN1", "TN3"]) or []) == ["TY100001", "TY100002"]


async def test_each_office_keeps_its_own_even_for_the_same_person_id(engine):
    store = AccountsSeenStore(engine)
    await store.remember(HM, {"P1": [HOME]})
    await store.remember(REVENUES, {"P1": [COUNCIL_TAX]})
    assert await store.last_seen(HM, ["P1"]) == [HOME]
    assert await store.last_seen(REVENUES, ["P1"]) == [COUNCIL_TAX]
    await store.remember(REVENUES, {"P1": []})  # REVENUES showing none leaves the tenancy alone
    assert await store.last_seen(REVENUES, ["P1"]) is None
    assert await store.last_seen(HM, ["P1"]) == [HOME]


async def test_unchanged_it_is_written_at_most_once_a_refresh(engine):
    clock = [1_000.0]
    store = AccountsSeenStore(engine, refresh_every_seconds=3_600, monotonic=lambda: clock[0])
    await store.remember(HM, {"TN1": [HOME]})
    first = await _seen_at(engine)
    clock[0] += 3_599
    await store.remember(HM, {"TN1": [HOME]})
    assert await _seen_at(engine) == first, "no write for the same tenancies within the hour"
    await store.remember(REVENUES, {"TN1": [COUNCIL_TAX]})
    assert len(await _seen_at(engine)) == 2, "another office's accounts are their own, written at once"
    await store.remember(HM, {"TN1": [HOME, ENDING]})
    assert len(await _seen_at(engine)) == 3, "a change is written at once"
    clock[0] += 3_601
    await store.remember(HM, {"TN1": [HOME, ENDING]})
    async with engine.connect() as conn:
        rows = (await conn.execute(select(accounts_seen.c.seen_at).where(accounts_seen.c.system == HM.value))).all()
    assert min(row.seen_at for row in rows) > max(first), "refreshed after the hour"


async def test_two_processes_remembering_at_once_leave_one_copy(engine):
    stores = [AccountsSeenStore(engine) for _ in range(4)]
    await asyncio.gather(*(store.remember(REVENUES, {"P1": [COUNCIL_TAX, HOME]}) for store in stores))
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(accounts_seen)) == 3  # two accounts, P1 seen
    assert sorted(a.reference for a in await stores[0].last_seen(REVENUES, ["P1"]) or []) == ["CT1000001", "TY100001"]


@pytest.mark.parametrize(("age", "known"), [(timedelta(days=27), True), (timedelta(days=29), False)])
async def test_kept_longer_ago_than_four_weeks_is_unknown(engine, age, known):
    store = AccountsSeenStore(engine)
    await store.remember(REVENUES, {"P1": [COUNCIL_TAX]})
    async with engine.begin() as conn:
        await conn.execute(update(accounts_seen).values(seen_at=datetime.now(UTC) - age))
    assert (await store.last_seen(REVENUES, ["P1"]) == [COUNCIL_TAX]) is known


def _to(revision: str):
    def run(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        if revision == "0135":
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)

    return run


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_tenancies_seen_before_the_migration_are_found_after_it(tmp_path, backend):
    async def check(url: str) -> None:
        engine = create_engine(url)
        try:
            await migrate(engine)
            store = AccountsSeenStore(engine)
            await store.remember(REVENUES, {"P1": [COUNCIL_TAX]})
            await store.remember(HM, {"TN1": [ENDING]})
            async with engine.begin() as conn:
                await conn.run_sync(_to("0135"))  # back to tenancies_seen: tenancies kept, Council Tax dropped
                tenancies_seen = table("tenancies_seen", *(column(c) for c in TENANCY_COLUMNS))
                kept = (await conn.execute(select(tenancies_seen.c.tenant_id, tenancies_seen.c.tenancy_ref))).all()
                assert [tuple(row) for row in kept] == [("TN1", "TY100002")]
                await conn.execute(
                    insert(tenancies_seen).values(
                        tenant_id="TN2",
                        tenancy_ref="TY100001",
                        ends_on=None,
                        vulnerable_household=False,
                        seen_at=datetime.now(UTC),
                    )
                )
            await migrate(engine)
            assert await store.last_seen(HM, ["TN1"]) == [ENDING]
            assert await store.last_seen(HM, ["TN2"]) == [HOME]
            assert await store.last_seen(REVENUES, ["P1"]) is None
        finally:
            await engine.dispose()

    if backend == "sqlite":
        await check(f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}")
    else:
        async with fresh_postgres_database() as url:
            await check(url)


TENANCY_COLUMNS = ("tenant_id", "tenancy_ref", "ends_on", "vulnerable_household", "seen_at")


def test_an_account_shown_is_found_by_its_reference_and_liable_until_its_last_day():
    ended = AccountHeld("CT1000002", date(2026, 3, 31))
    assert shown([COUNCIL_TAX, ended], "CT1000002") == ended
    assert shown([COUNCIL_TAX], "CT1000002") is None
    assert liable_on(COUNCIL_TAX, date(2030, 1, 1))
    assert liable_on(ended, date(2026, 3, 31)) and not liable_on(ended, date(2026, 4, 1))
