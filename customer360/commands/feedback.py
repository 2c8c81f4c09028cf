"""rateService: a resident's rating of a finished request, once per request; staff record one from a call."""

from __future__ import annotations

from datetime import UTC, datetime

from customer360.domain.analytics import Channel
from customer360.domain.feedback import ALREADY_RATED, rating_problems
from customer360.domain.problems import Problem
from customer360.domain.requests import ServiceRequestRecord
from customer360.store.feedback import FeedbackStore, NewRating


async def rate_service(
    store: FeedbackStore,
    customer_id: str,
    reference: str,
    found: ServiceRequestRecord | None,
    rating: int,
    comment: str | None,
    *,
    by_staff: bool,
) -> int | list[Problem]:
    """The rating kept; `found`: the request among the customer's own (None: not theirs, or no such one)."""
    problems = rating_problems(rating, comment, found.status if found else None)
    if problems or found is None:
        return problems
    kept = await store.record(
        NewRating(
            reference=reference,
            customer_id=customer_id,
            service_code=found.service_code,
            channel=(Channel.PHONE if by_staff else Channel.WEB).value,
            rating=rating,
            comment=(comment or "").strip() or None,
            recorded_by="staff" if by_staff else "resident",
            rated_at=datetime.now(UTC),
        )
    )
    return rating if kept else [ALREADY_RATED]
