"""The agencies' case queue, for staff with the safeguarding role: paged, never cached, every read audited."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from customer360.auth.policy import acting_name
from customer360.auth.principal import Role
from customer360.domain.requests import DeliveryState
from customer360.domain.safeguarding import SafeguardingCaseRecord
from customer360.domain.submissions import SubmissionKind
from customer360.resolvers.context import Context
from customer360.resolvers.customers import NotAllowed
from customer360.resolvers.pagination import InvalidCursor, checked_first, decode_cursor, encode_cursor
from customer360.sources.agencies.sql import queue_order

QueuePlace = tuple[int, str, str]


def require_safeguarding(info: Info[Context, Any]) -> str:
    """The name the action is recorded under; NotAllowed for anyone without the safeguarding role."""
    principal = info.context.principal
    if not principal.is_staff or Role.SAFEGUARDING not in principal.roles:
        raise NotAllowed("safeguarding cases are for staff with the safeguarding role")
    return acting_name(principal)


async def safeguarding_cases(
    info: Info[Context, Any], first: int | None, after: str | None, reference: str | None
) -> tuple[list[SafeguardingCaseRecord], bool]:
    """A page of the queue in its order (most urgent first), and whether there is more. With
    `reference`, only that concern's cases, paged the same way: `after` holds for both, so a client
    that follows `endCursor` always reaches the end."""
    actor = require_safeguarding(info)
    size = checked_first(first)
    place = _place(after) if after else None
    agencies = info.context.services.safeguarding.agencies
    if reference is not None:  # the boundary has trimmed and upper-cased it (schema/input_rules.py)
        quoted = sorted(await agencies.received(reference), key=queue_order)
        found = [case for case in quoted if place is None or queue_order(case) > place][: size + 1]
    else:
        found = await agencies.cases(size + 1, place)
    page = found[:size]
    await info.context.services.safeguarding.audit.append(
        actor=actor,
        role=Role.SAFEGUARDING.value,
        team="safeguarding",
        action="safeguarding.cases.read",
        purpose=info.context.request.headers.get("x-access-purpose"),
        detail={"cases": [case.case_reference for case in page]},
    )
    return page, len(found) > size


def cursor_of(case: SafeguardingCaseRecord) -> str:
    return encode_cursor(queue_order(case))


def _place(cursor: str) -> QueuePlace:
    match decode_cursor(cursor):
        case [int() as rank, str() as received, str() as case_reference] if not isinstance(rank, bool):
            return rank, received, case_reference
    raise InvalidCursor("the `after` cursor is not one this API issued")


def reporter(info: Info[Context, Any]) -> str | None:
    """Whom a concern is kept under: a signed-in resident, or nobody (a concern is never refused for want
    of an account, and staff reporting one do so for someone else)."""
    principal = info.context.principal
    return principal.customer_id if principal.is_resident else None


async def concern_received(info: Info[Context, Any], reference: str) -> bool | None:
    """Whether every agency has a concern, by its unguessable reference (None: no such concern)."""
    found = (await info.context.services.submissions.submissions_by_reference([reference])).get(reference)
    if found is None or found.kind != SubmissionKind.SAFEGUARDING:
        return None
    return bool(found.deliveries) and all(d.state is DeliveryState.DELIVERED for d in found.deliveries)
