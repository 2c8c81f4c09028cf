"""Satisfaction figures for analysts: residents' ratings by service and channel, small groups suppressed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from strawberry.types import Info

from customer360.auth.principal import Role
from customer360.domain.feedback import SatisfactionDimension, SatisfactionFigures
from customer360.domain.requests import ServiceRequestRecord
from customer360.resolvers.analytics import period_of, require_analyst
from customer360.resolvers.context import Context
from customer360.resolvers.customers import NotAllowed
from customer360.resolvers.my_requests import all_requests

RECORDING_ROLES = frozenset({Role.CUSTOMER_SERVICES, Role.ADMIN})


async def request_to_rate(
    info: Info[Context, Any], reference: str, customer_id: str | None
) -> tuple[str | None, str, ServiceRequestRecord | None]:
    """(whose request, the reference it is known by, the request) for a rating: the signed-in resident's,
    or, for customer services recording one from a call, the customer they name. Found only among that
    customer's own requests: any other reference is simply not there."""
    principal = info.context.principal
    if customer_id is not None:
        if not (principal.is_staff and principal.roles & RECORDING_ROLES):
            raise NotAllowed("recording a resident's rating is for customer services")
        whose: str | None = customer_id
    else:
        whose = principal.customer_id if principal.is_resident else None
    if whose is None:
        return None, reference, None
    mine = await all_requests(info, whose)
    tracked = next((t for t in mine if reference in (t.reference, t.record.reference)), None)
    return whose, tracked.reference if tracked else reference, tracked.record if tracked else None


async def satisfaction(
    info: Info[Context, Any], first: date, last: date, group_by: Sequence[SatisfactionDimension]
) -> list[SatisfactionFigures]:
    require_analyst(info, "satisfaction")
    return await info.context.services.analytics.satisfaction(period_of(first, last), group_by)
