"""The seeded golden record against the demo's ground truth (`truth.csv`): the rules and the model's
automatic links together find more of each person's records than the rules alone, without joining
different people."""

from __future__ import annotations

import csv
import sqlite3
from collections import defaultdict
from itertools import combinations

from customer360.domain.systems import SourceSystem
from customer360.identity.deterministic import link_records
from customer360.store.database import create_engine
from customer360.store.identity import PersonRecordStore

Key = tuple[str, str]


def pairs(groups: list[list[Key]]) -> set[tuple[Key, Key]]:
    return {pair for group in groups for pair in combinations(sorted(group), 2)}


def scores(predicted: set[tuple[Key, Key]], true: set[tuple[Key, Key]]) -> tuple[float, float]:
    hits = len(predicted & true)
    return hits / len(predicted), hits / len(true)


async def test_the_golden_record_links_more_of_each_person_than_the_rules_alone(demo_settings):
    with (demo_settings.demo_dir / "truth.csv").open() as file:
        truth = {(row["source"], row["record_id"]): row["person_id"] for row in csv.DictReader(file)}
    people: dict[str, list[Key]] = defaultdict(list)
    for key, person in truth.items():
        people[person].append(key)
    true = pairs(list(people.values()))

    store = sqlite3.connect(demo_settings.data_dir / "customer360.db")
    customers: dict[str, list[Key]] = defaultdict(list)
    for system, record_id, customer_id in store.execute(
        "select system, record_id, customer_id from customer_links where unlinked_at is null"
    ):
        customers[customer_id].append((system, record_id))
    golden_precision, golden_recall = scores(pairs(list(customers.values())), true)

    engine = create_engine(demo_settings.gateway_database_url)
    try:
        people_store = PersonRecordStore(engine)
        records = list((await people_store.by_key(sorted(await people_store.known_keys()))).values())
    finally:
        await engine.dispose()
    assert {r.system for r in records} == set(SourceSystem)
    ruled = [[(r.system.value, r.record_id) for r in cluster.records] for cluster in link_records(records)]
    rules_precision, rules_recall = scores(pairs(ruled), true)

    assert golden_precision >= 0.99
    assert golden_recall > rules_recall + 0.02, (golden_recall, rules_recall)
    assert rules_precision >= golden_precision - 0.01
