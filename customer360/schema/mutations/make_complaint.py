"""makeComplaint: a resident complains; the CRM gets it now, or from the outbox when it is back."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import complaints as command
from customer360.resolvers.casework import complaint_not_yet_in_crm
from customer360.resolvers.context import Context
from customer360.resolvers.customers import me
from customer360.resolvers.tracking import Tracked
from customer360.schema.requests import Complaint
from customer360.schema.values import UserError, user_errors


@strawberry.input
class MakeComplaintInput:
    subject: str
    description: str
    service_area: str | None = strawberry.field(
        default=None,
        description="One of the council's service areas, e.g. waste, council_tax, housing, service_shortfall.",
    )
    desired_outcome: str | None = None


@strawberry.type
class MakeComplaintPayload:
    complaint: Complaint | None
    user_errors: list[UserError]


async def make_complaint(info: Info[Context, Any], input: MakeComplaintInput) -> MakeComplaintPayload:
    outcome = await command.make_complaint(
        info.context.principal,
        await me(info),
        info.context.services.writes,
        command.MakeComplaint(input.subject, input.description, input.service_area, input.desired_outcome),
    )
    if isinstance(outcome, list):
        return MakeComplaintPayload(complaint=None, user_errors=user_errors(outcome))
    tracked = Tracked(complaint_not_yet_in_crm(outcome), outcome.reference, outcome)
    return MakeComplaintPayload(complaint=Complaint.from_record(tracked), user_errors=[])
