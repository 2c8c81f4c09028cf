"""Joining what a back office holds with what residents submitted through customer360.

Anything submitted here is shown by the reference the resident was given, with how far each of its
deliveries got; until the back office has it (or while that back office is down), it is shown
from our own record of the submission, so nothing a resident sent ever disappears from view.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from customer360.domain.submissions import DeliveryRecord, Submission

R = TypeVar("R")


@dataclass(frozen=True)
class Tracked(Generic[R]):
    record: R
    reference: str  # what the resident was given: ours if it came through us, else the back office's
    submission: Submission | None = None  # None: made in the back office directly, not through customer360

    @property
    def delivery(self) -> DeliveryRecord | None:
        """The first back office's delivery (a request made through us may go to several)."""
        return self.submission.deliveries[0] if self.submission and self.submission.deliveries else None

    @property
    def deliveries(self) -> tuple[DeliveryRecord, ...]:
        return self.submission.deliveries if self.submission else ()


def track(
    in_back_office: Sequence[R],
    submitted: Sequence[Submission],
    *,
    reference: Callable[[R], str],
    external_reference: Callable[[R], str | None],
    not_yet_delivered: Callable[[Submission], R],
) -> list[Tracked[R]]:
    by_reference = {s.reference: s for s in submitted}
    tracked = []
    for record in in_back_office:
        ours = external_reference(record)
        submission = by_reference.pop(ours, None) if ours else None
        tracked.append(Tracked(record, ours or reference(record), submission))
    tracked.extend(Tracked(not_yet_delivered(s), s.reference, s) for s in by_reference.values())
    return tracked
