"""reportRepair: a council tenant reports a repair to their home."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import repairs as command
from customer360.domain.problems import Problem
from customer360.domain.repairs import Hazard, RepairCategory, repair_as_reported
from customer360.domain.tenancies import TenancyHeld
from customer360.resolvers import tenancies
from customer360.resolvers.context import Context
from customer360.resolvers.customers import me
from customer360.schema.tenancies import Repair
from customer360.schema.values import UserError, user_errors


@strawberry.input
class ReportRepairInput:
    tenancy_reference: str
    category: RepairCategory
    room: str = strawberry.field(description="Where in the home, e.g. Kitchen, Bedroom 2.")
    description: str
    hazard: Hazard = strawberry.field(
        default=Hazard.NONE, description="What it puts at risk; damp and mould is always a significant hazard."
    )


@strawberry.type
class ReportRepairPayload:
    repair: Repair | None
    user_errors: list[UserError]


async def report_repair(info: Info[Context, Any], input: ReportRepairInput) -> ReportRepairPayload:
    context = info.context
    customer = await me(info)

    async def tenancies_now() -> Sequence[TenancyHeld] | Problem:
        return await tenancies.tenancies_for_a_repair(info, customer.customer_id) if customer else []

    outcome = await command.report_repair(
        context.principal,
        customer,
        context.services.writes,
        command.ReportRepair(
            tenancy_reference=input.tenancy_reference,
            category=input.category,
            room=input.room,
            description=input.description,
            hazard=input.hazard,
        ),
        tenancies_now,
    )
    if isinstance(outcome, list):
        return ReportRepairPayload(repair=None, user_errors=user_errors(outcome))
    kept = repair_as_reported(outcome)
    return ReportRepairPayload(repair=Repair.from_record(kept, kept.reported_at), user_errors=[])
