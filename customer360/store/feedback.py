"""Residents' ratings of finished requests, and their tallies for satisfaction figures (counted in SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.feedback import SATISFIED_FROM, RatingTally, SatisfactionDimension
from customer360.store.tables import service_ratings
from customer360.tracing import traced_methods

COLUMNS = {
    SatisfactionDimension.SERVICE: service_ratings.c.service_code,
    SatisfactionDimension.CHANNEL: service_ratings.c.channel,
}


@dataclass(frozen=True, slots=True)
class NewRating:
    reference: str
    customer_id: str
    service_code: str
    channel: str
    rating: int
    comment: str | None
    recorded_by: str
    rated_at: datetime


@traced_methods("feedback")
class FeedbackStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, rating: NewRating) -> bool:
        """False when the request was rated before (once per request, however many try at once)."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(service_ratings).values(_row(rating)))
        except IntegrityError:
            return False
        return True

    async def rating_of(self, reference: str) -> int | None:
        async with self._engine.connect() as conn:
            return (
                await conn.execute(select(service_ratings.c.rating).where(service_ratings.c.reference == reference))
            ).scalar()

    async def tallies(
        self, start: datetime, end: datetime, group_by: Sequence[SatisfactionDimension]
    ) -> list[RatingTally]:
        columns = [COLUMNS[dimension] for dimension in group_by]
        query = (
            select(
                *columns,
                func.count(func.distinct(service_ratings.c.customer_id)),
                func.count(),
                func.sum(service_ratings.c.rating),
                func.sum(case((service_ratings.c.rating >= SATISFIED_FROM, 1), else_=0)),
            )
            .where(service_ratings.c.rated_at >= start, service_ratings.c.rated_at < end)
            .group_by(*columns)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        found = []
        for row in rows:
            keys = dict(zip(group_by, row[: len(columns)], strict=True))
            raters, ratings, total, satisfied = (int(n or 0) for n in row[len(columns) :])
            found.append(
                RatingTally(
                    keys.get(SatisfactionDimension.SERVICE),
                    keys.get(SatisfactionDimension.CHANNEL),
                    raters,
                    ratings,
                    total,
                    satisfied,
                )
            )
        return found


def _row(rating: NewRating) -> dict[str, object]:
    return {
        "reference": rating.reference,
        "customer_id": rating.customer_id,
        "service_code": rating.service_code,
        "channel": rating.channel,
        "rating": rating.rating,
        "comment": rating.comment,
        "recorded_by": rating.recorded_by,
        "rated_at": rating.rated_at,
    }
