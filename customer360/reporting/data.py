"""Everything the report shows, gathered in one pass from the analytics figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from customer360.analytics.figures import Analytics
from customer360.domain.analytics import (
    DemandDimension,
    DemandFigures,
    EquityFigures,
    Period,
    comparable,
    service_label,
)
from customer360.domain.feedback import SatisfactionDimension, SatisfactionFigures

SERVICE, WARD, CHANNEL, HOUR, WEEK = (
    DemandDimension.SERVICE,
    DemandDimension.WARD,
    DemandDimension.CHANNEL,
    DemandDimension.HOUR,
    DemandDimension.WEEK,
)


@dataclass(frozen=True)
class ReportData:
    period: Period
    previous: Period
    total: list[DemandFigures]
    previous_total: list[DemandFigures]
    by_service: list[DemandFigures]
    previous_by_service: list[DemandFigures]
    by_channel: list[DemandFigures]
    previous_by_channel: list[DemandFigures]
    previous_by_week: list[DemandFigures]
    by_week_and_channel: list[DemandFigures]
    by_hour: list[DemandFigures]
    by_ward: list[DemandFigures]
    equity: list[EquityFigures]
    satisfaction: list[SatisfactionFigures] = field(default_factory=list)  # all ratings together: one row
    satisfaction_by_service: list[SatisfactionFigures] = field(default_factory=list)
    satisfaction_by_channel: list[SatisfactionFigures] = field(default_factory=list)
    service_names: Mapping[str, str] = field(default_factory=dict)  # as the council defines them, by code

    def service_name(self, code: str | None) -> str:
        return service_label(code, self.service_names)

    @property
    def has_journeys(self) -> bool:
        # The ungrouped total always has its one row (of zeros, when empty); grouped rows only exist for journeys.
        return bool(self.by_week_and_channel)

    @property
    def previous_weeks_with_journeys(self) -> int:
        # A suppressed week is still a week with journeys in it: only its figures are withheld.
        return len({row.key.week for row in self.previous_by_week})

    @property
    def comparable(self) -> bool:
        """Whether the previous period holds enough to measure changes against (`domain.analytics.comparable`)."""
        started = self.previous_total[0].measures.started if self.previous_total else None
        return comparable(self.previous, self.previous_weeks_with_journeys, started)

    def suppressed_groups(self) -> int:
        shown = (self.by_service, self.by_channel, self.by_week_and_channel, self.by_hour, self.by_ward)
        rated = (self.satisfaction_by_service, self.satisfaction_by_channel)
        return sum(1 for rows in shown for row in rows if row.measures.suppressed) + sum(
            1 for rows in rated for row in rows if row.suppressed
        )


async def gather(analytics: Analytics, period: Period, service_names: Mapping[str, str] | None = None) -> ReportData:
    previous = period.previous()
    return ReportData(
        period=period,
        previous=previous,
        total=await analytics.demand(period, []),
        previous_total=await analytics.demand(previous, []),
        by_service=await analytics.demand(period, [SERVICE]),
        previous_by_service=await analytics.demand(previous, [SERVICE]),
        by_channel=await analytics.demand(period, [CHANNEL]),
        previous_by_channel=await analytics.demand(previous, [CHANNEL]),
        previous_by_week=await analytics.demand(previous, [WEEK]),
        by_week_and_channel=await analytics.demand(period, [WEEK, CHANNEL]),
        by_hour=await analytics.demand(period, [HOUR]),
        by_ward=await analytics.demand(period, [WARD]),
        equity=await analytics.access_equity(period),
        satisfaction=await analytics.satisfaction(period, []),
        satisfaction_by_service=await analytics.satisfaction(period, [SatisfactionDimension.SERVICE]),
        satisfaction_by_channel=await analytics.satisfaction(period, [SatisfactionDimension.CHANNEL]),
        service_names=service_names or {},
    )
