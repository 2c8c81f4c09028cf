"""A data steward's tools: work through the match review queue, confirm or reject a pair, merge two
customers and undo a merge exactly. Each action is audited with the ids it touched (never a name).

After every change the golden record of each customer involved is rebuilt by survivorship from the
records it now holds, so `me` and staff views follow at once.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from customer360.auth.policy import TEAMS, can_steward
from customer360.auth.principal import Principal, Role
from customer360.cache.base import ReadThrough, Stale
from customer360.domain.customers import GoldenRecord, RecordKey
from customer360.domain.problems import BUSY, CommonCode, Problem
from customer360.domain.stewardship import (
    StewardCode,
    merge_problems,
    restored_customer,
    survivor_of,
    unmerge_problems,
)
from customer360.domain.systems import SourceSystem
from customer360.identity.survivorship import golden_record
from customer360.sources.catalogue import SOURCE_PRIORITY
from customer360.store.audit import AuditLog
from customer360.store.customers import CustomersChanged, CustomerStore
from customer360.store.identity import CandidateState, MatchCandidate, MatchReviewStore, PersonRecordStore
from customer360.store.locks import LockBusy, Locks

STEWARDS_ONLY = Problem(None, CommonCode.FORBIDDEN, "Only data stewards can change who is who")
CHANGED_MEANWHILE = Problem(
    None, StewardCode.CHANGED_MEANWHILE, "Someone changed these customers at the same time: look again"
)
MERGE_RULE = "steward_merge"
UNMERGE_RULE = "steward_unmerge"


@dataclass(frozen=True)
class MatchDecided:
    candidate: MatchCandidate
    customer: GoldenRecord | None  # after a confirmation: the one customer both records now belong to


@dataclass(frozen=True)
class Split:
    remaining: GoldenRecord
    split_off: GoldenRecord
    restored: bool  # an earlier merge undone (the split-off customer has its old id back)


@dataclass
class Stewardship:
    customers: CustomerStore
    people: PersonRecordStore
    review: MatchReviewStore
    audit: AuditLog
    locks: Locks  # a change holds each customer it touches: stewards acting at once go one after the other
    priority: Sequence[SourceSystem] = SOURCE_PRIORITY  # survivorship's tie-break, most trusted first
    cache: ReadThrough | None = None  # to forget the residents' kept answers after a change

    async def confirm_match(self, principal: Principal, candidate_id: int) -> MatchDecided | list[Problem]:
        """The two records are one person: their customers become one (the larger survives)."""
        if not can_steward(principal):
            return [STEWARDS_ONLY]
        candidate = await self._open_candidate(candidate_id)
        if isinstance(candidate, list):
            return candidate
        owners = await self.customers.owners_of([candidate.left, candidate.right])
        left, right = owners.get(candidate.left), owners.get(candidate.right)
        if left is None or right is None:
            return [Problem(("input", "candidateId"), StewardCode.NOT_LINKED, "One of the records is no longer linked")]
        # Decided first: of two stewards confirming at once, only one goes on to merge.
        if not await self.review.decide(candidate.id, CandidateState.CONFIRMED, by=_actor(principal)):
            return [_already_decided()]
        customer: GoldenRecord | None
        try:
            async with self._holding(left, right):
                customer = await self._confirmed(principal, candidate.id, left, right)
        except CustomersChanged:
            await self.review.reopen(candidate.id)  # not merged: the pair waits for a steward again
            return [CHANGED_MEANWHILE]
        except LockBusy:
            await self.review.reopen(candidate.id)
            return [BUSY]
        except BaseException:
            await self.review.reopen(candidate.id)
            raise
        await self._audit(principal, "identity.match_confirmed", left, {"candidate": candidate.id})
        decided = await self.review.get(candidate.id)
        assert decided is not None
        return MatchDecided(decided, customer)

    async def _confirmed(self, principal: Principal, candidate_id: int, left: str, right: str) -> GoldenRecord | None:
        if left != right:
            linked = await self.customers.links_by_customer([left, right])
            held = {cid: len(linked.get(cid, [])) for cid in (left, right)}
            survivor_id, merged_id = survivor_of((left, held[left]), (right, held[right]))
            return await self._merge(principal, survivor_id, merged_id, candidate_id=candidate_id)
        return (await self.customers.customers_by_id([left])).get(left)

    async def reject_match(self, principal: Principal, candidate_id: int) -> MatchDecided | list[Problem]:
        """Two different people: remembered, so the pair is never proposed again."""
        if not can_steward(principal):
            return [STEWARDS_ONLY]
        candidate = await self._open_candidate(candidate_id)
        if isinstance(candidate, list):
            return candidate
        if not await self.review.decide(candidate.id, CandidateState.REJECTED, by=_actor(principal)):
            return [_already_decided()]
        await self._audit(principal, "identity.match_rejected", None, {"candidate": candidate.id})
        decided = await self.review.get(candidate.id)
        assert decided is not None
        return MatchDecided(decided, None)

    async def merge_customers(
        self, principal: Principal, survivor_id: str, merged_id: str
    ) -> GoldenRecord | list[Problem]:
        if not can_steward(principal):
            return [STEWARDS_ONLY]
        problems = merge_problems(survivor_id, merged_id)
        if problems:
            return problems
        try:
            async with self._holding(survivor_id, merged_id):
                live = await self.customers.customers_by_id([survivor_id, merged_id])
                for field, customer_id in (("survivorId", survivor_id), ("mergedId", merged_id)):
                    if customer_id not in live:
                        return [_missing_customer(field, customer_id, await self.customers.merged_into(customer_id))]
                return await self._merge(principal, survivor_id, merged_id, candidate_id=None)
        except CustomersChanged:
            return [CHANGED_MEANWHILE]
        except LockBusy:
            return [BUSY]

    async def unmerge_customer(
        self, principal: Principal, customer_id: str, records: Sequence[RecordKey]
    ) -> Split | list[Problem]:
        """Split `records` off `customer_id`: back to the customer they were merged from, if they all
        came from one, or else into a new customer."""
        if not can_steward(principal):
            return [STEWARDS_ONLY]
        try:
            async with self._holding(customer_id):
                return await self._unmerge(principal, customer_id, records)
        except LockBusy:
            return [BUSY]

    async def _unmerge(
        self, principal: Principal, customer_id: str, records: Sequence[RecordKey]
    ) -> Split | list[Problem]:
        current = (await self.customers.customers_by_id([customer_id])).get(customer_id)
        if current is None:
            return [_missing_customer("customerId", customer_id, await self.customers.merged_into(customer_id))]
        linked = await self.customers.active_records(customer_id)
        wanted = list(dict.fromkeys(records))
        problems = unmerge_problems(linked, wanted)
        if problems:
            return problems
        restore = restored_customer(
            wanted, await self.customers.previous_owners(wanted), await self.customers.merged_here(customer_id)
        )
        split_off_id = restore or str(uuid.uuid4())
        remaining = await self._golden(customer_id, [key for key in linked if key not in wanted], current)
        # A restored customer falls back on its own stored record, not a blank, for records the hub never saw.
        split_off = await self._golden(split_off_id, wanted, await self.customers.stored(restore) if restore else None)
        by = _actor(principal)
        try:
            await self.customers.split(remaining, split_off, wanted, by=by, rule=UNMERGE_RULE)
        except CustomersChanged:
            return [CHANGED_MEANWHILE]
        await self._changed(customer_id, split_off_id)
        detail = {"split_off": split_off_id, "records": len(wanted), "restored": restore is not None}
        await self._audit(principal, "identity.unmerge", customer_id, detail)
        await self._audit(principal, "identity.unmerge", split_off_id, {"from": customer_id, "records": len(wanted)})
        return Split(remaining, split_off, restored=restore is not None)

    async def _merge(
        self, principal: Principal, survivor_id: str, merged_id: str, *, candidate_id: int | None
    ) -> GoldenRecord:
        linked = await self.customers.links_by_customer([survivor_id, merged_id])
        keys = [(link.system, link.record_id) for cid in (survivor_id, merged_id) for link in linked.get(cid, [])]
        current = (await self.customers.customers_by_id([survivor_id])).get(survivor_id)
        survivor = await self._golden(survivor_id, keys, current)
        moved = await self.customers.merge(survivor, merged_id, by=_actor(principal), rule=MERGE_RULE)
        await self._changed(survivor_id, merged_id)
        detail = {"merged": merged_id, "records": len(moved), "candidate": candidate_id}
        await self._audit(principal, "identity.merge", survivor_id, detail)
        await self._audit(principal, "identity.merged_away", merged_id, {"into": survivor_id})
        return survivor

    @contextlib.asynccontextmanager
    async def _holding(self, *customer_ids: str) -> AsyncIterator[None]:
        """Each customer's lock, taken in id order so two stewards never wait on each other in a circle.
        The store's own re-check (`CustomersChanged`) stays: the locks make it rare, not unneeded."""
        async with contextlib.AsyncExitStack() as held:
            for customer_id in sorted(set(customer_ids)):
                await held.enter_async_context(self.locks.hold(f"customer:{customer_id}"))
            yield

    async def _changed(self, *customer_ids: str) -> None:
        if self.cache is not None:
            await self.cache.forget(Stale(customers=customer_ids, sign_ins=True))

    async def _golden(self, customer_id: str, keys: Sequence[RecordKey], fallback: GoldenRecord | None) -> GoldenRecord:
        """Survivorship over the records the customer will hold. Records customer360 created itself
        (never seen by a linking run) are not in the store; the current values stand in for them."""
        found = await self.people.by_key(list(keys))
        records = [found[key] for key in keys if key in found]
        if records:
            return golden_record(customer_id, records, self.priority)
        if fallback is not None:
            return fallback
        return GoldenRecord(customer_id=customer_id, forenames="", surname="(unknown)")

    async def _open_candidate(self, candidate_id: int) -> MatchCandidate | list[Problem]:
        candidate = await self.review.get(candidate_id)
        if candidate is None:
            return [Problem(("input", "candidateId"), CommonCode.NOT_FOUND, "There is no such match candidate")]
        if candidate.state is not CandidateState.OPEN:
            return [_already_decided(candidate.state)]
        return candidate

    async def _audit(
        self, principal: Principal, action: str, customer_id: str | None, detail: dict[str, object]
    ) -> None:
        role = Role.DATA_STEWARD if Role.DATA_STEWARD in principal.roles else Role.ADMIN
        await self.audit.append(
            actor=_actor(principal),
            role=role.value,
            team=TEAMS[role],
            action=action,
            customer_id=customer_id,
            purpose="golden record stewardship",
            detail=detail,
        )


def _actor(principal: Principal) -> str:
    return principal.subject or principal.name or "staff"


def _already_decided(state: CandidateState | None = None) -> Problem:
    told = f" ({state.value.lower()})" if state else ""
    return Problem(("input", "candidateId"), StewardCode.ALREADY_DECIDED, f"This pair has been decided already{told}")


def _missing_customer(field: str, customer_id: str, merged_into: str | None) -> Problem:
    if merged_into:
        return Problem(("input", field), StewardCode.ALREADY_MERGED, "That customer was merged into another")
    return Problem(("input", field), CommonCode.NOT_FOUND, "There is no such customer")
