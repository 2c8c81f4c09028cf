"""A full linking run: every back office's people, clustered, survivorship applied, stored.

The golden record starts from the deterministic rules (exact, explainable). The probabilistic model
is then trained on the same records and saved for matching arrivals later (`identity/arrivals.py`);
the pairs it rates at least `REVIEW` that the rules left in different customers go to the data
stewards' review queue rather than being merged unseen.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.people import PersonRecord
from customer360.domain.systems import SourceSystem
from customer360.identity.deterministic import RULE_CONFIDENCE, LinkedCluster, link_records
from customer360.identity.features import MatchRecord
from customer360.identity.matcher import REVIEW, score_pairs, train
from customer360.identity.model import MatchModel
from customer360.identity.survivorship import SOURCE_PRIORITY, golden_record
from customer360.sources.ports import PeopleSource
from customer360.store.customers import CustomerStore, NewLink
from customer360.store.identity import MatchReviewStore, PersonRecordStore, ProposedPair

# Golden ids are derived from the cluster's anchor record, so re-linking the same data gives the same ids.
GOLDEN_ID_NAMESPACE = uuid.UUID("5d8c6b1e-7a43-4c61-9d51-2f0b6c3a9e10")
SEED_RULE = "anchor"


@dataclass(frozen=True)
class IdentityHub:
    """The stores the golden record lives in."""

    customers: CustomerStore
    people: PersonRecordStore
    review: MatchReviewStore

    @classmethod
    def on(cls, engine: AsyncEngine) -> IdentityHub:
        return cls(CustomerStore(engine), PersonRecordStore(engine), MatchReviewStore(engine))


@dataclass(frozen=True)
class LinkSummary:
    records: int
    customers: int
    linked_to_all_systems: int
    review_pairs: int = 0


async def link_everyone(
    sources: Mapping[SourceSystem, PeopleSource],
    hub: IdentityHub,
    *,
    by: str,
    model_path: Path | None = None,
    priority: Sequence[SourceSystem] = SOURCE_PRIORITY,
) -> LinkSummary:
    fetched = await asyncio.gather(*(source.person_records() for source in sources.values()))
    records = [record for batch in fetched for record in batch]
    clusters = link_records(records)
    golden = []
    links = []
    for cluster in clusters:
        customer_id = golden_id(cluster)
        golden.append(golden_record(customer_id, cluster.records, priority))
        for record, rule in zip(cluster.records, cluster.rules, strict=True):
            links.append(
                NewLink(
                    customer_id=customer_id,
                    system=record.system,
                    record_id=record.record_id,
                    confidence=RULE_CONFIDENCE.get(rule, 1.0) if rule else 1.0,
                    rule=rule or SEED_RULE,
                )
            )
    await hub.customers.replace_all(golden, links, by=by)
    await hub.people.upsert_many(records)
    model = await asyncio.to_thread(train, [MatchRecord.from_person(r) for r in records])
    if model_path:
        model_path.parent.mkdir(parents=True, exist_ok=True)
        model_path.write_text(model.to_json(), encoding="utf-8")
    queued = await hub.review.propose(review_pairs(model, records, clusters))
    everywhere = sum(1 for cluster in clusters if len({r.system for r in cluster.records}) == len(SourceSystem))
    return LinkSummary(
        records=len(records), customers=len(golden), linked_to_all_systems=everywhere, review_pairs=queued
    )


def review_pairs(
    model: MatchModel, records: Sequence[PersonRecord], clusters: Sequence[LinkedCluster]
) -> Iterator[ProposedPair]:
    """Pairs the model rates at least `REVIEW` that the rules put in different customers."""
    cluster_of = {(r.system, r.record_id): i for i, cluster in enumerate(clusters) for r in cluster.records}
    for pair in score_pairs(model, [MatchRecord.from_person(r) for r in records], min_probability=REVIEW):
        left, right = records[pair.left], records[pair.right]
        left_key, right_key = (left.system, left.record_id), (right.system, right.record_id)
        if cluster_of[left_key] != cluster_of[right_key]:
            yield ProposedPair(left_key, right_key, pair.match_probability, pair.match_weight, pair.evidence)


def golden_id(cluster: LinkedCluster) -> str:
    anchor = min(cluster.records, key=_anchor_order)
    return str(uuid.uuid5(GOLDEN_ID_NAMESPACE, f"{anchor.system.value}:{anchor.record_id}"))


def _anchor_order(record: PersonRecord) -> tuple[int, str]:
    return SOURCE_PRIORITY.index(record.system), record.record_id
