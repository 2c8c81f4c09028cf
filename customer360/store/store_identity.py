"""The store's own identity: a random id made once with the store and kept in it.

Redis outlives a store: a council may rebuild or replace its gateway store (a new database, an emptied
file) and keep its Redis and data dir. What Redis keeps names the store's rows (customer ids, views
generations) by names that repeat from one store to the next, so every key customer360 keeps there for
a store's rows carries this id (cache/redis.py, store/portal_sessions.py): a new store reads none of the
old one's entries, and two stores on one Redis never read each other's. It lives in the store, so every
worker and replica on it shares it, and a restart keeps it (and with it, the cache).

A store restored from a backup keeps the id of the store it copies, yet Redis holds what was kept after
the backup was taken: `renew` (`customer360 store renew-id`) gives the store a new id, which every
gateway uses once restarted.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.store.tables import store_identity
from customer360.tracing import traced_methods

ONLY_ROW = 1


@traced_methods("store_identity")
class StoreIdentity:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def store_id(self) -> str:
        """The store's id, made now if the store has none yet. Gateways starting together on a new
        store all get the one id: the row's fixed primary key lets only the first insert through."""
        found = await self._read()
        if found is not None:
            return found
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(store_identity).values(only_row=ONLY_ROW, store_id=_new_id(), created_at=datetime.now(UTC))
                )
        except IntegrityError:  # another gateway made it meanwhile: theirs is the store's
            pass
        made = await self._read()
        if made is None:  # pragma: no cover - the row was just inserted, and nothing deletes it
            raise RuntimeError("the store's identity could not be made")
        return made

    async def renew(self) -> str:
        """A new id (after the store is restored from a backup): gateways use it once restarted, and
        whatever Redis kept under the old one is never read again (it expires there with its TTL)."""
        await self.store_id()  # a store that has none yet gets one to replace
        new = _new_id()
        async with self._engine.begin() as conn:
            await conn.execute(
                update(store_identity)
                .where(store_identity.c.only_row == ONLY_ROW)
                .values(store_id=new, created_at=datetime.now(UTC))
            )
        return new

    async def _read(self) -> str | None:
        async with self._engine.connect() as conn:
            found = await conn.scalar(select(store_identity.c.store_id).where(store_identity.c.only_row == ONLY_ROW))
        return str(found) if found is not None else None


def _new_id() -> str:
    return uuid.uuid4().hex  # 122 random bits: two stores never draw the same
