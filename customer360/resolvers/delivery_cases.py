"""Delivery cases for staff: the deliveries a back office refused for good, per team, every read audited."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from customer360.auth.policy import acting_name, acting_role, delivery_case_teams
from customer360.domain.cases import CASE_TEAMS, DeliveryCaseRecord
from customer360.resolvers.context import Context
from customer360.resolvers.customers import NotAllowed
from customer360.resolvers.pagination import checked_first, decode_id_cursor, encode_cursor


def _teams_for(info: Info[Context, Any], team: str | None) -> frozenset[str]:
    allowed = delivery_case_teams(info.context.principal, CASE_TEAMS)
    if not allowed:
        raise NotAllowed("delivery cases are for the staff team that owns them")
    if team is None:
        return allowed
    if team not in allowed:
        raise NotAllowed("that team's delivery cases are not yours to see")
    return frozenset({team})


async def delivery_cases(
    info: Info[Context, Any], team: str | None, open_only: bool, first: int | None, after: str | None
) -> tuple[list[DeliveryCaseRecord], bool]:
    """A page of cases, newest first, and whether there are more. The cursor holds the last case's id."""
    teams = _teams_for(info, team)
    size = checked_first(first)
    before = decode_id_cursor(after) if after else None
    found = await info.context.services.cases.cases(teams, open_only=open_only, first=size + 1, before_id=before)
    page = found[:size]
    role = acting_role(info.context.principal)
    await info.context.services.audit.append(
        actor=acting_name(info.context.principal),
        role=role.value if role else None,
        team=",".join(sorted(teams)),
        action="delivery_cases.read",
        purpose=info.context.request.headers.get("x-access-purpose"),
        detail={"cases": [case.id for case in page]},
    )
    return page, len(found) > size


def cursor_of(case: DeliveryCaseRecord) -> str:
    return encode_cursor([case.id])
