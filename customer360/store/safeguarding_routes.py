"""Safeguarding routing rules, as data in the gateway store."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.safeguarding import SafeguardingRoute, SafeguardingSubject
from customer360.store.tables import safeguarding_routes
from customer360.tracing import traced_methods


@traced_methods("safeguarding_routes")
class SafeguardingRouteStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def all(self) -> list[SafeguardingRoute]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(safeguarding_routes).order_by(safeguarding_routes.c.id))).all()
        return [
            SafeguardingRoute(
                SafeguardingSubject(row.about), row.when_crime_suspected, row.agency_code, row.agency_name
            )
            for row in rows
        ]
