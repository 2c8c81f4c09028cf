"""Golden-record stewardship (role `data_steward`): the match review queue, confirm and reject a
pair, merge two customers, and undo a merge exactly."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from customer360.commands.stewardship import MatchDecided
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.systems import SourceSystem
from customer360.resolvers import stewardship as resolve
from customer360.resolvers.context import Context
from customer360.schema.customer import Customer, linked_record_key
from customer360.schema.node import Node, key_of, numeric_key, to_global_id
from customer360.schema.values import Address, PageInfo, UserError, user_errors
from customer360.store.identity import CandidateState

strawberry.enum(CandidateState, name="MatchCandidateState")


@strawberry.type(description="One record of a candidate pair, as its back office holds it.")
class CandidateRecord:
    system: SourceSystem
    record_id: str
    customer_id: strawberry.ID | None = strawberry.field(description="The customer it belongs to now.")
    name: str | None
    date_of_birth: date | None
    address: Address | None
    email: str | None
    phone: str | None
    updated_on: date | None

    @classmethod
    def from_side(cls, side: resolve.ReviewSide) -> CandidateRecord:
        record = side.record
        return cls(
            system=side.key[0],
            record_id=side.key[1],
            customer_id=to_global_id("Customer", side.customer_id) if side.customer_id else None,
            name=" ".join(p for p in (record.title, record.forenames, record.surname) if p) if record else None,
            date_of_birth=record.date_of_birth if record else None,
            address=Address.from_record(record.address) if record and record.address else None,
            email=record.email if record else None,
            phone=record.phone if record else None,
            updated_on=record.updated_on if record else None,
        )


@strawberry.type(description="How one comparison came out, and its weight (bits; positive is for a match).")
class MatchEvidence:
    comparison: str
    level: str
    weight: float


@strawberry.type(description="Two records the matcher could not decide on alone, for a data steward.")
class MatchCandidate(Node):
    probability: float
    match_weight: float
    state: CandidateState
    left: CandidateRecord
    right: CandidateRecord
    evidence: list[MatchEvidence]
    proposed_at: datetime

    @classmethod
    def from_item(cls, item: resolve.ReviewItem) -> MatchCandidate:
        candidate = item.candidate
        return cls(
            id=to_global_id("MatchCandidate", str(candidate.id)),
            probability=round(candidate.probability, 6),
            match_weight=round(candidate.match_weight, 3),
            state=candidate.state,
            left=CandidateRecord.from_side(item.left),
            right=CandidateRecord.from_side(item.right),
            evidence=[
                MatchEvidence(comparison=name, level=level, weight=weight)
                for name, (level, weight) in sorted(candidate.evidence.items(), key=lambda kv: -abs(kv[1][1]))
            ],
            proposed_at=candidate.created_at,
        )


@strawberry.type
class MatchCandidateEdge:
    cursor: str
    node: MatchCandidate


@strawberry.type
class MatchCandidateConnection:
    edges: list[MatchCandidateEdge]
    page_info: PageInfo
    total_count: int


async def match_review_queue(
    info: Info[Context, Any], first: int | None = 20, after: str | None = None
) -> MatchCandidateConnection:
    page = await resolve.review_queue(info, first, after)
    edges = [MatchCandidateEdge(cursor=item.cursor, node=MatchCandidate.from_item(item)) for item in page.items]
    end = page.items[-1].cursor if page.items else None
    return MatchCandidateConnection(
        edges=edges, page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=end), total_count=page.total_count
    )


@strawberry.input
class ConfirmMatchInput:
    candidate_id: strawberry.ID


@strawberry.input
class RejectMatchInput:
    candidate_id: strawberry.ID


@strawberry.input
class MergeCustomersInput:
    survivor_id: strawberry.ID = strawberry.field(description="The customer that remains.")
    merged_id: strawberry.ID = strawberry.field(description="The customer whose records move to the survivor.")


@strawberry.input
class UnmergeCustomerInput:
    customer_id: strawberry.ID
    linked_record_ids: list[strawberry.ID] = strawberry.field(
        description="`LinkedRecord.id`s to split off: back to the customer they were merged from, or a new one."
    )


@strawberry.type
class ConfirmMatchPayload:
    candidate: MatchCandidate | None
    customer: Customer | None = strawberry.field(description="The one customer both records now belong to.")
    user_errors: list[UserError]


@strawberry.type
class RejectMatchPayload:
    candidate: MatchCandidate | None
    user_errors: list[UserError]


@strawberry.type
class MergeCustomersPayload:
    customer: Customer | None
    user_errors: list[UserError]


@strawberry.type
class UnmergeCustomerPayload:
    customers: list[Customer] = strawberry.field(description="The customer split, then the one split off.")
    restored: bool = strawberry.field(description="True when an earlier merge was undone (the old customer is back).")
    user_errors: list[UserError]


async def confirm_match(info: Info[Context, Any], input: ConfirmMatchInput) -> ConfirmMatchPayload:
    resolve.purpose_first(info)
    candidate_id = _candidate_id(input.candidate_id)
    if candidate_id is None:
        return ConfirmMatchPayload(candidate=None, customer=None, user_errors=user_errors([_no_candidate()]))
    outcome = await info.context.services.stewardship.confirm_match(info.context.principal, candidate_id)
    if isinstance(outcome, list):
        return ConfirmMatchPayload(candidate=None, customer=None, user_errors=user_errors(outcome))
    candidate = await _shown(info, outcome)
    customer = Customer.from_record(outcome.customer) if outcome.customer else None
    return ConfirmMatchPayload(candidate=candidate, customer=customer, user_errors=[])


async def reject_match(info: Info[Context, Any], input: RejectMatchInput) -> RejectMatchPayload:
    resolve.purpose_first(info)
    candidate_id = _candidate_id(input.candidate_id)
    if candidate_id is None:
        return RejectMatchPayload(candidate=None, user_errors=user_errors([_no_candidate()]))
    outcome = await info.context.services.stewardship.reject_match(info.context.principal, candidate_id)
    if isinstance(outcome, list):
        return RejectMatchPayload(candidate=None, user_errors=user_errors(outcome))
    return RejectMatchPayload(candidate=await _shown(info, outcome), user_errors=[])


async def merge_customers(info: Info[Context, Any], input: MergeCustomersInput) -> MergeCustomersPayload:
    resolve.purpose_first(info)
    survivor, merged = key_of("Customer", input.survivor_id), key_of("Customer", input.merged_id)
    problems = [_no_customer(field) for field, value in (("survivorId", survivor), ("mergedId", merged)) if not value]
    if survivor is None or merged is None:
        return MergeCustomersPayload(customer=None, user_errors=user_errors(problems))
    outcome = await info.context.services.stewardship.merge_customers(info.context.principal, survivor, merged)
    if isinstance(outcome, list):
        return MergeCustomersPayload(customer=None, user_errors=user_errors(outcome))
    return MergeCustomersPayload(customer=Customer.from_record(outcome), user_errors=[])


async def unmerge_customer(info: Info[Context, Any], input: UnmergeCustomerInput) -> UnmergeCustomerPayload:
    resolve.purpose_first(info)
    customer_id = key_of("Customer", input.customer_id)
    keys = [linked_record_key(value) for value in input.linked_record_ids]
    problems = [] if customer_id else [_no_customer("customerId")]
    problems += [
        Problem(("input", "linkedRecordIds", str(i)), CommonCode.INVALID, "Not a LinkedRecord id")
        for i, key in enumerate(keys)
        if key is None
    ]
    if problems or customer_id is None:
        return UnmergeCustomerPayload(customers=[], restored=False, user_errors=user_errors(problems))
    wanted = [key for key in keys if key is not None]
    outcome = await info.context.services.stewardship.unmerge_customer(info.context.principal, customer_id, wanted)
    if isinstance(outcome, list):
        return UnmergeCustomerPayload(customers=[], restored=False, user_errors=user_errors(outcome))
    return UnmergeCustomerPayload(
        customers=[Customer.from_record(outcome.remaining), Customer.from_record(outcome.split_off)],
        restored=outcome.restored,
        user_errors=[],
    )


async def _shown(info: Info[Context, Any], decided: MatchDecided) -> MatchCandidate:
    (item,) = await resolve.describe(info, [decided.candidate])
    return MatchCandidate.from_item(item)


def _candidate_id(value: str) -> int | None:
    return numeric_key("MatchCandidate", value)


def _no_candidate() -> Problem:
    return Problem(("input", "candidateId"), CommonCode.NOT_FOUND, "There is no such match candidate")


def _no_customer(field: str) -> Problem:
    return Problem(("input", field), CommonCode.NOT_FOUND, "Not a Customer id")
