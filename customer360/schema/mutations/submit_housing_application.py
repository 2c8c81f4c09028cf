"""submitHousingApplication: join the housing register."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import housing as command
from customer360.domain.housing import ApplicantMember, HousingApplicationRecord, IncomeBand, Tenure
from customer360.domain.problems import Problem
from customer360.resolvers import afresh
from customer360.resolvers.casework import application_not_yet_in_housing
from customer360.resolvers.context import Context
from customer360.resolvers.customers import me
from customer360.resolvers.tracking import Tracked
from customer360.schema.casework import HousingApplication
from customer360.schema.values import UserError, user_errors

strawberry.enum(Tenure)
strawberry.enum(IncomeBand)


@strawberry.input
class HouseholdMemberInput:
    relationship: str = strawberry.field(description="APPLICANT, PARTNER, CHILD or OTHER_ADULT")
    date_of_birth: date


@strawberry.input
class SubmitHousingApplicationInput:
    household: list[HouseholdMemberInput] = strawberry.field(description="Everyone who would move, you included.")
    current_tenure: Tenure
    reason: str
    income_band: IncomeBand
    medical_needs: bool = False
    mobility_needs: bool = False
    local_connection: bool = strawberry.field(default=False, description="Lived or worked in Tamworth 2+ years.")
    attachment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Evidence you uploaded with `uploadAttachment` (a tenancy agreement, a medical letter); "
        "the housing team gets a link to each.",
    )


@strawberry.type
class SubmitHousingApplicationPayload:
    application: HousingApplication | None
    user_errors: list[UserError]


async def submit_housing_application(
    info: Info[Context, Any], input: SubmitHousingApplicationInput
) -> SubmitHousingApplicationPayload:
    context = info.context
    customer = await me(info)

    async def applications_now() -> list[HousingApplicationRecord] | Problem:
        return await afresh.housing_applications(info, customer.customer_id) if customer else []

    outcome = await command.submit_housing_application(
        context.principal,
        customer,
        context.services.writes,
        command.ApplyForHousing(
            household=tuple(ApplicantMember(m.relationship, m.date_of_birth) for m in input.household),
            current_tenure=input.current_tenure,
            reason=input.reason,
            medical_needs=input.medical_needs,
            mobility_needs=input.mobility_needs,
            local_connection=input.local_connection,
            income_band=input.income_band,
            today=context.today,
            attachment_ids=tuple(str(i) for i in input.attachment_ids or ()),
        ),
        applications_now,
        context.services.attachments,
    )
    if isinstance(outcome, list):
        return SubmitHousingApplicationPayload(application=None, user_errors=user_errors(outcome))
    tracked = Tracked(application_not_yet_in_housing(outcome), outcome.reference, outcome)
    return SubmitHousingApplicationPayload(application=HousingApplication.from_record(tracked), user_errors=[])
