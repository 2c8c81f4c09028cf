"""reportRepair: a council tenant reports a repair to their home."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import repairs as command
from customer360.domain.problems import Problem
from customer360.domain.repairs import Hazard, RepairCategory, RepairPriority, RepairStep, deadlines
from customer360.domain.tenancies import CouncilTenancyRecord
from customer360.resolvers import tenancies
from customer360.resolvers.context import Context
from customer360.resolvers.customers import me
from customer360.schema.node import to_global_id
from customer360.schema.values import UserError, user_errors

strawberry.enum(RepairCategory, name="RepairCategory")
strawberry.enum(Hazard, name="RepairHazard")
strawberry.enum(RepairPriority, name="RepairPriority")
strawberry.enum(RepairStep, name="RepairStep")


@strawberry.input
class ReportRepairInput:
    tenancy_reference: str
    category: RepairCategory
    room: str = strawberry.field(description="Where in the home, e.g. Kitchen, Bedroom 2.")
    description: str
    hazard: Hazard = strawberry.field(
        default=Hazard.NONE, description="What it puts at risk; damp and mould is always a significant hazard."
    )


@strawberry.type(description="A deadline the council must meet; Awaab's Law's are legal duties.")
class RepairDeadline:
    kind: RepairStep
    due: date = strawberry.field(description="The last day it may be done on.")
    due_at: datetime | None = strawberry.field(description="For a deadline in hours, the moment itself.")
    awaabs_law: bool


@strawberry.type
class Repair:
    id: strawberry.ID
    reference: str = strawberry.field(description="The C360- reference: the repair's reference everywhere.")
    tenancy_reference: str
    category: RepairCategory
    room: str
    hazard: Hazard
    priority: RepairPriority
    status: str
    reported_at: datetime
    deadlines: list[RepairDeadline]


@strawberry.type
class ReportRepairPayload:
    repair: Repair | None
    user_errors: list[UserError]


async def report_repair(info: Info[Context, Any], input: ReportRepairInput) -> ReportRepairPayload:
    context = info.context
    customer = await me(info)

    async def tenancies_now() -> list[CouncilTenancyRecord] | Problem:
        return await tenancies.tenancies_or_problem(info, customer.customer_id) if customer else []

    outcome = await command.report_repair(
        context.principal,
        customer,
        context.writes,
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
    kept = command.RepairPayload.of(outcome.payload)
    return ReportRepairPayload(
        repair=Repair(
            id=to_global_id("Repair", outcome.reference),
            reference=outcome.reference,
            tenancy_reference=kept.tenancy_reference,
            category=kept.category,
            room=kept.room,
            hazard=kept.hazard,
            priority=kept.priority,
            status="REPORTED",
            reported_at=kept.reported_at,
            deadlines=[
                RepairDeadline(kind=d.step, due=d.due_on, due_at=d.due_at, awaabs_law=d.awaabs_law)
                for d in deadlines(kept.reported_at, kept.priority, kept.hazard)
            ],
        ),
        user_errors=[],
    )
