"""Delivery cases: what a back office refused for good, as work for the staff team that owns it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry.types import Info

from customer360.commands import delivery_cases as command
from customer360.domain.cases import DeliveryCaseRecord
from customer360.resolvers import delivery_cases as resolve
from customer360.resolvers.context import Context
from customer360.schema.node import numeric_key, to_global_id
from customer360.schema.values import PageInfo, UserError, user_errors

TYPE_NAME = "DeliveryCase"


@strawberry.type(description="A delivery a back office refused for good: the reference, never the resident's words.")
class DeliveryCase:
    id: strawberry.ID
    reference: str = strawberry.field(description="The customer360 reference of what was refused.")
    customer_id: strawberry.ID | None = strawberry.field(
        description="Whose it is, for `customer(id:)` (a read that is audited there); null for an anonymous report."
    )
    destination: str = strawberry.field(description="Where it was going: a SourceSystem, or AGENCIES.")
    operation: str
    reason_code: str
    reason: str
    team: str = strawberry.field(description="The team that owns it, named as its staff role.")
    opened_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None

    @classmethod
    def from_record(cls, record: DeliveryCaseRecord) -> Self:
        return cls(
            id=to_global_id(TYPE_NAME, str(record.id)),
            reference=record.reference,
            customer_id=to_global_id("Customer", record.customer_id) if record.customer_id else None,
            destination=record.destination,
            operation=record.operation,
            reason_code=record.reason_code,
            reason=record.reason,
            team=record.team,
            opened_at=record.opened_at,
            resolved_at=record.resolved_at,
            resolved_by=record.resolved_by,
            resolution_note=record.resolution_note,
        )


@strawberry.type
class DeliveryCaseEdge:
    cursor: str
    node: DeliveryCase


@strawberry.type
class DeliveryCaseConnection:
    edges: list[DeliveryCaseEdge]
    page_info: PageInfo


async def delivery_cases(
    info: Info[Context, Any],
    team: str | None = None,
    open_only: bool = True,
    first: int | None = 20,
    after: str | None = None,
) -> DeliveryCaseConnection:
    found, more = await resolve.delivery_cases(info, team, open_only, first, after)
    edges = [DeliveryCaseEdge(cursor=resolve.cursor_of(case), node=DeliveryCase.from_record(case)) for case in found]
    return DeliveryCaseConnection(
        edges=edges, page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None)
    )


@strawberry.input
class ResolveDeliveryCaseInput:
    case_id: strawberry.ID
    note: str | None = strawberry.field(default=None, description="What was done (no personal data).")


@strawberry.type
class ResolveDeliveryCasePayload:
    case: DeliveryCase | None
    user_errors: list[UserError]


async def resolve_delivery_case(
    info: Info[Context, Any], input: ResolveDeliveryCaseInput
) -> ResolveDeliveryCasePayload:
    context = info.context
    resolution = command.Resolution(numeric_key(TYPE_NAME, input.case_id), input.note)
    outcome = await command.resolve_case(
        context.principal, context.services.cases, context.services.audit, context.services.cache, resolution
    )
    if isinstance(outcome, list):
        return ResolveDeliveryCasePayload(case=None, user_errors=user_errors(outcome))
    return ResolveDeliveryCasePayload(case=DeliveryCase.from_record(outcome), user_errors=[])
