"""Where the resident portal keeps its server-side state: the gateway store, or Redis when configured.

A tiny expiring key-value store. `take` reads and deletes in one step (`DELETE ... RETURNING`,
Redis `GETDEL`), so of two requests racing with the same one-time token exactly one gets it.
Keys are digests chosen by the portal; values are opaque text to this layer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

import redis.asyncio as redis
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.store.tables import portal_sessions
from customer360.store.times import as_utc
from customer360.tracing import traced_methods

REDIS_PREFIX = "c360:portal:"  # then the store's id and ":" (RedisPortalSessions)


class PortalSessionStore(Protocol):
    async def put(self, key: str, value: str, ttl_seconds: int) -> None: ...
    async def get(self, key: str) -> str | None: ...
    async def touch(self, key: str, ttl_seconds: int) -> None: ...
    async def take(self, key: str) -> str | None: ...
    async def delete(self, key: str) -> None: ...
    async def close(self) -> None: ...


@traced_methods("portal_sessions")
class SqlPortalSessions:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def put(self, key: str, value: str, ttl_seconds: int) -> None:
        now = datetime.now(UTC)
        row = {"value": value, "expires_at": now + timedelta(seconds=ttl_seconds)}
        async with self._engine.begin() as conn:
            # Expired rows go as new ones come, so the table holds only live sessions and tokens.
            await conn.execute(delete(portal_sessions).where(portal_sessions.c.expires_at < now))
            changed = await conn.execute(update(portal_sessions).where(portal_sessions.c.key == key).values(**row))
        if changed.rowcount:
            return
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(portal_sessions).values(key=key, **row))
        except IntegrityError:  # written by a concurrent request of the same session: last write wins
            async with self._engine.begin() as conn:
                await conn.execute(update(portal_sessions).where(portal_sessions.c.key == key).values(**row))

    async def get(self, key: str) -> str | None:
        async with self._engine.connect() as conn:
            value = await conn.scalar(
                select(portal_sessions.c.value).where(
                    portal_sessions.c.key == key, portal_sessions.c.expires_at >= datetime.now(UTC)
                )
            )
        return str(value) if value is not None else None

    async def touch(self, key: str, ttl_seconds: int) -> None:
        """A new expiry for a live key, its value untouched (a concurrent write of it is not undone)."""
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            await conn.execute(
                update(portal_sessions)
                .where(portal_sessions.c.key == key, portal_sessions.c.expires_at >= now)
                .values(expires_at=now + timedelta(seconds=ttl_seconds))
            )

    async def take(self, key: str) -> str | None:
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    delete(portal_sessions)
                    .where(portal_sessions.c.key == key)
                    .returning(portal_sessions.c.value, portal_sessions.c.expires_at)
                )
            ).first()
        if row is None or as_utc(row.expires_at) < datetime.now(UTC):
            return None
        return str(row.value)

    async def delete(self, key: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(portal_sessions).where(portal_sessions.c.key == key))

    async def close(self) -> None:
        """The engine is the runtime's; it closes it."""


class RedisPortalSessions:
    """Scoped to the store (store/store_identity.py), like the table they stand in for: a store rebuilt or
    replaced under the same Redis starts with no sessions, as it would without Redis, and two stores on
    one Redis never share one (a session names a resident of its own store)."""

    def __init__(self, client: redis.Redis, store_id: str) -> None:
        self._client = client
        self._prefix = f"{REDIS_PREFIX}{store_id}:"

    @classmethod
    def from_url(cls, url: str, store_id: str) -> RedisPortalSessions:
        return cls(redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0), store_id)

    async def put(self, key: str, value: str, ttl_seconds: int) -> None:
        await self._client.set(self._prefix + key, value, ex=ttl_seconds)

    async def get(self, key: str) -> str | None:
        return _text(await self._client.get(self._prefix + key))

    async def touch(self, key: str, ttl_seconds: int) -> None:
        await self._client.expire(self._prefix + key, ttl_seconds)

    async def take(self, key: str) -> str | None:
        return _text(await self._client.getdel(self._prefix + key))

    async def delete(self, key: str) -> None:
        await self._client.delete(self._prefix + key)

    async def close(self) -> None:
        await self._client.aclose()


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value
