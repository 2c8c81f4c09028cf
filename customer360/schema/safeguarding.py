"""Safeguarding: reporting a concern (anyone), the agencies' case queue (role `safeguarding` only).

Nothing here is cached, and every read of a case is audited. A reporter learns only their
reference and whether the agencies received it, never what the agencies do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from customer360.commands import safeguarding as command
from customer360.domain.safeguarding import SafeguardingCaseRecord, SafeguardingSubject, advice
from customer360.resolvers import safeguarding as resolve
from customer360.resolvers.context import Context
from customer360.schema.node import Node, to_global_id
from customer360.schema.requests import LocationInput
from customer360.schema.values import PageInfo, UserError, user_errors

strawberry.enum(SafeguardingSubject)


@strawberry.input
class ReportSafeguardingConcernInput:
    about: SafeguardingSubject
    description: str = strawberry.field(description="Who, where, and what you saw or heard.")
    immediate_danger: bool
    location: LocationInput | None = None
    crime_suspected: bool | None = False
    contact_email: str | None = strawberry.field(default=None, description="Optional: so the team can ask you more.")


@strawberry.type
class ReportSafeguardingConcernPayload:
    reference: str | None
    advice: str | None = strawberry.field(description="What to do now: if someone is in immediate danger, call 999.")
    user_errors: list[UserError]


@strawberry.type(description="What the person who reported a concern may know: that it was received.")
class SafeguardingReceipt:
    reference: str
    back_office_reference: str | None = strawberry.field(
        description="Always null: the agencies' own references are for them, never for the person who raised it."
    )
    received: bool


@strawberry.type(
    description="One agency's copy of a concern. `reference` is what the person who raised it was given "
    "(`C360-XXXXXXXX`, the same for every agency it went to); `caseReference` is the agency's own."
)
class SafeguardingCase(Node):
    reference: str
    case_reference: str
    back_office_reference: str = strawberry.field(description="The agency's own reference (= caseReference).")
    agency: str
    priority: int = strawberry.field(
        description="1: someone is in immediate danger; 2: a crime is suspected; 3: other."
    )
    about: SafeguardingSubject
    description: str
    location: str | None
    immediate_danger: bool
    crime_suspected: bool
    contact_email: str | None
    received_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None

    @classmethod
    def from_record(cls, record: SafeguardingCaseRecord) -> SafeguardingCase:
        return cls(
            id=to_global_id("SafeguardingCase", record.case_reference),
            reference=record.external_reference,
            case_reference=record.case_reference,
            back_office_reference=record.case_reference,
            agency=record.agency_code,
            priority=int(record.priority),
            about=record.about,
            description=record.description,
            location=record.location,
            immediate_danger=record.immediate_danger,
            crime_suspected=record.crime_suspected,
            contact_email=record.contact_email,
            received_at=record.received_at,
            acknowledged_at=record.acknowledged_at,
            acknowledged_by=record.acknowledged_by,
        )


@strawberry.type
class SafeguardingCaseEdge:
    cursor: str
    node: SafeguardingCase


@strawberry.type
class SafeguardingCaseConnection:
    edges: list[SafeguardingCaseEdge]
    page_info: PageInfo


@strawberry.input
class AcknowledgeSafeguardingCaseInput:
    case_reference: str


@strawberry.type
class AcknowledgeSafeguardingCasePayload:
    case: SafeguardingCase | None
    user_errors: list[UserError]


def _location(location: LocationInput | None) -> str | None:
    if location is None:
        return None
    parts = [location.address, f"UPRN {location.uprn}" if location.uprn else None]
    if location.latitude is not None and location.longitude is not None:
        parts.append(f"{location.latitude:.5f},{location.longitude:.5f}")
    return "; ".join(p for p in parts if p) or None


async def report_safeguarding_concern(
    info: Info[Context, Any], input: ReportSafeguardingConcernInput
) -> ReportSafeguardingConcernPayload:
    context = info.context
    outcome = await command.report_concern(
        resolve.reporter(info),
        context.services.writes,
        await context.services.safeguarding.routes.all(),
        command.Concern(
            about=input.about,
            description=input.description,
            location=_location(input.location),
            immediate_danger=input.immediate_danger,
            crime_suspected=bool(input.crime_suspected),
            contact_email=input.contact_email,
        ),
    )
    if isinstance(outcome, list):
        return ReportSafeguardingConcernPayload(reference=None, advice=None, user_errors=user_errors(outcome))
    return ReportSafeguardingConcernPayload(
        reference=outcome.reference, advice=advice(input.immediate_danger), user_errors=[]
    )


async def safeguarding_receipt(info: Info[Context, Any], reference: str) -> SafeguardingReceipt | None:
    """Public, by the unguessable reference: received or not, nothing more."""
    received = await resolve.concern_received(info, reference)
    if received is None:
        return None
    return SafeguardingReceipt(reference=reference, back_office_reference=None, received=received)


async def safeguarding_cases(
    info: Info[Context, Any],
    first: int | None = 20,
    after: str | None = None,
    reference: Annotated[
        str | None,
        strawberry.argument(description="Only the cases of the concern a caller quotes, by its C360- reference."),
    ] = None,
) -> SafeguardingCaseConnection:
    found, more = await resolve.safeguarding_cases(info, first, after, reference)
    edges = [
        SafeguardingCaseEdge(cursor=resolve.cursor_of(case), node=SafeguardingCase.from_record(case)) for case in found
    ]
    return SafeguardingCaseConnection(
        edges=edges, page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None)
    )


async def acknowledge_safeguarding_case(
    info: Info[Context, Any], input: AcknowledgeSafeguardingCaseInput
) -> AcknowledgeSafeguardingCasePayload:
    actor = resolve.require_safeguarding(info)
    outcome = await command.acknowledge_case(info.context.services.safeguarding, actor, input.case_reference)
    if isinstance(outcome, list):
        return AcknowledgeSafeguardingCasePayload(case=None, user_errors=user_errors(outcome))
    return AcknowledgeSafeguardingCasePayload(case=SafeguardingCase.from_record(outcome), user_errors=[])
