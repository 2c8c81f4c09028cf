"""Idempotency keys: which request first used a key, and the answer it gave.

The first request with a (scope, key) inserts an IN_PROGRESS row; the primary key decides a race
between requests, workers and machines, on SQLite and PostgreSQL alike. The winner runs and stores
its answer (DONE) or, when nothing was done, gives the key back (the row is deleted). A row older
than `KEY_LIFETIME` counts as absent: the next request with that key retakes it, whatever its body.
An IN_PROGRESS row whose lease ran out belongs to a request that died (a crashed or killed worker):
a request with the same body retakes it. A worker shut down gracefully ends the leases of the requests
it stopped (`end_lease`), so their repeats need not wait; a crash still leaves the lease to run out.

What the running request did, which decides whether its key is kept, is `customer360/attempts.py`'s.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.store.tables import idempotency_keys
from customer360.store.times import as_utc
from customer360.tracing import traced_methods

KEY_LIFETIME = timedelta(hours=24)
# Expired rows are deleted at most this often per process: one indexed DELETE, off the common path.
PURGE_EVERY = timedelta(minutes=5)


class KeyState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"


@dataclass(frozen=True, slots=True)
class Claim:
    """This request holds the key: it runs, then `finish`es or `release`s with `owner`."""

    owner: str
    # When the request this key names was first claimed: the same for a repeat that takes over a dead
    # worker's claim, new once the key has expired and names a new request (the write path keys on it).
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Taken:
    """Another request holds (or held) the key."""

    fingerprint: str
    state: KeyState
    answer: Any | None
    created_at: datetime


@traced_methods("idempotency")
class IdempotencyStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._purged_at: datetime | None = None

    async def claim(self, scope: str, key: str, fingerprint: str, lease: timedelta) -> Claim | Taken | None:
        """Take the key for a request with this fingerprint, or say who has it. None: the row went
        away meanwhile (its owner gave it back); ask again."""
        now = datetime.now(UTC)
        owner = secrets.token_hex(16)
        # A new row and a retaken one hold the same: this request's claim, from now.
        held = {
            "fingerprint": fingerprint,
            "state": KeyState.IN_PROGRESS.value,
            "owner": owner,
            "lease_until": now + lease,
            "answer": None,
            "created_at": now,
        }
        await self._purge(now)
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(idempotency_keys).values(scope=scope, key=key, **held))
            return Claim(owner, now)
        except IntegrityError:
            pass
        expired = idempotency_keys.c.created_at < now - KEY_LIFETIME
        abandoned = and_(
            idempotency_keys.c.state == KeyState.IN_PROGRESS.value,
            idempotency_keys.c.lease_until < now,
            idempotency_keys.c.fingerprint == fingerprint,
        )
        this_key = (idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
        async with self._engine.begin() as conn:
            retaken = await conn.execute(
                update(idempotency_keys)
                .where(*this_key, or_(expired, abandoned))
                # An expired key names a new request from now; an abandoned claim is the same request's.
                .values(**{**held, "created_at": case((expired, now), else_=idempotency_keys.c.created_at)})
            )
            if retaken.rowcount == 1:
                since = await conn.scalar(select(idempotency_keys.c.created_at).where(*this_key))
                return Claim(owner, as_utc(since))
            row = (
                await conn.execute(
                    select(idempotency_keys).where(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
                )
            ).one_or_none()
        if row is None:
            return None
        return Taken(row.fingerprint, KeyState(row.state), row.answer, as_utc(row.created_at))

    async def finish(self, scope: str, key: str, claim: Claim, answer: Any) -> bool:
        """Keep the answer for repeats. False: the claim was lost (its lease ran out and another took it)."""
        async with self._engine.begin() as conn:
            done = await conn.execute(
                update(idempotency_keys)
                .where(*self._held(scope, key, claim))
                .values(state=KeyState.DONE.value, answer=answer, lease_until=None)
            )
        return done.rowcount == 1

    async def release(self, scope: str, key: str, claim: Claim) -> None:
        """Give the key back: nothing was done, so a repeat runs afresh."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(idempotency_keys).where(*self._held(scope, key, claim)))

    async def end_lease(self, scope: str, key: str, claim: Claim) -> bool:
        """The claim's holder stopped without an answer (shut down): its lease ends now, so a repeat takes
        the claim over at once, as it would after the lease (the same request: `since` is kept), instead
        of waiting it out. Not a release: a write it began may stand, and the repeat must find it."""
        async with self._engine.begin() as conn:
            ended = await conn.execute(
                update(idempotency_keys).where(*self._held(scope, key, claim)).values(lease_until=datetime.now(UTC))
            )
        return ended.rowcount == 1

    @staticmethod
    def _held(scope: str, key: str, claim: Claim) -> tuple[Any, ...]:
        return (
            idempotency_keys.c.scope == scope,
            idempotency_keys.c.key == key,
            idempotency_keys.c.owner == claim.owner,
            idempotency_keys.c.state == KeyState.IN_PROGRESS.value,
        )

    async def _purge(self, now: datetime) -> None:
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return
        self._purged_at = now
        async with self._engine.begin() as conn:
            await conn.execute(delete(idempotency_keys).where(idempotency_keys.c.created_at < now - KEY_LIFETIME))
