"""respondToComplaint: customer services answer a complaint at its stage (1 or 2); the resident may then
ask for stage 2. Delivered to the CRM through the outbox, audited with the response."""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import casework as command
from customer360.domain.casework import ComplaintOutcome
from customer360.domain.complaints import ComplaintRecord
from customer360.resolvers import afresh, case_queue, nodes
from customer360.resolvers.context import Context
from customer360.schema.node import key_of
from customer360.schema.requests import Complaint
from customer360.schema.values import UserError, user_errors


@strawberry.enum(name="ComplaintOutcome")
class ComplaintOutcomeInput(Enum):
    UPHELD = "UPHELD"
    PARTLY_UPHELD = "PARTLY_UPHELD"
    NOT_UPHELD = "NOT_UPHELD"


@strawberry.input
class RespondToComplaintInput:
    complaint_id: strawberry.ID
    outcome: ComplaintOutcomeInput
    response: str


@strawberry.type
class RespondToComplaintPayload:
    complaint: Complaint | None
    user_errors: list[UserError]


async def respond_to_complaint(info: Info[Context, Any], input: RespondToComplaintInput) -> RespondToComplaintPayload:
    reference = key_of("Complaint", input.complaint_id)
    principal = info.context.principal
    tracked = await nodes.complaint(info, reference) if reference and principal.is_staff else None
    if tracked is None:
        return RespondToComplaintPayload(complaint=None, user_errors=user_errors([command.NO_SUCH_COMPLAINT]))

    async def complaint_now() -> ComplaintRecord | None:
        found = await afresh.complaint(info, tracked.reference)
        return found.record if found else None

    outcome = await command.respond_to_complaint(
        principal,
        tracked.record,
        complaint_now,
        info.context.services.writes,
        info.context.services.audit,
        customer_id=await case_queue.owner(info, tracked.record.contact_id),
        outcome=ComplaintOutcome(input.outcome.value),
        response=input.response,
    )
    if isinstance(outcome, list):
        return RespondToComplaintPayload(complaint=Complaint.from_record(tracked), user_errors=user_errors(outcome))
    refreshed = await afresh.complaint(info, tracked.reference)
    return RespondToComplaintPayload(complaint=Complaint.from_record(refreshed or tracked), user_errors=[])
