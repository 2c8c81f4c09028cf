"""The figures analytics publishes: demand per group, vulnerable residents beside everyone, and
residents' satisfaction.

Every figure goes through `domain.analytics.measures`, which suppresses groups of fewer than ten
people, and then each table through `suppress_demand` / `suppress_equity`, which withhold counts
from 1 to 9 and the cells that would give them away (satisfaction through `domain.feedback.satisfaction`,
which suppresses the same way); the API and the six-monthly report share this one path, so neither can
publish more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.analytics import (
    DemandDimension,
    DemandFigures,
    EquityFigures,
    GroupKey,
    JourneyTally,
    Measures,
    Period,
    dimensions,
    measures,
    suppress_demand,
    suppress_equity,
)
from customer360.domain.feedback import SatisfactionDimension, SatisfactionFigures, satisfaction
from customer360.store.events import EventStore, Key
from customer360.store.feedback import FeedbackStore


class Analytics:
    def __init__(self, engine: AsyncEngine) -> None:
        self._events = EventStore(engine)
        self._feedback = FeedbackStore(engine)

    async def demand(self, period: Period, group_by: Sequence[DemandDimension]) -> list[DemandFigures]:
        """One row per group with journeys in the period, in key order; suppressed groups stay as rows
        with every measure withheld, so a reader can tell "too few to show" from "none"."""
        dims = dimensions(group_by)
        names = [dimension.value for dimension in dims]
        start, end = period.bounds()
        tallies = await self._events.journey_tallies(start, end, names)
        resolved = await self._events.resolutions(start, end, names)
        rows = [
            DemandFigures(_group_key(dims, key), measures(tally, resolved.get(key, [])))
            for key, tally in tallies.items()
        ]
        return suppress_demand(sorted(rows, key=lambda row: _sort_key(row.key)), dims)

    async def satisfaction(
        self, period: Period, group_by: Sequence[SatisfactionDimension]
    ) -> list[SatisfactionFigures]:
        """Residents' ratings given in the period, one row per group rated; small groups suppressed."""
        dimensions = [d for d in SatisfactionDimension if d in group_by]  # each once, in a fixed order
        start, end = period.bounds()
        return satisfaction(await self._feedback.tallies(start, end, dimensions))

    async def access_equity(self, period: Period) -> list[EquityFigures]:
        """All services together first, then each service, vulnerable residents beside everyone."""
        overall = await self._equity(period, [])
        by_service = await self._equity(period, ["service"])
        rows = [EquityFigures(None, *overall.get((), (_NOTHING, _NOTHING)))]
        for key in sorted(by_service, key=lambda k: str(k[0])):
            rows.append(EquityFigures(str(key[0]) if key[0] is not None else None, *by_service[key]))
        return suppress_equity(rows)

    async def _equity(self, period: Period, names: list[str]) -> dict[Key, tuple[Measures, Measures]]:
        start, end = period.bounds()
        everyone = await self._events.journey_tallies(start, end, names)
        vulnerable = await self._events.journey_tallies(start, end, names, vulnerable_only=True)
        everyone_resolved = await self._events.resolutions(start, end, names)
        vulnerable_resolved = await self._events.resolutions(start, end, names, vulnerable_only=True)
        return {
            key: (
                measures(tally, everyone_resolved.get(key, [])),
                measures(vulnerable.get(key, JourneyTally()), vulnerable_resolved.get(key, [])),
            )
            for key, tally in everyone.items()
        }


_NOTHING = measures(JourneyTally(), [])


def _group_key(dims: Sequence[DemandDimension], key: Key) -> GroupKey:
    values = dict(zip((dimension.value for dimension in dims), key, strict=True))
    hour, week = values.get("hour"), values.get("week")
    return GroupKey(
        service=_text(values.get("service")),
        ward=_text(values.get("ward")),
        channel=_text(values.get("channel")),
        hour=hour if isinstance(hour, int) else None,
        week=week if isinstance(week, date) else None,
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _sort_key(key: GroupKey) -> tuple[str, str, str, int, date]:
    return (
        key.service or "",
        key.ward or "",
        key.channel or "",
        -1 if key.hour is None else key.hour,
        key.week or date.min,
    )
