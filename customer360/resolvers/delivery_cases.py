"""Delivery cases for staff: the deliveries a back office refused for good, per team, every read audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from strawberry.types import Info

from customer360.auth.policy import acting_role, delivery_case_teams
from customer360.domain.cases import MAX_RESOLUTION_NOTE, TEAMS, CaseCode, DeliveryCaseRecord
from customer360.domain.problems import CommonCode, Problem
from customer360.resolvers.context import Context
from customer360.resolvers.customers import NotAllowed
from customer360.resolvers.pagination import InvalidCursor, checked_first


def _teams_for(info: Info[Context, Any], team: str | None) -> frozenset[str]:
    allowed = delivery_case_teams(info.context.principal, TEAMS)
    if not allowed:
        raise NotAllowed("delivery cases are for the staff team that owns them")
    if team is None:
        return allowed
    if team not in allowed:
        raise NotAllowed("that team's delivery cases are not yours to see")
    return frozenset({team})


def _actor(info: Info[Context, Any]) -> str:
    principal = info.context.principal
    return principal.name or principal.subject or "staff"


async def delivery_cases(
    info: Info[Context, Any], team: str | None, open_only: bool, first: int | None, after: str | None
) -> tuple[list[DeliveryCaseRecord], bool]:
    """A page of cases, newest first, and whether there are more. The cursor is the last case's id."""
    teams = _teams_for(info, team)
    size = checked_first(first)
    before = _decode(after) if after else None
    found = await info.context.cases.cases(teams, open_only=open_only, first=size + 1, before_id=before)
    page = found[:size]
    role = acting_role(info.context.principal)
    await info.context.audit.append(
        actor=_actor(info),
        role=role.value if role else None,
        team=",".join(sorted(teams)),
        action="delivery_cases.read",
        purpose=info.context.request.headers.get("x-access-purpose"),
        detail={"cases": [case.id for case in page]},
    )
    return page, len(found) > size


async def resolve_delivery_case(
    info: Info[Context, Any], case_id: int | None, note: str | None
) -> DeliveryCaseRecord | list[Problem]:
    allowed = _teams_for(info, None)
    case = await info.context.cases.by_id(case_id) if case_id is not None else None
    if case is None or case.team not in allowed:  # another team's case is answered as unknown
        return [Problem(("input", "caseId"), CommonCode.NOT_FOUND, "There is no such case")]
    if note is not None and len(note) > MAX_RESOLUTION_NOTE:
        message = f"The note must be {MAX_RESOLUTION_NOTE} characters or fewer"
        return [Problem(("input", "note"), CommonCode.TOO_LONG, message)]
    if not await info.context.cases.resolve(case.id, _actor(info), note, datetime.now(UTC)):
        return [Problem(("input", "caseId"), CaseCode.ALREADY_RESOLVED, "This case was already resolved")]
    role = acting_role(info.context.principal)
    await info.context.audit.append(
        actor=_actor(info),
        role=role.value if role else None,
        team=case.team,
        action="delivery_case.resolve",
        detail={"case": case.id, "reference": case.reference},
    )
    # Their answers show the case (a payment's `posting`): kept reads must not outlive it.
    await info.context.cache.forget_customers([case.customer_id])
    return await info.context.cases.by_id(case.id) or case


def _decode(cursor: str) -> int:
    try:
        return int(cursor)
    except ValueError:
        raise InvalidCursor("the `after` cursor is not one this API issued") from None
