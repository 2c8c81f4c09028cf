"""`demand` and `accessEquity`: analytics for the `analyst` role, small groups suppressed.

`AnalyticsQuery` is a mixin: the Query root inherits its two fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Self

import strawberry
from strawberry.types import Info

from customer360.domain.analytics import (
    SMALLEST_GROUP,
    Channel,
    DemandDimension,
    DemandFigures,
    EquityFigures,
    Measures,
    service_label,
)
from customer360.resolvers import analytics as resolve
from customer360.resolvers.context import Context

strawberry.enum(DemandDimension, description="What `demand` can group by; HOUR and WEEK are London time.")
strawberry.enum(Channel, name="InteractionChannel", description="How a resident reached the service.")

_SUPPRESSED = f"null when fewer than {SMALLEST_GROUP} people are behind it (suppressed)"
_WITHHELD = (
    f"null when withheld: a count from 1 to {SMALLEST_GROUP - 1} (primary suppression), or a count that would let "
    "such a count be worked out from the others in its group or from a total another query gives (secondary "
    "suppression); a rate computed from a withheld count is withheld with it. Zero is shown"
)
_COUNT = f"null when withheld (1 to {SMALLEST_GROUP - 1}, or it would give such a count away: see the type)"


@strawberry.type(description=f"A group's measures. Each is {_SUPPRESSED}; a count or rate is also {_WITHHELD}.")
class AccessMeasures:
    suppressed: bool = strawberry.field(description=f"Fewer than {SMALLEST_GROUP} people: every measure is null.")
    people: int | None = strawberry.field(description="Distinct residents who started a journey.")
    started: int | None = strawberry.field(description=f"Journeys started; {_COUNT}.")
    submitted: int | None = strawberry.field(description=f"Journeys submitted; {_COUNT}.")
    abandoned: int | None = strawberry.field(description=f"Journeys left part-way; {_COUNT}.")
    completion_rate: float | None = strawberry.field(description="Submitted / started, 0..1.")
    abandonment_rate: float | None = strawberry.field(description="Abandoned / started, 0..1.")
    online_share: float | None = strawberry.field(description="Share of journeys self-served on the web, 0..1.")
    online_completion_rate: float | None = strawberry.field(description="Completion of web journeys, 0..1.")
    assisted_share: float | None = strawberry.field(description="Share of journeys with assisted digital help.")
    resolved: int | None = strawberry.field(
        description=f"Requests asked for in the period and since resolved; {_COUNT}."
    )
    median_days_to_resolve: float | None = strawberry.field(description="Calendar days, asking to resolution.")
    expected_days: int | None = strawberry.field(description="Working days the service promises.")
    resolved_within_expected_rate: float | None = strawberry.field(
        description=f"0..1; null too when those on time or those late number 1 to {SMALLEST_GROUP - 1}."
    )

    @classmethod
    def from_record(cls, record: Measures) -> Self:
        return cls(
            suppressed=record.suppressed,
            people=record.people,
            started=record.started,
            submitted=record.submitted,
            abandoned=record.abandoned,
            completion_rate=record.completion_rate,
            abandonment_rate=record.abandonment_rate,
            online_share=record.online_share,
            online_completion_rate=record.online_completion_rate,
            assisted_share=record.assisted_share,
            resolved=record.resolved,
            median_days_to_resolve=record.median_days_to_resolve,
            expected_days=record.expected_days,
            resolved_within_expected_rate=record.resolved_within_expected_rate,
        )


@strawberry.type(
    description=f"Demand in one group: a dimension not grouped by is null. Measures are {_SUPPRESSED}; "
    f"a count or rate is also {_WITHHELD}."
)
class DemandRow:
    service: str | None = strawberry.field(description="The service code.")
    service_name: str | None = strawberry.field(description="The service's name as the council defines it.")
    ward: str | None
    channel: Channel | None
    hour: int | None = strawberry.field(description="0-23, London time.")
    week: date | None = strawberry.field(description="The Monday the week starts on, London time.")
    suppressed: bool = strawberry.field(description=f"Fewer than {SMALLEST_GROUP} people: every measure is null.")
    people: int | None
    started: int | None = strawberry.field(description=f"Journeys started; {_COUNT}.")
    submitted: int | None = strawberry.field(description=f"Journeys submitted; {_COUNT}.")
    abandoned: int | None = strawberry.field(description=f"Journeys left part-way; {_COUNT}.")
    completion_rate: float | None
    abandonment_rate: float | None
    resolved: int | None = strawberry.field(description=f"Requests since resolved; {_COUNT}.")
    median_days_to_resolve: float | None
    expected_days: int | None
    resolved_within_expected_rate: float | None

    @classmethod
    def from_record(cls, record: DemandFigures, names: Mapping[str, str]) -> Self:
        key, figures = record.key, record.measures
        return cls(
            service=key.service,
            service_name=service_label(key.service, names) if key.service else None,
            ward=key.ward,
            channel=Channel(key.channel) if key.channel else None,
            hour=key.hour,
            week=key.week,
            suppressed=figures.suppressed,
            people=figures.people,
            started=figures.started,
            submitted=figures.submitted,
            abandoned=figures.abandoned,
            completion_rate=figures.completion_rate,
            abandonment_rate=figures.abandonment_rate,
            resolved=figures.resolved,
            median_days_to_resolve=figures.median_days_to_resolve,
            expected_days=figures.expected_days,
            resolved_within_expected_rate=figures.resolved_within_expected_rate,
        )


@strawberry.type(description="Vulnerable residents beside all residents (vulnerable included), one service or all.")
class AccessEquityRow:
    service: str | None = strawberry.field(description="The service code; null for all services together.")
    service_name: str = strawberry.field(description="The service's name as the council defines it.")
    all: AccessMeasures
    vulnerable: AccessMeasures

    @classmethod
    def from_record(cls, record: EquityFigures, names: Mapping[str, str]) -> Self:
        return cls(
            service=record.service,
            service_name=service_label(record.service, names),
            all=AccessMeasures.from_record(record.everyone),
            vulnerable=AccessMeasures.from_record(record.vulnerable),
        )


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(description="Analyst: journeys between two dates (inclusive, London) grouped as asked.")
    async def demand(
        self,
        info: Info[Context, Any],
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        group_by: list[DemandDimension],
    ) -> list[DemandRow]:
        rows = await resolve.demand(info, from_, to, group_by)
        names = await resolve.service_names(info) if DemandDimension.SERVICE in group_by else {}
        return [DemandRow.from_record(row, names) for row in rows]

    @strawberry.field(description="Analyst: how vulnerable residents reach services, beside all residents.")
    async def access_equity(
        self, info: Info[Context, Any], from_: Annotated[date, strawberry.argument(name="from")], to: date
    ) -> list[AccessEquityRow]:
        rows = await resolve.access_equity(info, from_, to)
        names = await resolve.service_names(info)
        return [AccessEquityRow.from_record(row, names) for row in rows]
