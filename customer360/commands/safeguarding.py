"""The safeguarding concern service (reportSafeguardingConcern), declared as one unit, and the agencies'
queues: routed by rules held as data, delivered at
once with priority, and kept in the outbox until every agency has it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from customer360.auth.principal import Role
from customer360.commands.delivery import Delivered, DeliveryTools, Handler
from customer360.commands.unit import Delivery, Journey, PortalService
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
from customer360.domain.submissions import Submission, SubmissionKind
from customer360.sources.agencies.sql import AgencyQueuesSql
from customer360.sources.errors import SourceUnavailable
from customer360.store.audit import AuditLog
from customer360.store.outbox import NewDelivery, OutboxItem
from customer360.store.safeguarding_routes import SafeguardingRouteStore

KIND = SubmissionKind.SAFEGUARDING
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


@dataclass(frozen=True)
class AgencyCase:
    """One agency's copy of a concern, as its outbox row carries it (the keys are the stored rows')."""

    concern: Concern
    agency_code: str
    priority: Priority

    def as_payload(self) -> dict[str, Any]:
        return {
            **asdict(self.concern),
            "about": self.concern.about.value,
            "agency_code": self.agency_code,
            "priority": int(self.priority),
        }

    @classmethod
    def of(cls, kept: dict[str, Any]) -> AgencyCase:
        concern = Concern(
            about=SafeguardingSubject(kept["about"]),
            description=kept["description"],
            location=kept["location"],
            immediate_danger=kept["immediate_danger"],
            crime_suspected=kept["crime_suspected"],
            contact_email=kept["contact_email"],
        )
        return cls(concern, kept["agency_code"], Priority(kept["priority"]))


async def report_concern(
    customer_id: str | None, writes: WritePath, routes: list[SafeguardingRoute], concern: Concern
) -> Submission | list[Problem]:
    """Signed in or anonymous alike: a concern is never refused for want of an account."""
    problems = concern_problems(concern.description) + validate_contact_email(concern.contact_email)
    if problems:
        return problems
    routed = routes_for(concern.about, concern.crime_suspected, concern.immediate_danger, routes)
    kept = replace(
        concern, description=concern.description.strip(), contact_email=normalise_email(concern.contact_email)
    )
    return await writes.submit(
        kind=KIND,
        customer_id=customer_id,
        # Our own record keeps only where it went: the concern itself lives with the agencies.
        payload={"agencies": [r.agency_code for r in routed], "priority": int(routed[0].priority) if routed else 3},
        service_code="SAFEGUARDING",
        deliveries=[
            NewDelivery(
                AGENCIES, f"{FILE_CASE}:{r.agency_code}", AgencyCase(kept, r.agency_code, r.priority).as_payload()
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


def deliver_to_agency(agencies: AgencyQueuesSql, is_down: Callable[[], bool]) -> Handler:
    """The outbox handler for one agency's copy of a concern (the agencies are not one of the six sources)."""

    async def deliver(tools: DeliveryTools, item: OutboxItem) -> Delivered:
        if is_down():
            raise SourceUnavailable(AGENCIES, "refused (C360_DEMO_SOURCE_DOWN)")
        case = AgencyCase.of(item.payload)
        concern = case.concern
        try:
            reference = await agencies.file_case(
                NewSafeguardingCase(
                    external_reference=item.reference,
                    agency_code=case.agency_code,
                    priority=case.priority,
                    about=concern.about,
                    description=concern.description,
                    location=concern.location,
                    immediate_danger=concern.immediate_danger,
                    crime_suspected=concern.crime_suspected,
                    contact_email=concern.contact_email,
                    received_at=item.created_at,
                )
            )
        except (SQLAlchemyError, OSError) as error:
            raise SourceUnavailable(AGENCIES, type(error).__name__) from error
        return Delivered(reference)  # never cached, so nothing to invalidate

    return deliver


UNIT = PortalService(
    name="safeguarding concern",
    kinds=(KIND,),
    journeys=(Journey("reportSafeguardingConcern", "SAFEGUARDING_CONCERN"),),
    # Filed in the agencies' queues, which are not one of the back offices: `deliver_to_agency` is bound
    # to them at the composition root. Never cached, so nothing made stale. Not listed in My Requests:
    # a concern is the agencies' business, not a request the resident tracks.
    deliveries=(Delivery(FILE_CASE, None),),
)
