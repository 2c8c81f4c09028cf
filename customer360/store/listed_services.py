"""Each back office's service list as last read live, kept in the gateway's own store.

While a back office is down its list cannot be read, and the cache's copy may have expired, been
turned off (`C360_CACHE=off`) or live in another worker's memory. A report validated against the
list as last seen is kept rather than refused; its delivery checks the definition again.

Kept here rather than only in the cache because it must outlive a restart and be the same for
every worker. It is refreshed whenever a list is read live, but written at most once a
`refresh_every` per process while the list is unchanged: a public `services` query with the cache
off must not cost a database write each time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.services import ServiceDefinitionRecord
from customer360.domain.systems import SourceSystem
from customer360.store.service_definitions import attribute_from_json, attribute_json
from customer360.store.tables import listed_services
from customer360.store.times import as_utc
from customer360.tracing import traced_methods

REFRESH_EVERY_SECONDS = 60.0


@traced_methods("listed_services")
class ListedServiceStore:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        keep_seconds: float,
        refresh_every_seconds: float = REFRESH_EVERY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._keep = timedelta(seconds=keep_seconds)
        self._refresh_every = refresh_every_seconds
        self._monotonic = monotonic
        self._written: dict[SourceSystem, tuple[list[dict[str, Any]], float]] = {}  # what this process last wrote

    async def remember(self, system: SourceSystem, services: Sequence[ServiceDefinitionRecord]) -> None:
        """`system` has just listed `services`."""
        listed = [_service_json(service) for service in services]
        last = self._written.get(system)
        if last is not None and last[0] == listed and self._monotonic() - last[1] < self._refresh_every:
            return
        now = datetime.now(UTC)
        async with self._engine.begin() as conn:
            # A worker that read its list earlier than the stored one was seen never overwrites it.
            updated = await conn.execute(
                update(listed_services)
                .where(listed_services.c.system == system.value, listed_services.c.seen_at <= now)
                .values(services=listed, seen_at=now)
            )
        if not updated.rowcount:
            try:
                async with self._engine.begin() as conn:
                    await conn.execute(
                        insert(listed_services).values(system=system.value, services=listed, seen_at=now)
                    )
            except IntegrityError:
                pass  # another worker stored its list first, read at the same moment or later
        self._written[system] = (listed, self._monotonic())

    async def last_seen(self, systems: Sequence[SourceSystem]) -> dict[SourceSystem, list[ServiceDefinitionRecord]]:
        """Each system's list as last seen, for those seen within the keeping window (none if it is 0)."""
        if not systems or not self._keep:
            return {}
        since = datetime.now(UTC) - self._keep
        query = select(listed_services).where(listed_services.c.system.in_([system.value for system in systems]))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {
            SourceSystem(row.system): [_service(item, SourceSystem(row.system)) for item in row.services]
            for row in rows
            if as_utc(row.seen_at) >= since
        }


async def names_last_seen(engine: AsyncEngine) -> dict[str, str]:
    """Every service in any back office's list as last seen, however long ago, by code: its name."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(listed_services.c.services))).all()
    return {item["code"]: item["name"] for row in rows for item in row.services}


def _service_json(service: ServiceDefinitionRecord) -> dict[str, Any]:
    return {
        "code": service.code,
        "name": service.name,
        "group": service.group,
        "description": service.description,
        "attributes": [attribute_json(attribute) for attribute in service.attributes],
    }


def _service(stored: dict[str, Any], system: SourceSystem) -> ServiceDefinitionRecord:
    return ServiceDefinitionRecord(
        code=stored["code"],
        name=stored["name"],
        group=stored["group"],
        description=stored["description"],
        attributes=tuple(attribute_from_json(attribute) for attribute in stored["attributes"]),
        system=system,
    )
