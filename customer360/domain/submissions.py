"""What residents submitted through customer360, and how far each delivery to a back office got."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from customer360.domain.requests import DeliveryState
from customer360.domain.systems import SourceSystem

# No 0/O or 1/I/L: residents read these references out over the phone.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class SubmissionKind(StrEnum):
    """What a submission is, as the outbox keeps it: each portal service (`commands/`) keeps its own
    kinds, and readers (My Requests, casework) pick theirs out by these names, never by strings."""

    COMPLAINT = "complaint"
    COMPLAINT_ESCALATION = "complaint_escalation"
    STREET_REPORT = "street_report"
    CASE = "case"
    SPD_APPLICATION = "spd_application"
    SPD_REMOVAL = "spd_removal"
    MOVE = "move"
    HOUSING_APPLICATION = "housing_application"
    SAFEGUARDING = "safeguarding"
    COMPLAINT_RESPONSE = "complaint_response"  # staff: the council's answer at the complaint's stage
    CASE_PROGRESS = "case_progress"  # staff: a case moved on, with the officer's note
    REPAIR = "repair"
    DIRECT_DEBIT = "direct_debit"  # a Direct Debit instruction set up on an account
    DIRECT_DEBIT_CANCELLATION = "direct_debit_cancellation"


def as_source_system(destination: str) -> SourceSystem | None:
    return SourceSystem(destination) if destination in SourceSystem.__members__ else None


def new_reference(prefix: str = "C360") -> str:
    """A customer360 reference such as `C360-7K3M9Q2P`, given to the resident at once."""
    return f"{prefix}-{''.join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))}"


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    destination: str  # a SourceSystem's value, or another destination (the safeguarding agencies)
    operation: str
    state: DeliveryState
    attempts: int
    backoffice_reference: str | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Submission:
    reference: str
    customer_id: str | None
    kind: str
    service_code: str | None
    payload: dict[str, Any]
    created_at: datetime
    deliveries: tuple[DeliveryRecord, ...] = field(default=())
    acted_by: str | None = None  # who made it for the resident (an officer, a carer); None: themselves
    acted_team: str | None = None
    channel: str | None = None  # how it came in (an analytics channel value); None: the resident online

    @property
    def first_system(self) -> SourceSystem | None:
        """The back office its first delivery goes to, if that is one of the six."""
        return as_source_system(self.deliveries[0].destination) if self.deliveries else None

    @property
    def delivery_state(self) -> DeliveryState:
        """Delivered when every back office has it; failed if any refused it for good; held or cancelled
        when every delivery waits for, or was closed without, the request's fee."""
        states = {d.state for d in self.deliveries}
        if DeliveryState.FAILED in states:
            return DeliveryState.FAILED
        if len(states) == 1 and states <= {DeliveryState.DELIVERED, DeliveryState.HELD, DeliveryState.CANCELLED}:
            return next(iter(states))  # all delivered, all waiting for a fee, or all closed unpaid
        return DeliveryState.PENDING


# Delivery states a "not done already" check counts: kept and on its way, or (for a notice that
# leaves nothing to look up afterwards) on its way or delivered. Refused ones never count.
NOT_YET_DELIVERED = frozenset({DeliveryState.PENDING})
NOT_REFUSED = frozenset({DeliveryState.PENDING, DeliveryState.DELIVERED})


def kept_of_kind(
    submissions: Sequence[Submission],
    kind: SubmissionKind,
    matching: Callable[[Submission], bool] = lambda _: True,
    *,
    states: frozenset[DeliveryState] = NOT_YET_DELIVERED,
) -> list[Submission]:
    """The submissions of this kind, in one of `states`, that `matching` accepts. By default those
    kept but not yet delivered (nor refused): the back office cannot show them yet, so a "not done
    already" check must see them here."""
    return [s for s in submissions if s.kind == kind and s.delivery_state in states and matching(s)]
