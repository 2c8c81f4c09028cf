"""Staff casework reads: a CRM case by reference (as the CRM holds it now), whose it is, and a team's
queue of open work ordered by due date, overdue first."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from customer360.auth.policy import casework_queues
from customer360.domain.casework import working_days_until
from customer360.domain.requests import RequestStatus, ServiceRequestRecord
from customer360.domain.systems import SourceSystem
from customer360.resolvers.context import Context
from customer360.resolvers.pagination import Page, paginate
from customer360.resolvers.tracking import Tracked
from customer360.sources.crm import CRM

OPEN = (RequestStatus.SUBMITTED, RequestStatus.IN_PROGRESS)
# One page of a queue is drawn from at most this many open cases, soonest due first.
QUEUE_WINDOW = 500
NO_DUE_DATE = 10**6  # working days: cases without a due date come after every dated one


async def case_now(info: Info[Context, Any], reference: str) -> ServiceRequestRecord | None:
    """Past every cache: casework checks what the CRM holds at this moment."""
    return (await info.context.services.sources.of(CRM).cases_by_reference([reference])).get(reference)


async def owner(info: Info[Context, Any], contact_id: str | None) -> str | None:
    """The golden customer a CRM contact belongs to (None: not linked, or an anonymous case)."""
    if contact_id is None:
        return None
    key = (SourceSystem.CRM, contact_id)
    return (await info.context.services.directory.owners_of([key])).get(key)


async def case_queue(
    info: Info[Context, Any],
    team: str | None,
    statuses: list[RequestStatus] | None,
    first: int | None,
    after: str | None,
) -> Page[Tracked[ServiceRequestRecord]]:
    """Open cases (or those in `statuses`) of the team's queue, or every queue the principal works;
    a queue they do not work answers as empty. Soonest due first, so the overdue lead."""
    allowed = casework_queues(info.context.principal)
    if allowed is not None and (not allowed or (team is not None and team not in allowed)):
        return paginate([], lambda tracked: [], first, after)
    queues: list[str | None] = [team] if team else [*sorted(allowed)] if allowed is not None else [None]
    crm = info.context.services.sources.of(CRM)
    found = [case for queue in queues for case in await crm.case_queue(queue, statuses or OPEN, QUEUE_WINDOW)]
    today = info.context.today
    submissions = await info.context.services.submissions.submissions_by_reference(
        [case.external_reference for case in found if case.external_reference]
    )

    def soonest_due_first(tracked: Tracked[ServiceRequestRecord]) -> list[Any]:
        due = tracked.record.expected_by
        days = working_days_until(due.date(), today) if due else NO_DUE_DATE
        return [-days, tracked.record.reference]  # paginate sorts descending

    tracked = [
        Tracked(case, case.external_reference or case.reference, submissions.get(case.external_reference or ""))
        for case in found
    ]
    return paginate(tracked, soonest_due_first, first, after)
