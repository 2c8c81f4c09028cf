"""Analytics for staff with the `analyst` (or `admin`) role: figures about groups, never a person."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from graphql import GraphQLError
from strawberry.types import Info

from customer360.auth.principal import Principal, Role
from customer360.domain.analytics import DemandDimension, DemandFigures, EquityFigures, InvalidPeriod, Period
from customer360.resolvers.context import Context
from customer360.resolvers.customers import NotAllowed
from customer360.resolvers.services import catalogue

ANALYTICS_ROLES = frozenset({Role.ANALYST, Role.ADMIN})


def can_view_analytics(principal: Principal) -> bool:
    return principal.is_staff and bool(principal.roles & ANALYTICS_ROLES)


async def demand(
    info: Info[Context, Any], first: date, last: date, group_by: Sequence[DemandDimension]
) -> list[DemandFigures]:
    require_analyst(info, "demand")
    return await info.context.services.analytics.demand(period_of(first, last), group_by)


async def access_equity(info: Info[Context, Any], first: date, last: date) -> list[EquityFigures]:
    require_analyst(info, "accessEquity")
    return await info.context.services.analytics.access_equity(period_of(first, last))


async def service_names(info: Info[Context, Any]) -> Mapping[str, str]:
    """Each service's name as the council defines it, by code: staff-defined services' (retired ones too),
    then the back offices' catalogues (a back office's own service wins, as in `services`)."""
    context = info.context
    names = await context.services.service_definitions.names()
    names.update({service.code: service.name for service in (await catalogue(context)).services})
    return names


def require_analyst(info: Info[Context, Any], field: str) -> None:
    if not can_view_analytics(info.context.principal):
        raise NotAllowed(f"{field} needs the analyst role")


def period_of(first: date, last: date) -> Period:
    try:
        return Period(first, last)
    except InvalidPeriod as error:
        # A GraphQLError passes the error shaping as it is, code and all.
        raise GraphQLError(str(error), extensions={"code": "BAD_USER_INPUT"}) from None
