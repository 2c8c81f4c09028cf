"""The housing application service (submitHousingApplication), declared as one unit: validated here,
recorded in HOUSING through the outbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from customer360.auth.principal import Principal
from customer360.clock import LONDON
from customer360.commands.attachments import Attachments
from customer360.commands.check_then_write import check_then_keep, customer_lock
from customer360.commands.contacts import person_key
from customer360.commands.delivery import Delivered, DeliveryTools
from customer360.commands.unit import Delivery, Journey, PortalService
from customer360.commands.write_path import Kept, WritePath
from customer360.domain.attachments import AttachmentCode, AttachmentPurpose
from customer360.domain.before_delivery import as_request
from customer360.domain.contacts import ContactDetails
from customer360.domain.customers import GoldenRecord
from customer360.domain.housing import (
    OPEN_STATUSES,
    ApplicantMember,
    ApplicationPayload,
    HousingApplicationRecord,
    IncomeBand,
    NewHousingApplication,
    Tenure,
    application_problems,
    bedrooms_needed,
)
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.submissions import NOT_REFUSED, Submission, SubmissionKind, kept_of_kind
from customer360.domain.systems import SourceSystem
from customer360.sources.housing import APPLICATIONS_BY_APPLICANT
from customer360.store.attachments import AttachmentTaken
from customer360.store.outbox import NewDelivery, OutboxItem

KIND = SubmissionKind.HOUSING_APPLICATION
SIGN_IN_TO_APPLY = Problem(None, CommonCode.NOT_SIGNED_IN, "Sign in to apply for housing")
CREATE = "housing.create_application"
# A document, or a photo of one (a letter photographed on a phone).
EVIDENCE_PURPOSES = frozenset({AttachmentPurpose.EVIDENCE, AttachmentPurpose.PHOTO})
ATTACHMENT_IDS = ("input", "attachmentIds")
EVIDENCE_TAKEN = Problem(
    ATTACHMENT_IDS, AttachmentCode.ALREADY_USED, "That file is already attached to another application"
)


@dataclass(frozen=True)
class ApplyForHousing:
    household: tuple[ApplicantMember, ...]
    current_tenure: Tenure
    reason: str
    medical_needs: bool
    mobility_needs: bool
    local_connection: bool
    income_band: IncomeBand
    today: date
    attachment_ids: tuple[str, ...] = ()  # evidence uploaded with uploadAttachment (a tenancy agreement)


async def submit_housing_application(
    principal: Principal,
    customer: GoldenRecord | None,
    writes: WritePath,
    command: ApplyForHousing,
    applications_now: Callable[[], Awaitable[list[HousingApplicationRecord] | Problem]],
    attachments: Attachments,
) -> Submission | list[Problem]:
    """Checked under the resident's lock against what we have kept and HOUSING as it is now
    (`applications_now` reads past the cache), so of N applications sent at once one is kept and
    the others are ALREADY_OPEN. HOUSING down is SOURCE_UNAVAILABLE (nothing kept), never
    ALREADY_OPEN: an earlier application that has since closed must not stop this one."""
    attached = await attachments.attach(principal, command.attachment_ids, EVIDENCE_PURPOSES, ATTACHMENT_IDS)
    if isinstance(attached, list):
        return attached
    if not principal.is_resident or customer is None:
        return [SIGN_IN_TO_APPLY]
    household, reason, today = list(command.household), command.reason, command.today
    problems = application_problems(household, reason, today, already_open=False)
    if problems:
        return problems
    payload = ApplicationPayload(
        household=tuple(household),
        current_tenure=command.current_tenure,
        reason=reason.strip(),
        medical_needs=command.medical_needs,
        mobility_needs=command.mobility_needs,
        local_connection=command.local_connection,
        income_band=command.income_band,
        bedrooms_needed=bedrooms_needed(household),
        contact=ContactDetails.of_customer(customer),
        attachment_ids=attached.ids,
        attachment_links=attached.links,
    ).as_payload()
    customer_id = customer.customer_id

    async def check_and_keep() -> Kept | list[Problem]:
        open_here = await _open_application(writes, customer_id, applications_now)
        if isinstance(open_here, Problem):
            return [open_here]
        if open_here:
            return application_problems(household, reason, today, already_open=True)
        return await writes.keep(
            kind=KIND,
            customer_id=customer_id,
            payload=payload,
            service_code="HOUSING_APPLICATION",
            deliveries=[NewDelivery(SourceSystem.HOUSING, CREATE, payload)],
            attachment_ids=attached.ids,
        )

    try:
        return await check_then_keep(writes, customer_lock(customer_id, KIND), check_and_keep)
    except AttachmentTaken:  # the same document on two applications sent at once: the first took it
        return [EVIDENCE_TAKEN]


async def _open_application(
    writes: WritePath,
    customer_id: str,
    applications_now: Callable[[], Awaitable[list[HousingApplicationRecord] | Problem]],
) -> bool | Problem:
    """One kept and not yet delivered; or one open in HOUSING; or one delivered that HOUSING does
    not show yet (its applicant link may not have reached this read): each means ALREADY_OPEN."""
    kept = (await writes.outbox.submissions_by_customer([customer_id])).get(customer_id, [])
    if kept_of_kind(kept, KIND):
        return True
    in_housing = await applications_now()
    if isinstance(in_housing, Problem):
        return in_housing
    if any(a.status in OPEN_STATUSES for a in in_housing):
        return True
    shown = {a.external_reference for a in in_housing}
    return bool(kept_of_kind(kept, KIND, lambda s: s.reference not in shown, states=NOT_REFUSED))


async def deliver_application(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    application = ApplicationPayload.of(item.payload)
    applicant_id = await tools.record_in(item.customer_id, SourceSystem.HOUSING)
    created = None
    if applicant_id is None:
        applicant = application.contact.new_contact(
            person_key(item.customer_id, item.reference, "applicant"), item.created_at
        )
        applicant_id = await tools.sources.housing.create_applicant(applicant)
        created = applicant.as_record(SourceSystem.HOUSING, applicant_id)
    reference = await tools.sources.housing.create_application(
        NewHousingApplication(
            external_reference=item.reference,
            applicant_id=applicant_id,
            household=application.household,
            current_tenure=application.current_tenure,
            reason=application.reason,
            medical_needs=application.medical_needs,
            mobility_needs=application.mobility_needs,
            local_connection=application.local_connection,
            income_band=application.income_band,
            bedrooms_needed=application.bedrooms_needed,
            submitted_on=item.created_at.astimezone(LONDON).date(),
            evidence_links=application.attachment_links,
        )
    )
    return Delivered(reference, invalidate=[(APPLICATIONS_BY_APPLICANT.namespace, applicant_id)], created=created)


UNIT = PortalService(
    name="housing application",
    kinds=(KIND,),
    journeys=(Journey("submitHousingApplication", "HOUSING_APPLICATION"),),
    deliveries=(Delivery(CREATE, deliver_application, frozenset({APPLICATIONS_BY_APPLICANT.namespace})),),
    in_my_requests={KIND: as_request("Housing application")},
)
