"""`satisfaction`: residents' ratings by service and channel, for the `analyst` role (a sibling of `demand`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Self

import strawberry
from strawberry.types import Info

from customer360.domain.analytics import SMALLEST_GROUP, service_label
from customer360.domain.feedback import SatisfactionDimension, SatisfactionFigures
from customer360.resolvers import analytics as analytics_resolvers
from customer360.resolvers import feedback as resolve
from customer360.resolvers.context import Context

strawberry.enum(SatisfactionDimension, description="What `satisfaction` can group by.")


@strawberry.type(
    description=f"Ratings of one group; every figure null when fewer than {SMALLEST_GROUP} residents rated."
)
class SatisfactionRow:
    service: str | None
    service_name: str | None
    channel: str | None = strawberry.field(description="How the rating was given: web, or phone (staff, from a call).")
    suppressed: bool
    ratings: int | None
    average_rating: float | None = strawberry.field(description="1 to 5.")
    satisfied_share: float | None = strawberry.field(description="Share of ratings of 4 or 5, 0..1.")

    @classmethod
    def from_record(cls, record: SatisfactionFigures, names: dict[str, str]) -> Self:
        return cls(
            service=record.service,
            service_name=service_label(record.service, names) if record.service else None,
            channel=record.channel,
            suppressed=record.suppressed,
            ratings=record.ratings,
            average_rating=record.average_rating,
            satisfied_share=record.satisfied_share,
        )


@strawberry.type
class SatisfactionQuery:
    @strawberry.field(description="Analyst: residents' ratings given between two dates (inclusive, London).")
    async def satisfaction(
        self,
        info: Info[Context, Any],
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        group_by: list[SatisfactionDimension],
    ) -> list[SatisfactionRow]:
        rows = await resolve.satisfaction(info, from_, to, group_by)
        names = dict(await analytics_resolvers.service_names(info)) if SatisfactionDimension.SERVICE in group_by else {}
        return [SatisfactionRow.from_record(row, names) for row in rows]
