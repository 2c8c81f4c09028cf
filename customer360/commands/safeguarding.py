"""reportSafeguardingConcern and the agencies' queues: routed by rules held as data, delivered at
once with priority, and kept in the outbox until every agency has it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from customer360.auth.principal import Role
from customer360.commands.delivery import Delivered, DeliveryTools
from customer360.commands.write_path import WritePath
from customer360.domain.people import normalise_email
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.reporting import validate_contact_email
from customer360.domain.safeguarding import (
    NewSafeguardingCase,
    Priority,
    SafeguardingCaseRecord,
    SafeguardingRoute,
    SafeguardingSubject,
    concern_problems,
    routes_for,
)
from customer360.domain.submissions import Submission
from customer360.sources.agencies.sql import AgencyQueuesSql
from customer360.sources.errors import SourceUnavailable
from customer360.store.audit import AuditLog
from customer360.store.outbox import NewDelivery, OutboxItem
from customer360.store.safeguarding_routes import SafeguardingRouteStore

KIND = "safeguarding"
AGENCIES = "AGENCIES"
FILE_CASE = "agency.file_case"


@dataclass(frozen=True)
class SafeguardingAccess:
    """What the safeguarding fields use: routing rules, the agencies' queues, the audit log."""

    routes: SafeguardingRouteStore
    agencies: AgencyQueuesSql
    audit: AuditLog


@dataclass(frozen=True)
class Concern:
    about: SafeguardingSubject
    description: str
    location: str | None
    immediate_danger: bool
    crime_suspected: bool
    contact_email: str | None


async def report_concern(
    customer_id: str | None, writes: WritePath, routes: list[SafeguardingRoute], concern: Concern
) -> Submission | list[Problem]:
    """Signed in or anonymous alike: a concern is never refused for want of an account."""
    problems = concern_problems(concern.description) + validate_contact_email(concern.contact_email)
    if problems:
        return problems
    routed = routes_for(concern.about, concern.crime_suspected, concern.immediate_danger, routes)
    case: dict[str, Any] = {
        "about": concern.about.value,
        "description": concern.description.strip(),
        "location": concern.location,
        "immediate_danger": concern.immediate_danger,
        "crime_suspected": concern.crime_suspected,
        "contact_email": normalise_email(concern.contact_email),
    }
    return await writes.submit(
        kind=KIND,
        customer_id=customer_id,
        # Our own record keeps only where it went: the concern itself lives with the agencies.
        payload={"agencies": [r.agency_code for r in routed], "priority": int(routed[0].priority) if routed else 3},
        service_code="SAFEGUARDING",
        deliveries=[
            NewDelivery(
                AGENCIES,
                f"{FILE_CASE}:{r.agency_code}",
                {**case, "agency_code": r.agency_code, "priority": int(r.priority)},
            )
            for r in routed
        ],
    )


async def acknowledge_case(
    access: SafeguardingAccess, actor: str, case_reference: str
) -> SafeguardingCaseRecord | list[Problem]:
    """A safeguarding officer has picked the case up: recorded once (the first acknowledgement stands)."""
    case = await access.agencies.by_reference(case_reference)
    if case is None:
        return [Problem(("input", "caseReference"), CommonCode.NOT_FOUND, "There is no such case")]
    await access.agencies.acknowledge(case.case_reference, actor, datetime.now(UTC))
    await access.audit.append(
        actor=actor,
        role=Role.SAFEGUARDING.value,
        team="safeguarding",
        action="safeguarding.case.acknowledge",
        detail={"case": case.case_reference},
    )
    return await access.agencies.by_reference(case.case_reference) or case


def deliver_to_agency(agencies: AgencyQueuesSql, is_down: Any) -> Any:
    """The outbox handler for one agency's copy of a concern (the agencies are not one of the six sources)."""

    async def deliver(tools: DeliveryTools, item: OutboxItem) -> Delivered:
        if is_down():
            raise SourceUnavailable(AGENCIES, "refused (C360_DEMO_SOURCE_DOWN)")
        payload = item.payload
        try:
            reference = await agencies.file_case(
                NewSafeguardingCase(
                    external_reference=item.reference,
                    agency_code=payload["agency_code"],
                    priority=Priority(payload["priority"]),
                    about=SafeguardingSubject(payload["about"]),
                    description=payload["description"],
                    location=payload["location"],
                    immediate_danger=payload["immediate_danger"],
                    crime_suspected=payload["crime_suspected"],
                    contact_email=payload["contact_email"],
                    received_at=item.created_at,
                )
            )
        except (SQLAlchemyError, OSError) as error:
            raise SourceUnavailable(AGENCIES, type(error).__name__) from error
        return Delivered(reference)  # never cached, so nothing to invalidate

    return deliver
