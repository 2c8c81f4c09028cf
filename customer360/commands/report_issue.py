"""The report-an-issue service (reportIssue), declared as one unit: a resident (or anyone, for a
street problem) reports something to the council, a staff-defined service included.

Routing follows the service: Green & Clean problems go to the street-scene contractor over
Open311; the CRM's own services (a shortfall in service delivery) open a CRM case. Either way the
report is kept first and delivered through the outbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, time
from typing import Any

from customer360.auth.principal import Principal
from customer360.clock import LONDON
from customer360.commands.attachments import Attached, Attachments
from customer360.commands.check_then_write import check_then_keep, customer_lock
from customer360.commands.contacts import crm_contact_for
from customer360.commands.delivery import Delivered, DeliveryTools
from customer360.commands.unit import Delivery, Journey, PortalService
from customer360.commands.write_path import Kept, WritePath
from customer360.domain.attachments import AttachmentCode, AttachmentPurpose
from customer360.domain.before_delivery import as_request
from customer360.domain.contacts import ContactDetails
from customer360.domain.customers import GoldenRecord
from customer360.domain.people import PersonRecord, normalise_email
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.reporting import (
    AttributeAnswer,
    ReportSketch,
    StreetReportSubmission,
    asked,
    attached_in_answers,
    attribute_answers,
    duplicate_problem,
    find_duplicate,
    find_service,
    resolve_location,
    validate_attributes,
    validate_contact_email,
    validate_description,
)
from customer360.domain.requests import CaseAnswer, NewCase
from customer360.domain.services import ATTACHMENT, DefinedService, ServiceDefinitionRecord
from customer360.domain.submissions import Submission, SubmissionKind, new_reference
from customer360.domain.systems import SourceSystem
from customer360.domain.working_days import working_days_after
from customer360.sources.crm import CASES_BY_CONTACT
from customer360.sources.errors import SourceRejected
from customer360.sources.street_scene import REQUESTS_BY_REPORTER
from customer360.store.attachments import AttachmentTaken
from customer360.store.outbox import NewDelivery, OutboxItem

SUBMIT_TO_OPEN311 = "open311.submit_request"
OPEN_CRM_CASE = "crm.create_case"
# The CRM's service standard: a case is answered within 10 working days.
CASE_RESPONSE_WORKING_DAYS = 10

CATALOGUE_DOWN = Problem(
    ("input", "serviceCode"),
    CommonCode.SOURCE_UNAVAILABLE,
    "We cannot check that service right now; please try again in a few minutes",
)

# A photo of the problem, or evidence a staff-defined service asks for (a licence, a permit).
REPORT_PURPOSES = frozenset({AttachmentPurpose.PHOTO, AttachmentPurpose.EVIDENCE})
ATTACHMENT_IDS = ("input", "attachmentIds")
PHOTO_TAKEN = Problem(ATTACHMENT_IDS, AttachmentCode.ALREADY_USED, "That file is already attached to another request")

RETURN_URL_REQUIRED = Problem(
    ("input", "returnUrl"), CommonCode.REQUIRED, "This service has a fee: say where the payment page sends you back to"
)


# Starts the payment of a fee under a request's reference: its problems, or none once it is started.
PayFee = Callable[[str, DefinedService], Awaitable[list[Problem]]]


@dataclass(frozen=True)
class IssueReport:
    service_code: str
    description: str
    latitude: float | None
    longitude: float | None
    address: str | None
    uprn: str | None
    attributes: Sequence[tuple[str, str]]
    contact_email: str | None
    return_url: str | None = None  # a fee-paying service: where its payment page sends the payer back to
    # Photos the reporter uploaded (uploadAttachment); evidence a service asks for comes as answers.
    attachment_ids: Sequence[str] = ()


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    address: str | None
    uprn: str | None


@dataclass(frozen=True)
class Answer:
    code: str
    question: str
    values: tuple[str, ...]
    is_list: bool


@dataclass(frozen=True)
class IssuePayload:
    """What a report's submission and its delivery carry (the keys are the stored rows'). A staff-defined
    service's report also keeps the definition it was made under, whatever later versions say."""

    system: SourceSystem
    service_code: str
    service_name: str
    description: str
    location: Place | None
    attributes: tuple[Answer, ...]
    contact_email: str | None
    contact: ContactDetails | None
    # The report's attachments (the reporter's own, claimed as the report is kept), and the signed
    # links a back office opens them by: a CRM case gets each; Open311 its first photo as `media_url`.
    attachment_ids: tuple[str, ...] = ()
    attachment_links: tuple[str, ...] = ()
    media_url: str | None = None
    service_version: int | None = None
    queue: str | None = None
    fee_pence: int | None = None
    expected_days: int | None = None

    def as_payload(self) -> dict[str, Any]:
        kept: dict[str, Any] = {
            "system": self.system.value,
            "service_code": self.service_code,
            "service_name": self.service_name,
            "description": self.description,
            "location": asdict(self.location) if self.location else None,
            "attributes": [{**asdict(answer), "values": list(answer.values)} for answer in self.attributes],
            "contact_email": self.contact_email,
            "contact": self.contact.as_payload() if self.contact else None,
            "attachment_ids": list(self.attachment_ids),
            "attachment_links": list(self.attachment_links),
        }
        if self.media_url is not None:
            kept["media_url"] = self.media_url
        if self.service_version is not None:
            kept |= {
                "service_version": self.service_version,
                "queue": self.queue,
                "fee_pence": self.fee_pence,
                "expected_days": self.expected_days,
            }
        return kept

    @classmethod
    def of(cls, kept: dict[str, Any]) -> IssuePayload:
        location, contact = kept.get("location"), kept.get("contact")
        return cls(
            system=SourceSystem(kept["system"]),
            service_code=kept["service_code"],
            service_name=kept["service_name"],
            description=kept["description"],
            location=Place(**location) if location else None,
            attributes=tuple(
                Answer(a["code"], a.get("question") or a["code"], tuple(a["values"]), a["is_list"])
                for a in kept.get("attributes") or ()
            ),
            contact_email=kept.get("contact_email"),
            contact=ContactDetails.of_payload(contact) if contact else None,
            attachment_ids=tuple(kept.get("attachment_ids") or ()),
            attachment_links=tuple(kept.get("attachment_links") or ()),
            media_url=kept.get("media_url"),
            service_version=kept.get("service_version"),
            queue=kept.get("queue"),
            fee_pence=kept.get("fee_pence"),
            expected_days=kept.get("expected_days"),
        )


async def report_issue(
    principal: Principal,
    customer: GoldenRecord | None,
    writes: WritePath,
    report: IssueReport,
    *,
    catalogue: Sequence[ServiceDefinitionRecord],
    catalogue_complete: bool,
    defined: Mapping[str, DefinedService],
    locate_uprn: Callable[[str], tuple[float, float] | None],
    pay_fee: PayFee,
    attachments: Attachments,
) -> Submission | list[Problem]:
    """`catalogue_complete` is false when a back office could not list its services. `pay_fee` starts the
    payment of a fee-paying service's fee under the request's reference, before the request is kept."""
    definition, problems = find_service(report.service_code, catalogue)
    if definition is None:
        # An unknown code is only unknown if every back office answered.
        return problems if catalogue_complete else [CATALOGUE_DOWN]
    # The photos, and the evidence a staff-defined service asks for as an `attachment` answer: each must be
    # the reporter's own and unused, and the report takes them all.
    named = dict.fromkeys([*report.attachment_ids, *attached_in_answers(definition, report.attributes)])
    attached = await attachments.attach(principal, list(named), REPORT_PURPOSES, ATTACHMENT_IDS)
    if isinstance(attached, list):
        return attached
    street = definition.system is SourceSystem.STREET_SCENE
    staff_defined = defined.get(definition.code)
    # Street problems may be reported by anyone, and so may a staff-defined service that needs no
    # sign-in (the reporter may leave an email for updates); every other CRM service needs a resident.
    anonymous_allowed = street or (staff_defined is not None and not staff_defined.sign_in_required)
    fee = staff_defined.fee_pence if staff_defined else None
    if customer is None and (fee or not anonymous_allowed):  # a fee is paid by a signed-in resident
        return [sign_in_to_use(definition.name)]
    problems = [
        *validate_description(report.description),
        *validate_attributes(definition, report.attributes),
        *validate_contact_email(report.contact_email),
        *([RETURN_URL_REQUIRED] if fee and not report.return_url else []),
    ]
    position, location_problems = _where(report, street, locate_uprn)
    problems += location_problems
    if problems:
        return problems
    issue = _issue(definition, report, position, customer, attached)
    if staff_defined:
        issue = replace(
            issue,
            service_version=staff_defined.version,
            queue=staff_defined.route_to,
            fee_pence=staff_defined.fee_pence,
            expected_days=staff_defined.expected_days,
        )
    payload = issue.as_payload()
    operation = SUBMIT_TO_OPEN311 if street else OPEN_CRM_CASE

    async def keep() -> Kept | list[Problem]:
        reference = new_reference()
        if fee and staff_defined:
            # The payment first, under the reference the request will have: a provider that is down (or
            # refuses) leaves no request behind, held for a fee nobody can pay. A payment whose request
            # was never kept is never paid (it has no page) and is settled FAILED when it expires.
            unpaid = await pay_fee(reference, staff_defined)
            if unpaid:
                return unpaid
        return await writes.keep(
            reference=reference,
            kind=SubmissionKind.STREET_REPORT if street else SubmissionKind.CASE,
            customer_id=customer.customer_id if customer else None,
            payload=payload,
            service_code=definition.code,
            deliveries=[NewDelivery(payload_system(definition), operation, payload)],
            held=bool(fee),  # a fee-paying service is delivered once its fee is paid (commands/payments.py)
            attachment_ids=issue.attachment_ids,
        )

    try:
        return await _keep_once(writes, keep, position, customer, definition.code)
    except AttachmentTaken:  # the same photo on two reports sent at once: the first took it
        return [PHOTO_TAKEN]


async def _keep_once(
    writes: WritePath,
    keep: Callable[[], Awaitable[Kept | list[Problem]]],
    position: tuple[float, float] | None,
    customer: GoldenRecord | None,
    service_code: str,
) -> Submission | list[Problem]:
    """Kept at once, or (a signed-in reporter's report of a place) under the duplicate rule."""
    if not (position and customer):
        kept = await keep()
        return kept if isinstance(kept, list) else await writes.deliver(kept)
    customer_id, at = customer.customer_id, position

    # The duplicate rule checks the reporter's own reports, then keeps this one: under their lock, so
    # the same report sent five times at once is kept once and the others are told its reference.
    async def check_and_keep() -> Kept | list[Problem]:
        earlier = (await writes.outbox.submissions_by_customer([customer_id])).get(customer_id, [])
        sketch = ReportSketch("", service_code, at[0], at[1], datetime.now(UTC))
        repeat = find_duplicate(sketch, [s for s in map(_sketch, earlier) if s], datetime.now(UTC))
        if repeat:
            return [duplicate_problem(repeat)]
        return await keep()

    return await check_then_keep(writes, customer_lock(customer_id, "report"), check_and_keep)


def payload_system(definition: ServiceDefinitionRecord) -> SourceSystem:
    return definition.system or SourceSystem.CRM


def _where(
    report: IssueReport, street: bool, locate_uprn: Callable[[str], tuple[float, float] | None]
) -> tuple[tuple[float, float] | None, list[Problem]]:
    """Street problems must say where they are; a CRM case may, if the resident chose to."""
    given = report.latitude is not None or report.longitude is not None or report.uprn
    if not street and not given:
        return None, []
    return resolve_location(report.latitude, report.longitude, report.uprn, locate_uprn)


def _issue(
    definition: ServiceDefinitionRecord,
    report: IssueReport,
    position: tuple[float, float] | None,
    customer: GoldenRecord | None,
    attached: Attached,
) -> IssuePayload:
    links = dict(zip(attached.ids, attached.links, strict=True))

    def shown(answer: AttributeAnswer) -> tuple[str, ...]:
        """An `attachment` answer (an upload's id) goes on as the link staff open it by."""
        attribute = asked(definition, answer.code)
        if attribute is not None and attribute.datatype == ATTACHMENT:
            return tuple(links.get(value, value) for value in answer.values)
        return tuple(answer.values)

    return IssuePayload(
        system=payload_system(definition),
        service_code=definition.code,
        service_name=definition.name,
        description=report.description.strip(),
        location=Place(position[0], position[1], report.address, report.uprn) if position else None,
        attributes=tuple(
            Answer(a.code, _question(definition, a.code), shown(a), a.is_list)
            for a in attribute_answers(definition, report.attributes)
        ),
        contact_email=normalise_email(report.contact_email),
        contact=ContactDetails.of_customer(customer) if customer else _anonymous_contact(report.contact_email),
        attachment_ids=attached.ids,
        attachment_links=attached.links,
        # Signed for the contractor, not for the public: it serves the cleaned photo only, stops when
        # staff hide the photo or revoke its links, and expires (C360_OPEN311_MEDIA_DAYS).
        media_url=attached.media_url if definition.system is SourceSystem.STREET_SCENE else None,
    )


def sign_in_to_use(service_name: str) -> Problem:
    return Problem(None, CommonCode.NOT_SIGNED_IN, f"Sign in to use {service_name}, so we can reply to you")


def _question(definition: ServiceDefinitionRecord, code: str) -> str:
    return next((a.description for a in definition.attributes if a.code == code), code)


def _anonymous_contact(email: str | None) -> ContactDetails | None:
    if not email:
        return None
    return ContactDetails(forenames="", surname="(not given)", email=normalise_email(email))


def _sketch(submission: Submission) -> ReportSketch | None:
    location = submission.payload.get("location")
    if submission.kind != SubmissionKind.STREET_REPORT or not location:
        return None
    return ReportSketch(
        submission.reference,
        submission.service_code or "",
        location["latitude"],
        location["longitude"],
        submission.created_at,
    )


async def deliver_street_report(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    issue = IssuePayload.of(item.payload)
    await _still_fits(tools, issue)
    account_id = await tools.record_in(item.customer_id, SourceSystem.STREET_SCENE)
    contact, location = issue.contact, issue.location
    assert location is not None, "a street report is only kept with its place (_where)"
    receipt = await tools.sources.street_scene.submit_request(
        StreetReportSubmission(
            external_reference=item.reference,
            service_code=issue.service_code,
            description=issue.description,
            latitude=location.latitude,
            longitude=location.longitude,
            address=location.address,
            uprn=location.uprn,
            attributes=tuple(AttributeAnswer(a.code, a.values, a.is_list) for a in issue.attributes),
            account_id=account_id,
            email=None if account_id else ((contact.email if contact else None) or issue.contact_email),
            first_name=None if account_id or contact is None else contact.forenames,
            last_name=None if account_id or contact is None else contact.surname,
            kept_at=item.created_at,
            # GeoReport v2 publishes it in the contractor's feed: see docs/attachments.md for why it is
            # sent all the same, and what it can and cannot serve.
            media_url=issue.media_url,
        )
    )
    reporter = receipt.account_id or account_id
    created = None
    if reporter and item.customer_id and reporter != account_id:  # the contractor made a reporter of them
        created = PersonRecord(
            system=SourceSystem.STREET_SCENE,
            record_id=reporter,
            forenames=contact.forenames if contact else "",
            surname=contact.surname if contact else "",
            email=(contact.email if contact else None) or issue.contact_email,
        )
    return Delivered(
        receipt.service_request_id,
        invalidate=[(REQUESTS_BY_REPORTER.namespace, reporter)] if reporter else [],
        created=created,
    )


async def _still_fits(tools: DeliveryTools, issue: IssuePayload) -> None:
    """Raises `SourceRejected` unless the report fits the service as the back office defines it now.

    The report may have been validated against a definition read long before (the list as last seen,
    while Open311 was down; or a cached one): one that no longer fits must reach staff with the
    reason, not be refused quietly by the back office or filed under questions it never answered.
    The reason names the service and its questions, never the resident's answers.
    """
    code = issue.service_code
    current = await tools.sources.street_scene.service(code)
    if current is None:
        raise SourceRejected(SourceSystem.STREET_SCENE, f"service {code} is no longer offered")
    answers = [(answer.code, ",".join(answer.values)) for answer in issue.attributes]
    if problems := validate_attributes(current, answers):
        changes = "; ".join(f"{problem.code}: {problem.message}" for problem in problems)
        raise SourceRejected(
            SourceSystem.STREET_SCENE, f"service {code} changed since the report was accepted: {changes}"
        )


async def deliver_case(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    issue = IssuePayload.of(item.payload)
    # Someone who used a no-sign-in service and left no email has no contact to file it under.
    contact = issue.contact
    contact_id, created = (None, None) if contact is None else await crm_contact_for(tools, item, contact)
    opened_on = item.created_at.astimezone(LONDON).date()
    # A service's promise is in working days, as analytics judges it (events.expected_days).
    due_on = working_days_after(opened_on, issue.expected_days or CASE_RESPONSE_WORKING_DAYS)
    due = datetime.combine(due_on, time(17, 0), LONDON)
    reference = await tools.sources.crm.create_case(
        NewCase(
            external_reference=item.reference,
            contact_id=contact_id,
            service_code=issue.service_code,
            service_name=issue.service_name,
            description=issue.description,
            opened_at=item.created_at,
            expected_by=due.astimezone(UTC),
            queue=issue.queue,
            answers=tuple(CaseAnswer(a.code, a.question, ", ".join(a.values)) for a in issue.attributes)
            + _attachment_answers(issue),
        )
    )
    return Delivered(
        reference, invalidate=[(CASES_BY_CONTACT.namespace, contact_id)] if contact_id else [], created=created
    )


def _attachment_answers(issue: IssuePayload) -> tuple[CaseAnswer, ...]:
    """A CRM case carries its attachments as links, one answer each, for staff to open."""
    links = issue.attachment_links
    return tuple(CaseAnswer(f"attachment_{n}", f"Attachment {n}", link) for n, link in enumerate(links, start=1))


UNIT = PortalService(
    name="report an issue",
    kinds=(SubmissionKind.STREET_REPORT, SubmissionKind.CASE),
    # One mutation for many services: an accepted report is recorded under the service it was for.
    journeys=(Journey("reportIssue", "REPORT_ISSUE", service_of_result="request"),),
    deliveries=(
        Delivery(SUBMIT_TO_OPEN311, deliver_street_report, frozenset({REQUESTS_BY_REPORTER.namespace})),
        Delivery(OPEN_CRM_CASE, deliver_case, frozenset({CASES_BY_CONTACT.namespace})),
    ),
    in_my_requests={
        SubmissionKind.STREET_REPORT: as_request("Report a problem"),
        SubmissionKind.CASE: as_request("Request"),
    },
)
