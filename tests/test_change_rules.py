"""`with_changes`: a request as its back office answers it, with the feed's changes it does not carry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from customer360.domain.changes import with_changes
from customer360.domain.requests import RequestEvent, RequestStatus, ServiceRequestRecord
from customer360.domain.systems import SourceSystem

HOUSING = SourceSystem.HOUSING
SUBMITTED_AT = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
RECEIVED = RequestEvent(SUBMITTED_AT, "Application received", RequestStatus.SUBMITTED, HOUSING)
ASSESSING = RequestEvent(datetime(2026, 3, 5, 10, 0, tzinfo=UTC), "Being assessed", RequestStatus.IN_PROGRESS, HOUSING)
HOUSED = RequestEvent(datetime(2026, 4, 1, 9, 30, tzinfo=UTC), "Offered a flat", RequestStatus.RESOLVED, HOUSING)
NOTE = RequestEvent(datetime(2026, 4, 2, 9, 0, tzinfo=UTC), "Keys collected", None, HOUSING)


def application(status: RequestStatus, updated_at: datetime, *history: RequestEvent) -> ServiceRequestRecord:
    return ServiceRequestRecord(
        system=HOUSING,
        reference="HA100001",
        owner_record_id="APP1",
        service_code="HOUSING_APPLICATION",
        service_name="Housing application",
        status=status,
        submitted_at=SUBMITTED_AT,
        updated_at=updated_at,
        history=history,
    )


@pytest.mark.parametrize(
    ("record", "seen", "status", "history", "updated_at"),
    [
        # Nothing told: the back office's answer as it is.
        (application(RequestStatus.SUBMITTED, SUBMITTED_AT, RECEIVED), [], "SUBMITTED", [RECEIVED], SUBMITTED_AT),
        # Two steps the register keeps no history of: appended in order, the latest sets the status.
        (
            application(RequestStatus.SUBMITTED, SUBMITTED_AT, RECEIVED),
            [HOUSED, ASSESSING],
            "RESOLVED",
            [RECEIVED, ASSESSING, HOUSED],
            HOUSED.at,
        ),
        # A step the answer already holds (same office, same moment) is not repeated.
        (
            application(RequestStatus.IN_PROGRESS, ASSESSING.at, RECEIVED, ASSESSING),
            [ASSESSING],
            "IN_PROGRESS",
            [RECEIVED, ASSESSING],
            ASSESSING.at,
        ),
        # The answer is newer than the step told: its status stands, the step is still history.
        (
            application(RequestStatus.RESOLVED, HOUSED.at, RECEIVED),
            [ASSESSING],
            "RESOLVED",
            [RECEIVED, ASSESSING],
            HOUSED.at,
        ),
        # A note without a status is history; the status stays.
        (
            application(RequestStatus.RESOLVED, HOUSED.at, RECEIVED, HOUSED),
            [NOTE],
            "RESOLVED",
            [RECEIVED, HOUSED, NOTE],
            NOTE.at,
        ),
    ],
    ids=["nothing", "two-steps", "held-already", "answer-newer", "note"],
)
def test_with_changes(record, seen, status, history, updated_at):
    shown = with_changes(record, seen)
    assert shown.status == RequestStatus(status)
    assert list(shown.history) == history
    assert shown.updated_at == updated_at
