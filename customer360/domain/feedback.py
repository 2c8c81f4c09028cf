"""Residents say how it went: one rating (1 to 5) per request once it is finished, and satisfaction
figures by service and channel with the analytics' small-number suppression."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from customer360.domain.analytics import SMALLEST_GROUP
from customer360.domain.problems import Problem
from customer360.domain.requests import RequestStatus

MAX_COMMENT = 1000
# A request can be rated once its back office has finished with it, whichever way.
FINISHED = frozenset({RequestStatus.RESOLVED, RequestStatus.CLOSED, RequestStatus.REJECTED})
SATISFIED_FROM = 4  # "satisfied" is a 4 or a 5, as the GOV.UK satisfaction survey counts it


class FeedbackCode(StrEnum):
    INVALID_RATING = "INVALID_RATING"
    COMMENT_TOO_LONG = "COMMENT_TOO_LONG"
    NOT_FOUND = "NOT_FOUND"  # not one of this resident's requests (or no such request)
    NOT_FINISHED = "NOT_FINISHED"
    ALREADY_RATED = "ALREADY_RATED"


class SatisfactionDimension(StrEnum):
    SERVICE = "SERVICE"
    CHANNEL = "CHANNEL"


ALREADY_RATED = Problem(("input", "reference"), FeedbackCode.ALREADY_RATED, "This request has already been rated")
NOT_FOUND = Problem(
    ("input", "reference"), FeedbackCode.NOT_FOUND, "We cannot find a request of yours with this reference"
)


def rating_problems(rating: int, comment: str | None, status: RequestStatus | None) -> list[Problem]:
    """`status`: the request's status now (None: it is not the resident's)."""
    problems = []
    if status is None:
        return [NOT_FOUND]
    if not 1 <= rating <= 5:
        problems.append(Problem(("input", "rating"), FeedbackCode.INVALID_RATING, "Choose a rating from 1 to 5"))
    if comment is not None and len(comment) > MAX_COMMENT:
        problems.append(
            Problem(
                ("input", "comment"),
                FeedbackCode.COMMENT_TOO_LONG,
                f"Comments must be {MAX_COMMENT} characters or fewer",
            )
        )
    if status not in FINISHED:
        problems.append(
            Problem(("input", "reference"), FeedbackCode.NOT_FINISHED, "You can rate a request once it is finished")
        )
    return problems


@dataclass(frozen=True, slots=True)
class RatingTally:
    service: str | None
    channel: str | None
    raters: int  # distinct residents
    ratings: int
    total: int  # the sum of the ratings
    satisfied: int  # ratings of 4 or 5


@dataclass(frozen=True, slots=True)
class SatisfactionFigures:
    service: str | None
    channel: str | None
    suppressed: bool
    ratings: int | None = None
    average_rating: float | None = None
    satisfied_share: float | None = None


def satisfaction(tallies: Sequence[RatingTally]) -> list[SatisfactionFigures]:
    """Each group's figures; a group of fewer than `SMALLEST_GROUP` residents is suppressed, and when
    only one group is, the next smallest is too (secondary suppression), so the one cannot be worked out
    from a total that another grouping gives."""
    figures = [
        SatisfactionFigures(
            t.service,
            t.channel,
            suppressed=False,
            ratings=t.ratings,
            average_rating=round(t.total / t.ratings, 2),
            satisfied_share=round(t.satisfied / t.ratings, 3),
        )
        if t.raters >= SMALLEST_GROUP and t.ratings
        else SatisfactionFigures(t.service, t.channel, suppressed=True)
        for t in tallies
    ]
    hidden = [i for i, f in enumerate(figures) if f.suppressed]
    if len(hidden) == 1 and len(figures) > 1:
        shown = [i for i, f in enumerate(figures) if not f.suppressed]
        smallest = min(shown, key=lambda i: tallies[i].ratings)
        figures[smallest] = SatisfactionFigures(figures[smallest].service, figures[smallest].channel, suppressed=True)
    return figures
