"""escalateComplaint: the complainant asks for stage 2 once stage 1 was answered or is overdue."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import complaints as command
from customer360.domain.complaints import ComplaintRecord
from customer360.domain.problems import CommonCode, Problem
from customer360.resolvers import afresh, nodes
from customer360.resolvers.context import Context
from customer360.schema.node import key_of
from customer360.schema.requests import Complaint
from customer360.schema.values import UserError, user_errors

NOT_YOURS = Problem(("input", "complaintId"), CommonCode.NOT_FOUND, "We could not find that complaint in your account")


@strawberry.input
class EscalateComplaintInput:
    complaint_id: strawberry.ID
    reason: str


@strawberry.type
class EscalateComplaintPayload:
    complaint: Complaint | None
    user_errors: list[UserError]


async def escalate_complaint(info: Info[Context, Any], input: EscalateComplaintInput) -> EscalateComplaintPayload:
    reference = key_of("Complaint", input.complaint_id)
    principal = info.context.principal
    tracked = await nodes.own_complaint(info, reference) if reference else None
    if tracked is None:
        return EscalateComplaintPayload(complaint=None, user_errors=user_errors([NOT_YOURS]))

    async def complaint_now() -> ComplaintRecord | None:
        found = await afresh.complaint(info, tracked.reference)
        return found.record if found else None

    outcome = await command.escalate_complaint(
        principal,
        tracked.record,
        complaint_now,
        info.context.services.writes,
        command.EscalateComplaint(input.reason, info.context.today),
    )
    if isinstance(outcome, list):
        return EscalateComplaintPayload(complaint=Complaint.from_record(tracked), user_errors=user_errors(outcome))
    refreshed = await afresh.complaint(info, tracked.reference)
    return EscalateComplaintPayload(complaint=Complaint.from_record(refreshed or tracked), user_errors=[])
