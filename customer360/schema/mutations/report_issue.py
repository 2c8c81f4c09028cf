"""reportIssue: report a street problem (Green & Clean) or a shortfall in service delivery."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands import reporting as command
from customer360.resolvers.context import Context
from customer360.resolvers.customers import me
from customer360.resolvers.my_requests import request_not_yet_delivered
from customer360.resolvers.services import catalogue
from customer360.resolvers.tracking import Tracked
from customer360.schema.requests import LocationInput, ServiceRequest
from customer360.schema.values import UserError, user_errors


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


@strawberry.type
class ReportIssuePayload:
    request: ServiceRequest | None
    user_errors: list[UserError]


async def report_issue(info: Info[Context, Any], input: ReportIssueInput) -> ReportIssuePayload:
    context = info.context
    customer = await me(info)
    services = await catalogue(context, for_report=True)
    location = input.location or LocationInput()
    outcome = await command.report_issue(
        context.principal,
        customer,
        context.writes,
        command.IssueReport(
            service_code=input.service_code,
            description=input.description,
            latitude=location.latitude,
            longitude=location.longitude,
            address=location.address,
            uprn=location.uprn,
            attributes=[(answer.code, answer.value) for answer in input.attributes or []],
            contact_email=input.contact_email,
        ),
        catalogue=services.services,
        catalogue_complete=not services.unavailable,
        defined=services.defined,
        locate_uprn=context.locate_uprn,
    )
    if isinstance(outcome, list):
        return ReportIssuePayload(request=None, user_errors=user_errors(outcome))
    tracked = Tracked(request_not_yet_delivered(outcome), outcome.reference, outcome)
    return ReportIssuePayload(request=ServiceRequest.from_record(tracked), user_errors=[])
