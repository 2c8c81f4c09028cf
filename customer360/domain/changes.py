"""A change a back office made to a request, or to its record of a person, as its change feed tells it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from customer360.domain.people import PersonRecord
from customer360.domain.requests import RequestEvent, RequestStatus, ServiceRequestRecord
from customer360.domain.systems import SourceSystem


@dataclass(frozen=True, slots=True)
class RequestChange:
    system: SourceSystem
    change_key: str  # the change's identity in its back office: the same change read twice has the same key
    backoffice_reference: str
    external_reference: str | None  # the customer360 reference, when the request came through us
    owner_record_id: str | None  # the back office's record of the resident (its reporter, contact ...)
    service_name: str
    status: RequestStatus | None
    description: str
    at: datetime
    is_reply: bool = False  # a complaint's reply: worth its own message
    is_new: bool = False  # the request was made (by any channel): a receipt


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    changes: Sequence[RequestChange]
    cursor: str  # read the feed from here next time
    # People the office added or changed since the cursor, as it holds them now (the golden record's arrivals).
    people: Sequence[PersonRecord] = ()


def with_changes(record: ServiceRequestRecord, seen: Sequence[RequestEvent]) -> ServiceRequestRecord:
    """A request as its back office answers it, with the changes its change feed told us of (kept
    append-only in the gateway) that the back office's own answer does not carry: an office whose
    records hold no history (a housing application, a repair) shows each step its officers took.

    An event the answer already holds (same office, same moment) is not repeated. The latest step
    with a status sets the request's status when it is newer than what the answer says."""
    held = {(event.system, event.at) for event in record.history}
    added = [event for event in seen if (event.system, event.at) not in held]
    if not added:
        return record
    history = tuple(sorted((*record.history, *added), key=lambda event: event.at))
    latest = max(added, key=lambda event: event.at)
    newer = latest.at > record.updated_at
    return replace(
        record,
        history=history,
        updated_at=max(record.updated_at, latest.at),
        status=latest.status if newer and latest.status is not None else record.status,
    )
