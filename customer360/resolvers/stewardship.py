"""Reading the match review queue: each pair with both records as their offices hold them and the
customers they belong to now. Data stewards only; each read of a person is audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry.types import Info

from customer360.auth.policy import can_steward
from customer360.auth.purpose import require_purpose
from customer360.domain.customers import RecordKey
from customer360.domain.people import PersonRecord
from customer360.resolvers.context import Context
from customer360.resolvers.customers import NotAllowed, audit_staff_reads
from customer360.resolvers.pagination import checked_first, decode_id_cursor, encode_cursor
from customer360.store.identity import MatchCandidate


@dataclass(frozen=True)
class ReviewSide:
    key: RecordKey
    record: PersonRecord | None  # None: a record the hub has not seen (it keeps its ids only)
    customer_id: str | None  # None: no longer linked to anyone


@dataclass(frozen=True)
class ReviewItem:
    candidate: MatchCandidate
    left: ReviewSide
    right: ReviewSide
    cursor: str


@dataclass(frozen=True)
class ReviewPage:
    items: list[ReviewItem]
    has_next_page: bool
    total_count: int


async def review_queue(info: Info[Context, Any], first: int | None, after: str | None) -> ReviewPage:
    if not can_steward(info.context.principal):
        raise NotAllowed("matchReviewQueue is for data stewards")
    size = checked_first(first)
    after_id = decode_id_cursor(after) if after else None
    stewardship = info.context.services.stewardship
    candidates, has_next = await stewardship.review.open_page(size, after_id)
    items = await describe(info, candidates)
    return ReviewPage(items, has_next, await stewardship.review.open_count())


async def describe(info: Info[Context, Any], candidates: list[MatchCandidate]) -> list[ReviewItem]:
    """Both sides of each pair, fetched for the whole page at once; the reads are audited."""
    stewardship = info.context.services.stewardship
    keys = [key for c in candidates for key in (c.left, c.right)]
    records = await stewardship.people.by_key(keys)
    owners = await stewardship.customers.owners_of(keys)
    await audit_staff_reads(info, sorted(set(owners.values())), "identity.review")

    def side(key: RecordKey) -> ReviewSide:
        return ReviewSide(key, records.get(key), owners.get(key))

    return [ReviewItem(c, side(c.left), side(c.right), encode_cursor([c.id])) for c in candidates]


def purpose_first(info: Info[Context, Any]) -> None:
    """A steward's change shows people's records, and is recorded with its purpose: refused before
    anything changes when the purpose is missing, never after."""
    if can_steward(info.context.principal):
        require_purpose(info.context.request)
