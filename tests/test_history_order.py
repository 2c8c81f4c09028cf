"""`timed_by_delivery`: a back-office step stamped with its day only is shown when the office got the
request (our delivery to it) on that day, so it follows "Received by the council", never precedes it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from customer360.domain.before_delivery import our_events, timed_by_delivery
from customer360.domain.requests import DeliveryState, RequestEvent, RequestStatus
from customer360.domain.submissions import DeliveryRecord, Submission
from customer360.domain.systems import SourceSystem

HOUSING = SourceSystem.HOUSING
RECEIVED_AT = datetime(2026, 12, 6, 13, 50, 17, tzinfo=UTC)
PASSED_AT = datetime(2026, 12, 6, 13, 50, 19, tzinfo=UTC)
MIDNIGHT = datetime(2026, 12, 6, tzinfo=UTC)
DAY_BEFORE = datetime(2026, 12, 5, tzinfo=UTC)


def submission(state: DeliveryState = DeliveryState.DELIVERED, to: str = "HOUSING") -> Submission:
    delivered = PASSED_AT if state is DeliveryState.DELIVERED else None
    delivery = DeliveryRecord(to, "submit", state, 1, "HR-202600001", None, delivered)
    return Submission("C360-AB12CD34", "c1", "housing_application", None, {}, RECEIVED_AT, (delivery,))


def received(at: datetime, system: SourceSystem | None = HOUSING) -> RequestEvent:
    return RequestEvent(at, "Application received", RequestStatus.SUBMITTED, system)


@pytest.mark.parametrize(
    ("event", "made", "at"),
    [
        # The register's date-only receipt, on the day we passed it on: the moment it got it.
        (received(MIDNIGHT), submission(), PASSED_AT),
        # A timed step of the office is as it stamped it.
        (received(datetime(2026, 12, 6, 15, 0, tzinfo=UTC)), submission(), datetime(2026, 12, 6, 15, 0, tzinfo=UTC)),
        # Another day (the office's date says so): kept.
        (received(DAY_BEFORE), submission(), DAY_BEFORE),
        # Not delivered yet, or delivered to another office: nothing to time it by.
        (received(MIDNIGHT), submission(DeliveryState.PENDING), MIDNIGHT),
        (received(MIDNIGHT), submission(to="REVENUES"), MIDNIGHT),
        # Our own events (no back office) are never moved.
        (received(MIDNIGHT, None), submission(), MIDNIGHT),
    ],
)
def test_a_date_only_step_is_timed_by_the_delivery_of_its_day(event, made, at):
    assert timed_by_delivery(event, made).at == at


def test_the_office_receipt_follows_the_councils_in_the_history():
    made = submission()
    history = sorted((*our_events(made), timed_by_delivery(received(MIDNIGHT), made)), key=lambda event: event.at)
    assert [event.description for event in history] == [
        "Received by the council",
        "Passed to Housing",
        "Application received",
    ]
