"""Incremental matching: records that appeared or changed in a back office (a complaint from a new
contact, a council tax account opened after a move), as each office's change feed brings them
(`notifications/changes.py`), are matched on arrival against the golden records, without a full re-run.

For each arriving record, the stored records sharing a key with it (date of birth, email, phone or
postcode) are loaded, and those a full run's blocking pairs with it are scored with the saved model
(`incremental.arrival_pairs`, the code that matches a day's arrivals in the batch and the bench). At or
above `AUTO_LINK` it joins that record's customer, unless that customer holds a relative of the arrival
(the relative guards weigh against the pair: a twin, a father), as in a full linking run; otherwise it
starts a customer of its own, and a pair rated at least `REVIEW` goes to the stewards' queue. Arrivals
are taken in order, so a second new record of a new person finds the first. With many workers, one
arrival at a time is matched (a lock shared through the store, `store/locks.py`).

An arrival can also show that two customers are one person: it links to one and agrees as strongly with
another's records. As in a full run's clustering, the two are merged when that is well supported (a pair
at `BRIDGE_PROBABILITY`, or two pairs at `AUTO_LINK`, and no relatives between the arrival and that
customer); any weaker pair of `REVIEW` or more with another customer's record goes to the stewards' queue
with its evidence.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

from customer360.cache.base import ReadThrough, Stale
from customer360.domain.people import PersonRecord
from customer360.domain.systems import SourceSystem
from customer360.identity.clustering import BRIDGE_PROBABILITY, LINKS_TO_BRIDGE
from customer360.identity.features import MatchRecord
from customer360.identity.incremental import arrival_pairs
from customer360.identity.linking import MODEL_RULE, IdentityHub
from customer360.identity.matcher import AUTO_LINK, REVIEW, ScoredPair, train
from customer360.identity.model import MatchModel
from customer360.identity.survivorship import golden_record
from customer360.sources.catalogue import SOURCE_PRIORITY
from customer360.sources.errors import SourceUnavailable
from customer360.sources.ports import PeopleSource
from customer360.store.customers import CustomersChanged, NewLink
from customer360.store.identity import ProposedPair
from customer360.store.locks import Locks

NEW_RULE = "arrival"
ARRIVALS_LOCK = "golden-record-arrivals"  # one arrival matched at a time, across every worker
STEWARD_RULE_PREFIX = "steward_"  # the rule of links a data steward's merge or unmerge made
ARRIVAL_NAMESPACE = uuid.UUID("2a4b3f3c-1f0e-4c55-8d8e-6c1b7a0f5e21")

log = logging.getLogger("customer360.identity.arrivals")


@dataclass(frozen=True)
class ArrivalSummary:
    arrived: int
    linked: int  # joined an existing customer
    new_customers: int
    queued: int  # pairs sent to review
    merged: int = 0  # customers an arrival showed to be one person with the one it joined
    changed: int = 0  # records already matched whose details changed (their golden records rebuilt)

    def __add__(self, other: ArrivalSummary) -> ArrivalSummary:
        return ArrivalSummary(*(mine + theirs for mine, theirs in zip(astuple(self), astuple(other), strict=True)))


async def match_arrivals(
    sources: Mapping[SourceSystem, PeopleSource],
    hub: IdentityHub,
    model_path: Path,
    *,
    by: str,
    priority: Sequence[SourceSystem] = SOURCE_PRIORITY,
    cache: ReadThrough | None = None,
    locks: Locks | None = None,
) -> ArrivalSummary:
    """The full reconciliation (`customer360 arrivals`): list every person in every back office and match
    what is new or changed. Slow, and not on `serve`'s loop: the change feeds bring arrivals one by one; this
    is how a council recovers what a feed could not say (a feed that was down past its history, a back
    office restored from a backup). A back office that is down is skipped (its records wait for next time)."""
    records: list[PersonRecord] = []
    for system, source in sources.items():
        try:
            records.extend(await source.person_records())
        except SourceUnavailable:
            log.warning("arrivals: %s is unavailable; its new records wait for the next run", system.value)
    return await match_records(records, hub, model_path, by=by, priority=priority, cache=cache, locks=locks)


async def match_records(
    records: Sequence[PersonRecord],
    hub: IdentityHub,
    model_path: Path,
    *,
    by: str,
    priority: Sequence[SourceSystem] = SOURCE_PRIORITY,
    cache: ReadThrough | None = None,
    locks: Locks | None = None,
) -> ArrivalSummary:
    """Records a back office added or changed (a change feed's people, or the full reconciliation's list):
    one the hub has never seen is matched; one whose details changed replaces the hub's copy and rebuilds its
    customer's golden record; one read again unchanged is nothing to do, so a replayed feed changes nothing.

    With `locks`, each record is matched under one lock shared by every worker: two new records of one new
    person, arriving through two feeds on two workers, must not both start a customer."""
    arrivals, changed = await hub.people.unlike_kept(records)
    await _changed(changed, hub, by=by, priority=priority, cache=cache)
    if not arrivals:
        return ArrivalSummary(0, 0, 0, 0, changed=len(changed))
    model = await _model(model_path, hub)
    summary = ArrivalSummary(0, 0, 0, 0, changed=len(changed))
    for record in arrivals:
        if locks is None:
            summary = summary + await _arrive(record, model, hub, by=by, priority=priority, cache=cache)
            continue
        async with locks.hold(ARRIVALS_LOCK):
            summary = summary + await _arrive(record, model, hub, by=by, priority=priority, cache=cache)
    return summary


async def _changed(
    records: Sequence[PersonRecord],
    hub: IdentityHub,
    *,
    by: str,
    priority: Sequence[SourceSystem],
    cache: ReadThrough | None,
) -> None:
    """Keep the new details and rebuild each owner's golden record from its records as they are now."""
    if not records:
        return
    await hub.people.upsert_many(records)
    owners = await hub.customers.owners_of([(r.system, r.record_id) for r in records])
    for owner in sorted(set(owners.values())):
        keys = await hub.customers.active_records(owner)
        stored = await hub.people.by_key(keys)
        await hub.customers.save_golden(golden_record(owner, [stored[k] for k in keys if k in stored], priority))
    if cache is not None and owners:
        await cache.forget(Stale(customers=sorted(set(owners.values())), sign_ins=True))
    log.info("arrivals: %d changed records kept (by %s)", len(records), by)


async def _arrive(
    record: PersonRecord,
    model: MatchModel,
    hub: IdentityHub,
    *,
    by: str,
    priority: Sequence[SourceSystem],
    cache: ReadThrough | None,
) -> ArrivalSummary:
    """Match one record no run has seen: join the customer it matches, or start one of its own."""
    key = (record.system, record.record_id)
    await hub.people.upsert_many([record])
    if (await hub.customers.owners_of([key])).get(key):  # a record customer360 created itself, linked on delivery
        return ArrivalSummary(1, 0, 0, 0)
    neighbours = [r for r in await hub.people.sharing_a_key_with([record]) if (r.system, r.record_id) != key]
    scored = await _scored(model, record, neighbours)
    neighbour_owners = await hub.customers.owners_of([(r.system, r.record_id) for r in neighbours])
    best = scored[0] if scored else None
    owner = neighbour_owners.get((best[0].system, best[0].record_id)) if best else None
    # As in a full run, a customer holding a relative of the arrival (a twin, a father) never takes it in.
    relatives_there = any(
        pair.relatives and neighbour_owners.get((other.system, other.record_id)) == owner for other, pair in scored
    )
    if best and owner and best[1].match_probability >= AUTO_LINK and not relatives_there:
        keys = await hub.customers.active_records(owner) + [key]
        stored = await hub.people.by_key(keys)
        golden = golden_record(owner, [stored[k] for k in keys if k in stored], priority)
        confidence = round(best[1].match_probability, 6)
        link = NewLink(owner, record.system, record.record_id, confidence, MODEL_RULE)
        if not await hub.customers.attach(golden, link, by=by):
            return ArrivalSummary(1, 0, 0, 0)
        merged = 0
        if cache is not None:
            await cache.forget(Stale(customers=[owner], sign_ins=True))
        bridged, proposals = _bridged(owner, scored, neighbour_owners)
        for other in bridged:
            if await _merge(hub, owner, other, by=by, priority=priority):
                merged += 1
                if cache is not None:
                    await cache.forget(Stale(customers=[owner, other], sign_ins=True))
            else:  # a steward's decision, or changed meanwhile: the pairs go to the queue instead
                proposals += [(o, p) for o, p in scored if neighbour_owners.get((o.system, o.record_id)) == other]
        queued = await hub.review.propose(
            ProposedPair(key, (o.system, o.record_id), p.match_probability, p.match_weight, p.evidence)
            for o, p in proposals
        )
        return ArrivalSummary(1, 1, 0, queued, merged)
    customer_id = str(uuid.uuid5(ARRIVAL_NAMESPACE, f"{record.system.value}:{record.record_id}"))
    link = NewLink(customer_id, record.system, record.record_id, 1.0, NEW_RULE)
    if not await hub.customers.attach(golden_record(customer_id, [record], priority), link, by=by):
        return ArrivalSummary(1, 0, 0, 0)  # linked meanwhile (a delivery of ours): nothing to do
    if cache is not None:
        await cache.forget(Stale(customers=[customer_id], sign_ins=True))
    queued = await hub.review.propose(
        ProposedPair(key, (other.system, other.record_id), pair.match_probability, pair.match_weight, pair.evidence)
        for other, pair in scored
        if pair.match_probability >= REVIEW
    )
    return ArrivalSummary(1, 0, 1, queued)


Scored = list[tuple[PersonRecord, ScoredPair]]


def _bridged(
    owner: str, scored: Scored, neighbour_owners: Mapping[tuple[SourceSystem, str], str]
) -> tuple[list[str], Scored]:
    """(other customers the arrival shows to be the owner's person, pairs with other customers' records to
    put to a steward). A merge needs what the clustering needs to join two clusters: one pair at
    `BRIDGE_PROBABILITY` or two at `AUTO_LINK`, and no relatives pattern with any record of that customer."""
    by_customer: dict[str, Scored] = {}
    for other, pair in scored:
        customer = neighbour_owners.get((other.system, other.record_id))
        if customer and customer != owner:
            by_customer.setdefault(customer, []).append((other, pair))
    bridged, proposals = [], []
    for customer, pairs in by_customer.items():
        strong = [p.match_probability for _, p in pairs if p.match_probability >= AUTO_LINK]
        related = any(p.relatives for _, p in pairs)
        if not related and strong and (max(strong) >= BRIDGE_PROBABILITY or len(strong) >= LINKS_TO_BRIDGE):
            bridged.append(customer)
        else:
            proposals += [(o, p) for o, p in pairs if p.match_probability >= REVIEW]
    return bridged, proposals


async def _merge(hub: IdentityHub, owner: str, other: str, *, by: str, priority: Sequence[SourceSystem]) -> bool:
    """Move the other customer's records to the owner (kept, marked merged, so a steward can undo it).
    Not where a steward has decided how these records go together (a link of theirs on either side): the
    model does not overrule a person; the pairs go to the queue instead."""
    links = await hub.customers.links_by_customer([owner, other])
    if any(link.rule.startswith(STEWARD_RULE_PREFIX) for found in links.values() for link in found):
        return False
    keys = await hub.customers.active_records(owner) + await hub.customers.active_records(other)
    stored = await hub.people.by_key(keys)
    survivor = golden_record(owner, [stored[k] for k in keys if k in stored], priority)
    try:
        await hub.customers.merge(survivor, other, by=by, rule=MODEL_RULE)
    except CustomersChanged:
        return False
    return True


async def _scored(model: MatchModel, record: PersonRecord, neighbours: Sequence[PersonRecord]) -> Scored:
    """Every neighbour a full run's blocking pairs with the arrival, with the pair's score and evidence,
    the strongest first (`incremental.arrival_pairs`: the batch's arrival matching)."""
    if not neighbours:
        return []
    stored = [MatchRecord.from_person(r) for r in neighbours]
    pairs = await asyncio.to_thread(arrival_pairs, model, MatchRecord.from_person(record), stored)
    return [(neighbours[pair.left], pair) for pair in pairs]


async def _model(model_path: Path, hub: IdentityHub) -> MatchModel:
    """The model the last full linking run saved; without one, trained now on the stored records."""
    if model_path.exists():
        try:
            return MatchModel.from_json(model_path.read_text(encoding="utf-8"))
        except ValueError:
            log.warning("arrivals: the saved match model is from another version of the matcher; training anew")
    stored = await hub.people.by_key(sorted(await hub.people.known_keys()))
    model = await asyncio.to_thread(train, [MatchRecord.from_person(r) for r in stored.values()])
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model_path.write_text(model.to_json(), encoding="utf-8")
    return model
