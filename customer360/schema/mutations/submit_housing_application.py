"""submitHousingApplication: join the housing register."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import housing as command
from customer360.domain.housing import ApplicantMember, HousingApplicationRecord, IncomeBand, Tenure
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.systems import SourceSystem
from customer360.resolvers.casework import application_not_yet_in_housing
from customer360.resolvers.context import Context
from customer360.resolvers.customers import me, records_in
from customer360.resolvers.tracking import Tracked
from customer360.schema.casework import HousingApplication
from customer360.schema.values import UserError, user_errors
from customer360.sources.errors import SourceUnavailable
from customer360.sources.housing import APPLICATIONS_BY_APPLICANT

HOUSING_DOWN = Problem(
    None,
    CommonCode.SOURCE_UNAVAILABLE,
    "We cannot check your housing applications right now; nothing was sent, please try again shortly",
)

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
        """The resident's applications as HOUSING holds them now: past the request's loaders and the
        cache (an application delivered a moment ago, and its new applicant link, must show)."""
        if customer is None:
            return []
        loaders = context.loaders
        loaders.links.clear(customer.customer_id)
        applicant_ids = await records_in(info, customer.customer_id, SourceSystem.HOUSING)
        for applicant_id in applicant_ids:
            loaders.of(APPLICATIONS_BY_APPLICANT).clear(applicant_id)
        await context.cache.invalidate(APPLICATIONS_BY_APPLICANT.namespace, applicant_ids)
        try:
            found = await loaders.of(APPLICATIONS_BY_APPLICANT).load_many(applicant_ids)
        except SourceUnavailable:
            return HOUSING_DOWN
        return [application for applications in found for application in applications]

    household = [ApplicantMember(m.relationship, m.date_of_birth) for m in input.household]
    outcome = await command.submit_housing_application(
        context.principal,
        customer,
        context.writes,
        household=household,
        current_tenure=input.current_tenure,
        reason=input.reason,
        medical_needs=input.medical_needs,
        mobility_needs=input.mobility_needs,
        local_connection=input.local_connection,
        income_band=input.income_band,
        applications_now=applications_now,
        today=context.today,
    )
    if isinstance(outcome, list):
        return SubmitHousingApplicationPayload(application=None, user_errors=user_errors(outcome))
    tracked = Tracked(application_not_yet_in_housing(outcome), outcome.reference, outcome)
    return SubmitHousingApplicationPayload(application=HousingApplication.from_record(tracked), user_errors=[])
