"""reportIssue: a resident (or anyone, for a street problem) reports something to the council.

Routing follows the service: Green & Clean problems go to the street-scene contractor over
Open311; the CRM's own services (a shortfall in service delivery) open a CRM case. Either way the
report is kept first and delivered through the outbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from customer360.auth.principal import Principal
from customer360.cache.namespaces import CASES_BY_CONTACT, REQUESTS_BY_REPORTER
from customer360.clock import LONDON
from customer360.commands.check_then_write import check_then_keep, customer_lock
from customer360.commands.complaints import contact_details, crm_contact_for
from customer360.commands.delivery import CREATED_BY_US, Delivered, DeliveryTools
from customer360.commands.write_path import Kept, WritePath
from customer360.domain.customers import GoldenRecord, RecordLink
from customer360.domain.people import normalise_email
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.reporting import (
    AttributeAnswer,
    ReportSketch,
    StreetReportSubmission,
    asked,
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
from customer360.domain.submissions import Submission, new_reference
from customer360.domain.systems import SourceSystem
from customer360.domain.working_days import working_days_after
from customer360.sources.errors import SourceRejected
from customer360.store.outbox import NewDelivery, OutboxItem

STREET_REPORT = "street_report"
CASE = "case"
SUBMIT_TO_OPEN311 = "open311.submit_request"
OPEN_CRM_CASE = "crm.create_case"
# The CRM's service standard: a case is answered within 10 working days.
CASE_RESPONSE_WORKING_DAYS = 10

CATALOGUE_DOWN = Problem(
    ("input", "serviceCode"),
    CommonCode.SOURCE_UNAVAILABLE,
    "We cannot check that service right now; please try again in a few minutes",
)

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
    # Photos or evidence the reporter uploaded (checked as theirs and unused), and the signed links a
    # back office opens them by.
    attachment_ids: Sequence[str] = ()
    attachment_links: Sequence[str] = ()


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
) -> Submission | list[Problem]:
    """`catalogue_complete` is false when a back office could not list its services. `pay_fee` starts the
    payment of a fee-paying service's fee under the request's reference, before the request is kept."""
    definition, problems = find_service(report.service_code, catalogue)
    if definition is None:
        # An unknown code is only unknown if every back office answered.
        return problems if catalogue_complete else [CATALOGUE_DOWN]
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
    payload = _payload(definition, report, position, customer)
    if staff_defined:
        # The request keeps the definition it was made under, whatever later versions say.
        payload |= {
            "service_version": staff_defined.version,
            "queue": staff_defined.route_to,
            "fee_pence": staff_defined.fee_pence,
            "expected_days": staff_defined.expected_days,
        }
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
            kind=STREET_REPORT if street else CASE,
            customer_id=customer.customer_id if customer else None,
            payload=payload,
            service_code=definition.code,
            deliveries=[NewDelivery(payload_system(definition), operation, payload)],
            held=bool(fee),  # a fee-paying service is delivered once its fee is paid (commands/payments.py)
            attachment_ids=report.attachment_ids,
        )

    if not (position and customer):
        kept = await keep()
        return kept if isinstance(kept, list) else await writes.deliver(kept)
    customer_id, at = customer.customer_id, position

    # The duplicate rule checks the reporter's own reports, then keeps this one: under their lock, so
    # the same report sent five times at once is kept once and the others are told its reference.
    async def check_and_keep() -> Kept | list[Problem]:
        earlier = (await writes.outbox.submissions_by_customer([customer_id])).get(customer_id, [])
        sketch = ReportSketch("", definition.code, at[0], at[1], datetime.now(UTC))
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


def _payload(
    definition: ServiceDefinitionRecord,
    report: IssueReport,
    position: tuple[float, float] | None,
    customer: GoldenRecord | None,
) -> dict[str, Any]:
    answers = attribute_answers(definition, report.attributes)
    links = dict(zip(report.attachment_ids, report.attachment_links, strict=True))

    def shown(answer: AttributeAnswer) -> list[str]:
        """An `attachment` answer (an upload's id) goes on as the link staff open it by."""
        attribute = asked(definition, answer.code)
        if attribute is not None and attribute.datatype == ATTACHMENT:
            return [links.get(value, value) for value in answer.values]
        return list(answer.values)

    return {
        "system": payload_system(definition).value,
        "service_code": definition.code,
        "service_name": definition.name,
        "description": report.description.strip(),
        "location": (
            {"latitude": position[0], "longitude": position[1], "address": report.address, "uprn": report.uprn}
            if position
            else None
        ),
        "attributes": [
            {"code": a.code, "question": _question(definition, a.code), "values": shown(a), "is_list": a.is_list}
            for a in answers
        ],
        "contact_email": normalise_email(report.contact_email),
        "contact": contact_details(customer) if customer else _anonymous_contact(report.contact_email),
        "attachment_ids": list(report.attachment_ids),
        "attachment_links": list(report.attachment_links),
    }


def sign_in_to_use(service_name: str) -> Problem:
    return Problem(None, CommonCode.NOT_SIGNED_IN, f"Sign in to use {service_name}, so we can reply to you")


def _question(definition: ServiceDefinitionRecord, code: str) -> str:
    return next((a.description for a in definition.attributes if a.code == code), code)


def _anonymous_contact(email: str | None) -> dict[str, Any] | None:
    if not email:
        return None
    return {"forenames": "", "surname": "(not given)", "email": normalise_email(email), "email_verified": False}


def _sketch(submission: Submission) -> ReportSketch | None:
    location = submission.payload.get("location")
    if submission.kind != STREET_REPORT or not location:
        return None
    return ReportSketch(
        submission.reference,
        submission.service_code or "",
        location["latitude"],
        location["longitude"],
        submission.created_at,
    )


async def deliver_street_report(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    payload = item.payload
    await _still_fits(tools, payload)
    account_id = await tools.record_in(item.customer_id, SourceSystem.STREET_SCENE)
    contact = payload.get("contact") or {}
    location = payload["location"]
    receipt = await tools.sources.street_scene.submit_request(
        StreetReportSubmission(
            external_reference=item.reference,
            service_code=payload["service_code"],
            description=payload["description"],
            latitude=location["latitude"],
            longitude=location["longitude"],
            address=location.get("address"),
            uprn=location.get("uprn"),
            attributes=tuple(
                AttributeAnswer(a["code"], tuple(a["values"]), a["is_list"]) for a in payload["attributes"]
            ),
            account_id=account_id,
            email=None if account_id else (contact.get("email") or payload.get("contact_email")),
            first_name=None if account_id else contact.get("forenames"),
            last_name=None if account_id else contact.get("surname"),
            media_url=next(iter(payload.get("attachment_links") or ()), None),  # Open311 takes one photo
        )
    )
    reporter = receipt.account_id or account_id
    new_link = (
        RecordLink(SourceSystem.STREET_SCENE, reporter, 1.0, CREATED_BY_US)
        if reporter and item.customer_id and reporter != account_id
        else None
    )
    return Delivered(
        receipt.service_request_id,
        invalidate=[(REQUESTS_BY_REPORTER, reporter)] if reporter else [],
        new_link=new_link,
    )


async def _still_fits(tools: DeliveryTools, payload: Mapping[str, Any]) -> None:
    """Raises `SourceRejected` unless the report fits the service as the back office defines it now.

    The report may have been validated against a definition read long before (the list as last seen,
    while Open311 was down; or a cached one): one that no longer fits must reach staff with the
    reason, not be refused quietly by the back office or filed under questions it never answered.
    The reason names the service and its questions, never the resident's answers.
    """
    code = payload["service_code"]
    current = await tools.sources.street_scene.service(code)
    if current is None:
        raise SourceRejected(SourceSystem.STREET_SCENE, f"service {code} is no longer offered")
    answers = [(answer["code"], ",".join(answer["values"])) for answer in payload["attributes"]]
    if problems := validate_attributes(current, answers):
        changes = "; ".join(f"{problem.code}: {problem.message}" for problem in problems)
        raise SourceRejected(
            SourceSystem.STREET_SCENE, f"service {code} changed since the report was accepted: {changes}"
        )


async def deliver_case(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    payload = item.payload
    # Someone who used a no-sign-in service and left no email has no contact to file it under.
    anonymous = item.customer_id is None and not payload.get("contact")
    contact_id, new_link = (None, None) if anonymous else await crm_contact_for(tools, item)
    opened_on = item.created_at.astimezone(LONDON).date()
    # A service's promise is in working days, as analytics judges it (events.expected_days).
    due_on = working_days_after(opened_on, payload.get("expected_days") or CASE_RESPONSE_WORKING_DAYS)
    due = datetime.combine(due_on, time(17, 0), LONDON)
    reference = await tools.sources.crm.create_case(
        NewCase(
            external_reference=item.reference,
            contact_id=contact_id,
            service_code=payload["service_code"],
            service_name=payload["service_name"],
            description=payload["description"],
            opened_at=item.created_at,
            expected_by=due.astimezone(UTC),
            queue=payload.get("queue"),
            answers=tuple(
                CaseAnswer(a["code"], a.get("question") or a["code"], ", ".join(a["values"]))
                for a in payload.get("attributes") or ()
            )
            + _attachment_answers(payload),
        )
    )
    return Delivered(reference, invalidate=[(CASES_BY_CONTACT, contact_id)] if contact_id else [], new_link=new_link)


def _attachment_answers(payload: Mapping[str, Any]) -> tuple[CaseAnswer, ...]:
    """A CRM case carries its attachments as links, one answer each, for staff to open."""
    links = payload.get("attachment_links") or ()
    return tuple(CaseAnswer(f"attachment_{n}", f"Attachment {n}", link) for n, link in enumerate(links, start=1))


HANDLERS = {SUBMIT_TO_OPEN311: deliver_street_report, OPEN_CRM_CASE: deliver_case}
