"""submitHousingApplication: join the housing register."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from customer360.cache.namespaces import APPLICATIONS_BY_APPLICANT
from customer360.commands import housing as command
from customer360.domain.attachments import AttachmentCode, AttachmentPurpose
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
from customer360.store.attachments import AttachmentTaken

HOUSING_DOWN = Problem(
    None,
    CommonCode.SOURCE_UNAVAILABLE,
    "We cannot check your housing applications right now; nothing was sent, please try again shortly",
)

# A document, or a photo of one (a letter photographed on a phone).
EVIDENCE_PURPOSES = frozenset({AttachmentPurpose.EVIDENCE, AttachmentPurpose.PHOTO})
EVIDENCE_TAKEN = Problem(
    ("input", "attachmentIds"), AttachmentCode.ALREADY_USED, "That file is already attached to another application"
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
        """The resident's applications as HOUSING holds them now: past the request's loaders and the
        cache (an application delivered a moment ago, and its new applicant link, must show)."""
        if customer is None:
            return []
        loaders = context.loaders
        loaders.links.clear(customer.customer_id)
        applicant_ids = await records_in(info, customer.customer_id, SourceSystem.HOUSING)
        for applicant_id in applicant_ids:
            loaders.housing_applications_by_applicant.clear(applicant_id)
        await context.cache.invalidate(APPLICATIONS_BY_APPLICANT, applicant_ids)
        try:
            found = await loaders.housing_applications_by_applicant.load_many(applicant_ids)
        except SourceUnavailable:
            return HOUSING_DOWN
        return [application for applications in found for application in applications]

    household = [ApplicantMember(m.relationship, m.date_of_birth) for m in input.household]
    attachment_ids = [str(i) for i in input.attachment_ids or []]
    attached, problems = await context.attachments.usable(
        context.principal, attachment_ids, EVIDENCE_PURPOSES, ("input", "attachmentIds")
    )
    if problems:
        return SubmitHousingApplicationPayload(application=None, user_errors=user_errors(problems))
    try:
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
            attachment_ids=attachment_ids,
            attachment_links=context.attachments.back_office_links(attached),
        )
    except AttachmentTaken:  # the same document on two applications sent at once: the first took it
        return SubmitHousingApplicationPayload(application=None, user_errors=user_errors([EVIDENCE_TAKEN]))
    if isinstance(outcome, list):
        return SubmitHousingApplicationPayload(application=None, user_errors=user_errors(outcome))
    tracked = Tracked(application_not_yet_in_housing(outcome), outcome.reference, outcome)
    return SubmitHousingApplicationPayload(application=HousingApplication.from_record(tracked), user_errors=[])
