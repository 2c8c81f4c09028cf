"""Satisfaction figures for analysts: residents' ratings by service and channel, small groups suppressed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from strawberry.types import Info

from customer360.domain.feedback import SatisfactionDimension, SatisfactionFigures
from customer360.domain.feedback import satisfaction as figures
from customer360.resolvers.analytics import period_of, require_analyst
from customer360.resolvers.context import Context


async def satisfaction(
    info: Info[Context, Any], first: date, last: date, group_by: Sequence[SatisfactionDimension]
) -> list[SatisfactionFigures]:
    require_analyst(info, "satisfaction")
    store = info.context.feedback
    if store is None:
        return []
    start, end = period_of(first, last).bounds()
    dimensions = [d for d in SatisfactionDimension if d in group_by]  # each once, in a fixed order
    return figures(await store.tallies(start, end, dimensions))
