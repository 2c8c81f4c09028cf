"""A full linking run: every back office's people, clustered, survivorship applied, stored."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from customer360.domain.people import PersonRecord
from customer360.domain.systems import SourceSystem
from customer360.identity.deterministic import RULE_CONFIDENCE, LinkedCluster, link_records
from customer360.identity.survivorship import SOURCE_PRIORITY, golden_record
from customer360.sources.ports import PeopleSource
from customer360.store.customers import CustomerStore, NewLink

# Golden ids are derived from the cluster's anchor record, so re-linking the same data gives the same ids.
GOLDEN_ID_NAMESPACE = uuid.UUID("5d8c6b1e-7a43-4c61-9d51-2f0b6c3a9e10")
SEED_RULE = "anchor"


@dataclass(frozen=True)
class LinkSummary:
    records: int
    customers: int
    linked_to_all_systems: int


async def link_everyone(sources: Mapping[SourceSystem, PeopleSource], store: CustomerStore, *, by: str) -> LinkSummary:
    fetched = await asyncio.gather(*(source.person_records() for source in sources.values()))
    records = [record for batch in fetched for record in batch]
    clusters = link_records(records)
    golden = []
    links = []
    for cluster in clusters:
        customer_id = golden_id(cluster)
        golden.append(golden_record(customer_id, cluster.records))
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
    await store.replace_all(golden, links, by=by)
    everywhere = sum(1 for cluster in clusters if len({r.system for r in cluster.records}) == len(SourceSystem))
    return LinkSummary(records=len(records), customers=len(golden), linked_to_all_systems=everywhere)


def golden_id(cluster: LinkedCluster) -> str:
    anchor = min(cluster.records, key=_anchor_order)
    return str(uuid.uuid5(GOLDEN_ID_NAMESPACE, f"{anchor.system.value}:{anchor.record_id}"))


def _anchor_order(record: PersonRecord) -> tuple[int, str]:
    return SOURCE_PRIORITY.index(record.system), record.record_id
