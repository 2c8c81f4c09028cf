"""reportIssue: report a street problem (Green & Clean) or a shortfall in service delivery."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import report_issue as command
from customer360.domain.payments import fee_of
from customer360.domain.problems import Problem
from customer360.domain.services import DefinedService
from customer360.resolvers.context import Context
from customer360.resolvers.customers import me
from customer360.resolvers.my_requests import request_not_yet_delivered
from customer360.resolvers.payments import from_ledger
from customer360.resolvers.services import catalogue
from customer360.resolvers.tracking import Tracked
from customer360.schema.payments import Payment
from customer360.schema.requests import LocationInput, ServiceRequest
from customer360.schema.values import UserError, user_errors
from customer360.store.payments import StoredPayment


@strawberry.input
class AttributeValueInput:
    code: str
    value: str = strawberry.field(description="For a multivaluelist, the chosen values separated by commas.")


@strawberry.input
class ReportIssueInput:
    service_code: str
    description: str
    location: LocationInput | None = None
    attributes: list[AttributeValueInput] | None = None
    contact_email: str | None = strawberry.field(
        default=None, description="For an anonymous report: where to send updates (optional)."
    )
    return_url: str | None = strawberry.field(
        default=None,
        description="For a service with a fee (required then): where the payment page sends the payer back to.",
    )
    attachment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Photos (or evidence) you uploaded with `uploadAttachment` (signed in). A case carries links "
        "to each; Open311 gets the first photo as `media_url`, a signed link that serves the cleaned image only.",
    )


@strawberry.type
class ReportIssuePayload:
    request: ServiceRequest | None
    payment: Payment | None = strawberry.field(
        description="For a service with a fee: its payment, to make at `nextUrl`. The request is HELD (not sent "
        "on) until the payment succeeds, and closed if it fails or expires unpaid."
    )
    user_errors: list[UserError]


async def report_issue(info: Info[Context, Any], input: ReportIssueInput) -> ReportIssuePayload:
    context = info.context
    customer = await me(info)
    services = await catalogue(context, for_report=True)
    location = input.location or LocationInput()
    started: list[StoredPayment] = []

    async def pay_fee(reference: str, defined: DefinedService) -> list[Problem]:
        assert customer is not None and input.return_url  # the command refuses a fee without either
        paid = await context.services.payments.pay_for_request(
            context.principal, customer, reference, fee_of(defined), input.return_url
        )
        if isinstance(paid, list):
            return paid
        started.append(paid)
        return []

    outcome = await command.report_issue(
        context.principal,
        customer,
        context.services.writes,
        command.IssueReport(
            service_code=input.service_code,
            description=input.description,
            latitude=location.latitude,
            longitude=location.longitude,
            address=location.address,
            uprn=location.uprn,
            attributes=[(answer.code, answer.value) for answer in input.attributes or []],
            contact_email=input.contact_email,
            return_url=input.return_url,
            attachment_ids=[str(i) for i in input.attachment_ids or []],
        ),
        catalogue=services.services,
        catalogue_complete=not services.unavailable,
        defined=services.defined,
        locate_uprn=context.services.locate_uprn,
        pay_fee=pay_fee,
        attachments=context.services.attachments,
    )
    if isinstance(outcome, list):  # a payment that could not be started kept no request: a retry starts afresh
        return ReportIssuePayload(request=None, payment=None, user_errors=user_errors(outcome))
    request = ServiceRequest.from_record(Tracked(request_not_yet_delivered(outcome), outcome.reference, outcome))
    payment = Payment.from_record(from_ledger(started[0])) if started else None
    return ReportIssuePayload(request=request, payment=payment, user_errors=[])
