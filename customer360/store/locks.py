"""Named locks shared by every process on one store: check-then-write runs one at a time per name.

`async with locks.hold("account:CT0001234")` serialises the critical section across workers and
machines sharing the gateway store, so two concurrent identical requests cannot both pass a "not
done yet" check before either has written.

PostgreSQL: a session advisory lock (`pg_advisory_lock`) on a connection held for the section; the
server frees it when that session ends, so a holder that dies never blocks anyone. Those sessions
come from a small pool of their own, so locks held and waited for can never use up the connections
the critical sections themselves need.
SQLite (one file, possibly several processes): a lease row in `job_leases`, renewed while the
holder lives and expiring shortly after it dies; waiters poll it with a short backoff.
Both sit behind a per-process `asyncio.Lock` per name, so a process never queues against itself
(one pooled connection or one poller per name, however many of its requests wait).

A waiter has one budget (`WAIT_SECONDS`) for all of it: the local lock, a session from the pool and
the lock itself. It is well under the request timeout, so a busy lock answers `LockBusy` (which
commands turn into a "try again" userError, and the relay into a later retry) rather than a 504.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Protocol
from weakref import WeakValueDictionary

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from customer360.store.database import STORE_ERRORS
from customer360.store.leases import holder_name
from customer360.store.tables import job_leases

log = logging.getLogger("customer360.locks")

# Nobody waits longer than this for a lock, all steps together: a critical section is one fresh
# back-office read and one store write (deliveries run after the lock is let go), and a request
# has 30 s in all (`C360_REQUEST_TIMEOUT_SECONDS`).
WAIT_SECONDS = 8.0
# A SQLite lease outlives its holder's last renewal by this much; renewed every third of it.
LEASE_SECONDS = 15.0
FIRST_POLL_SECONDS = 0.005
MAX_POLL_SECONDS = 0.2


class LockBusy(Exception):
    """The lock (or a session to take it with) was not free within the wait budget. Not a TimeoutError
    (an OSError): a busy lock is contention, and must not read as "store not reachable" where those are
    caught (`STORE_UNREACHABLE`), nor as a request timeout."""


# Sessions one process may hold or wait in at once on PostgreSQL (one per lock name at most).
LOCK_SESSIONS = 20


class Locks(Protocol):
    def hold(self, name: str) -> contextlib.AbstractAsyncContextManager[None]: ...

    async def close(self) -> None: ...


def locks_for(engine: AsyncEngine, *, sessions: int = LOCK_SESSIONS, wait_seconds: float = WAIT_SECONDS) -> Locks:
    """Advisory locks on PostgreSQL (at most `sessions` from a pool of their own), lease rows elsewhere (SQLite)."""
    if engine.dialect.name == "postgresql":
        pool = create_async_engine(
            engine.url,
            pool_size=min(2, sessions),
            max_overflow=max(sessions - 2, 0),
            pool_timeout=wait_seconds,
            pool_pre_ping=True,
            hide_parameters=True,
        )
        return AdvisoryLocks(pool, wait_seconds)
    return LeaseLocks(engine, wait_seconds=wait_seconds)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for a name (Python's `hash()` changes with every process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


class _InProcess:
    """One `asyncio.Lock` per name, forgotten once nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    def __call__(self, name: str) -> asyncio.Lock:
        lock = self._locks.get(name)
        if lock is None:
            lock = self._locks[name] = asyncio.Lock()
        return lock


class AdvisoryLocks:
    def __init__(self, engine: AsyncEngine, wait_seconds: float = WAIT_SECONDS) -> None:
        self._engine = engine
        self._wait = wait_seconds
        self._local = _InProcess()

    @contextlib.asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        key = advisory_key(name)
        local = self._local(name)
        deadline = asyncio.get_running_loop().time() + self._wait
        try:
            async with asyncio.timeout_at(deadline):
                await local.acquire()
        except TimeoutError as error:
            raise LockBusy(name) from error
        try:
            conn = self._engine.connect()
            try:
                async with asyncio.timeout_at(deadline):
                    await conn.start()  # a session from the pool: part of the same wait
            except (TimeoutError, PoolTimeout) as error:
                raise LockBusy(name) from error
            try:
                try:
                    async with asyncio.timeout_at(deadline):
                        await conn.execute(select(func.pg_advisory_lock(key)))
                        await conn.commit()  # no transaction left open while the section runs
                except BaseException as error:
                    # Interrupted mid-wait the lock may be granted anyway: end the session to free it.
                    await conn.invalidate()
                    if isinstance(error, TimeoutError):
                        raise LockBusy(name) from error
                    raise
                try:
                    yield
                finally:
                    try:
                        await conn.execute(select(func.pg_advisory_unlock(key)))
                        await conn.commit()
                    except STORE_ERRORS as error:  # the section's outcome stands; ending the session frees it
                        await conn.invalidate()
                        log.warning("lock not released (%s): its session was ended instead", type(error).__name__)
                    except BaseException:
                        await conn.invalidate()  # a session that ends releases its locks
                        raise
            finally:
                await conn.close()
        finally:
            local.release()

    async def close(self) -> None:
        await self._engine.dispose()


class LeaseLocks:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        lease_seconds: float = LEASE_SECONDS,
        wait_seconds: float = WAIT_SECONDS,
        holder: str | None = None,
    ) -> None:
        self._engine = engine
        self._lease = timedelta(seconds=lease_seconds)
        self._wait = wait_seconds
        self.holder = holder or holder_name()
        self._local = _InProcess()

    @contextlib.asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        row = _row_name(name)
        local = self._local(name)
        deadline = asyncio.get_running_loop().time() + self._wait  # one budget: the local lock and the row
        try:
            async with asyncio.timeout_at(deadline):
                await local.acquire()
        except TimeoutError as error:
            raise LockBusy(name) from error
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    delay = FIRST_POLL_SECONDS
                    while not await self._take(row):
                        await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                        delay = min(delay * 2, MAX_POLL_SECONDS)
            except TimeoutError as error:
                raise LockBusy(name) from error
            renewing = asyncio.create_task(self._renew(row))
            try:
                yield
            finally:
                renewing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewing
                await self._release(row)
        finally:
            local.release()

    async def close(self) -> None:
        """Nothing of its own to close: the lease rows live in the store's engine."""

    async def _take(self, row: str) -> bool:
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            taken = await conn.execute(
                update(job_leases)
                .where(job_leases.c.name == row, or_(job_leases.c.holder == self.holder, job_leases.c.until < now))
                .values(holder=self.holder, until=now + self._lease)
            )
        if taken.rowcount:
            return True
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(job_leases).values(name=row, holder=self.holder, until=now + self._lease))
        except IntegrityError:  # held by someone else, and their lease still runs
            return False
        return True

    async def _renew(self, row: str) -> None:
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            try:
                async with self._engine.begin() as conn:
                    await conn.execute(
                        update(job_leases)
                        .where(job_leases.c.name == row, job_leases.c.holder == self.holder)
                        .values(until=datetime.now(UTC) + self._lease)
                    )
            except STORE_ERRORS as error:  # a blip: the next renewal may still come within the lease
                log.warning("lock lease not renewed (%s)", type(error).__name__)

    async def _release(self, row: str) -> None:
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    delete(job_leases).where(job_leases.c.name == row, job_leases.c.holder == self.holder)
                )
        except STORE_ERRORS as error:  # the section's outcome stands; the lease lapses by itself
            log.warning("lock lease not released (%s); it lapses within %s", type(error).__name__, self._lease)


def _row_name(name: str) -> str:
    """The lease row's name, within the column's 40 characters (a long name is hashed)."""
    row = f"lock:{name}"
    return row if len(row) <= 40 else f"lock:{hashlib.blake2b(name.encode(), digest_size=16).hexdigest()}"
