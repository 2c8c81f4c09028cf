"""progressCase: staff move a CRM case on (a staff-defined service's too) with a note the resident sees
in the case's history. Delivered to the CRM through the outbox, audited with the note."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import casework as command
from customer360.domain.requests import RequestStatus, ServiceRequestRecord
from customer360.resolvers import case_queue
from customer360.resolvers.context import Context
from customer360.resolvers.tracking import Tracked
from customer360.schema.requests import ServiceRequest
from customer360.schema.values import UserError, user_errors


@strawberry.input
class ProgressCaseInput:
    reference: str = strawberry.field(description="The C360- reference, or the CRM's own.")
    status: RequestStatus
    note: str


@strawberry.type
class ProgressCasePayload:
    request: ServiceRequest | None
    user_errors: list[UserError]


async def progress_case(info: Info[Context, Any], input: ProgressCaseInput) -> ProgressCasePayload:
    principal = info.context.principal
    case = await case_queue.case_now(info, input.reference) if principal.is_staff else None
    if case is None:
        return ProgressCasePayload(request=None, user_errors=user_errors([command.NO_SUCH_CASE]))

    async def now() -> ServiceRequestRecord | None:
        return await case_queue.case_now(info, case.reference)

    outcome = await command.progress_case(
        principal,
        case,
        now,
        info.context.services.writes,
        info.context.services.audit,
        customer_id=await case_queue.owner(info, case.owner_record_id),
        status=RequestStatus(input.status),
        note=input.note,
    )
    if isinstance(outcome, list):
        return ProgressCasePayload(request=None, user_errors=user_errors(outcome))
    shown = await case_queue.case_now(info, case.reference) or case
    return ProgressCasePayload(
        request=ServiceRequest.from_record(Tracked(shown, shown.external_reference or shown.reference)),
        user_errors=[],
    )
