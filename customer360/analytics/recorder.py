"""Recording interaction events: one call from the write path or sign-in, never in the resident's way."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.analytics import InteractionEvent
from customer360.store.events import EventStore

log = logging.getLogger("customer360.analytics")


class EventRecorder:
    def __init__(self, engine: AsyncEngine) -> None:
        self._store = EventStore(engine)

    async def record(self, event: InteractionEvent) -> None:
        """Store the event. A store that refuses is logged, not raised: analytics must never cost a
        resident their submission or payment."""
        try:
            await self._store.add(event)
        except SQLAlchemyError:
            log.warning("could not record a %s event for analytics", event.kind.value, exc_info=True)
