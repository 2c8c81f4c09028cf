"""A day's new records against a linked population, without a full run.

    linked = link_population(records, model)        # once: the store's columns, blocking index, clusters
    linked, day = link_arrivals(linked, model, new)  # each day: only the pairs that touch a new record

The store keeps what a full run made: its normalised columns (`Features`), for each blocking rule its
keys sorted (the blocking index: a new record's block is a binary search away), each record's cluster
and the pairs the relative guards hold apart. New records are blocked against that index (the same
rules and the same block-size cap as a full run, so they get exactly the candidate pairs a full run
would give them), and only those pairs are compared and scored with the saved model. The store also
keeps the pairs a full run rated `REVIEW` or above, and which records those pairs connect (a
component: no cluster, corroboration or guard reaches past one). The components a new pair touches are
clustered again with the new pairs, in the full run's order and under its guards (strongest first, no
weak bridge between two established clusters, never two relatives in one cluster); the rest stand. That
costs a walk over a few links, not a comparison, and makes the answer the full run's: a new record
that outranks a stored link (one that agrees with two of one person's records that a relative's record
had kept apart) moves the clusters as a full run would, instead of being bolted onto yesterday's. A new
record no link reaches starts a cluster of its own; pairs between `REVIEW` and `AUTO_LINK` that end in
two clusters are the steward's queue, as after a full run.

The live service (`identity/arrivals.py`) keeps its store in PostgreSQL, not in a `Linked`: for each
record a change feed brings it loads the stored records sharing a key with it and calls
`arrival_pairs`, which blocks, compares and scores them with the same code as `link_arrivals`
(`_scored_against`): one implementation of arrival matching for the batch, the bench and the service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from customer360.identity.blocking import (
    DEFAULT_MAX_BLOCK,
    DEFAULT_RULES,
    BlockingRule,
    Candidates,
    candidate_pairs,
    distinct,
)
from customer360.identity.clustering import connected_clusters
from customer360.identity.features import Features, IntArray, MatchRecord, build_features
from customer360.identity.matcher import (
    AUTO_LINK,
    REVIEW,
    ScoredPair,
    compare,
    match_probabilities,
    relatives_apart,
    with_evidence,
)
from customer360.identity.model import Floats, MatchModel, Vectors

Keys = npt.NDArray[np.object_]


@dataclass(frozen=True, slots=True)
class RuleIndex:
    """One blocking rule's keys over the store, sorted (records without a key left out)."""

    rule: BlockingRule
    cap: int
    keys: Keys  # sorted
    records: IntArray  # records[i] holds keys[i]

    @classmethod
    def of(cls, rule: BlockingRule, features: Features, max_block: int) -> RuleIndex:
        keys = rule.key(features)
        keyed = np.flatnonzero(keys != "")
        order = np.argsort(keys[keyed], kind="stable")
        cap = min(max_block, rule.max_block) if rule.max_block else max_block
        return cls(rule, cap, keys[keyed][order], keyed[order])

    def blocks(self, keys: Keys) -> tuple[IntArray, IntArray]:
        """(start, stop) in `records` of each key's stored block (start == stop: none stored)."""
        return np.searchsorted(self.keys, keys, side="left"), np.searchsorted(self.keys, keys, side="right")


@dataclass(frozen=True, slots=True)
class Linked:
    """A linked population as a running service keeps it between days."""

    features: Features
    index: tuple[RuleIndex, ...]
    labels: IntArray  # cluster label per record: records with one label are one person
    pairs: tuple[IntArray, IntArray, Floats]  # (left, right, probability) of the pairs at `REVIEW` or above
    component: IntArray  # per record, a record of its component: the records `pairs` connect
    apart: tuple[IntArray, IntArray]  # pairs the relative guards hold apart (never one cluster)

    def __len__(self) -> int:
        return len(self.features)


@dataclass(frozen=True, slots=True)
class Arrivals:
    """What one day's records did: each one's cluster (an index into the store's labels), the pairs
    scored, and those left for a steward (`REVIEW` <= p < `AUTO_LINK`, in two clusters)."""

    first: int  # the new records are linked.features[first:]
    candidates: Candidates
    vectors: Vectors
    probability: Floats
    review: npt.NDArray[np.bool_]  # over the candidates

    @property
    def links(self) -> int:
        return int(np.sum(self.probability >= AUTO_LINK))


def link_population(records: Sequence[MatchRecord], model: MatchModel, max_block: int = DEFAULT_MAX_BLOCK) -> Linked:
    """A full run with a saved model: every candidate pair scored, clustered; the store for later days."""
    features = build_features(records)
    candidates = candidate_pairs(features, max_block=max_block)
    vectors = compare(features, candidates)
    _, probability = match_probabilities(model, vectors)
    apart = relatives_apart(model, candidates, vectors)
    kept = probability >= REVIEW
    pairs = (candidates.left[kept], candidates.right[kept], probability[kept])
    labels, _ = connected_clusters(len(records), *pairs, AUTO_LINK, apart=apart, corroboration=REVIEW)
    index = tuple(RuleIndex.of(rule, features, max_block) for rule in DEFAULT_RULES)
    component = _components(np.arange(len(records), dtype=np.int64), pairs[0], pairs[1])
    return Linked(features, index, labels, pairs, component, apart)


def _components(component: IntArray, left: IntArray, right: IntArray) -> IntArray:
    """`component` with the components the pairs connect joined (union-find over component ids)."""
    parent: dict[int, int] = {}

    def find(item: int) -> int:
        while parent.get(item, item) != item:
            item = parent[item]
        return item

    for a, b in zip(component[left].tolist(), component[right].tolist(), strict=True):
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    if not parent:
        return component
    joined = component.copy()
    moved = np.flatnonzero(np.isin(component, np.fromiter(parent, dtype=np.int64, count=len(parent))))
    joined[moved] = [find(c) for c in component[moved].tolist()]
    return joined


def link_arrivals(linked: Linked, model: MatchModel, records: Sequence[MatchRecord]) -> tuple[Linked, Arrivals]:
    """Match new records against the store: the store grows by them, clusters grow or begin."""
    new = build_features(records)
    first = len(linked)
    features, candidates, vectors, probability = _scored_against(linked.features, linked.index, model, new)
    new_apart = relatives_apart(model, candidates, vectors)
    apart = (np.concatenate([linked.apart[0], new_apart[0]]), np.concatenate([linked.apart[1], new_apart[1]]))
    kept = probability >= REVIEW
    left = np.concatenate([linked.pairs[0], candidates.left[kept]])
    right = np.concatenate([linked.pairs[1], candidates.right[kept]])
    weights = np.concatenate([linked.pairs[2], probability[kept]])
    order = np.lexsort((right, left))  # the full run's order: its candidates are sorted by (left, right)
    pairs = (left[order], right[order], weights[order])
    arrived = np.arange(first, len(features), dtype=np.int64)
    component = _components(np.concatenate([linked.component, arrived]), candidates.left[kept], candidates.right[kept])
    labels = np.concatenate([linked.labels, arrived])
    touched = np.isin(component, np.unique(component[arrived]))
    labels[touched] = _reclustered(np.flatnonzero(touched), touched, pairs, apart)
    review = kept & (probability < AUTO_LINK) & (labels[candidates.left] != labels[candidates.right])
    index = tuple(_grown(rule_index, new, first) for rule_index in linked.index)
    return (
        Linked(features, index, labels, pairs, component, apart),
        Arrivals(first, candidates, vectors, probability, review),
    )


def arrival_pairs(model: MatchModel, arrival: MatchRecord, stored: Sequence[MatchRecord]) -> list[ScoredPair]:
    """One arrival against stored records (the service's: those sharing a key with it): each pair a full
    run's blocking gives between them, scored, with its evidence, the strongest first. A pair's `left` is
    the stored record's index; its `right` is `len(stored)`, the arrival, as in a full run's order."""
    features = build_features(stored)
    index = tuple(RuleIndex.of(rule, features, DEFAULT_MAX_BLOCK) for rule in DEFAULT_RULES)
    _, candidates, vectors, _ = _scored_against(features, index, model, build_features([arrival]))
    return sorted(with_evidence(model, candidates, vectors), key=lambda pair: -pair.match_probability)


def _scored_against(
    store: Features, index: tuple[RuleIndex, ...], model: MatchModel, new: Features
) -> tuple[Features, Candidates, Vectors, Floats]:
    """(the store's features and the new records' after them, the candidate pairs that involve a new
    record, their comparison levels, their match probabilities): arrival matching, for both paths."""
    features = _joined(store, new)
    candidates = _candidates_for(index, new, len(store))
    vectors = compare(features, candidates)
    _, probability = match_probabilities(model, vectors)
    return features, candidates, vectors, probability


def _reclustered(
    records: IntArray,
    touched: npt.NDArray[np.bool_],
    pairs: tuple[IntArray, IntArray, Floats],
    apart: tuple[IntArray, IntArray],
) -> IntArray:
    """The full run's clustering of some whole components (`records`, the `touched` ones): labels, as
    record numbers, for `records`."""
    local = np.full(len(touched), -1, dtype=np.int64)
    local[records] = np.arange(len(records), dtype=np.int64)
    left, right, probability = pairs
    inside = touched[left]
    held = touched[apart[0]] & touched[apart[1]]
    labels, _ = connected_clusters(
        len(records),
        local[left[inside]],
        local[right[inside]],
        probability[inside],
        AUTO_LINK,
        apart=(local[apart[0][held]], local[apart[1][held]]),
        corroboration=REVIEW,
    )
    clustered: IntArray = records[labels]
    return clustered


def _joined(store: Features, new: Features) -> Features:
    columns = {
        field.name: np.concatenate([getattr(store, field.name), getattr(new, field.name)])
        for field in fields(Features)
        if field.name != "records"
    }
    return Features(records=[*store.records, *new.records], **columns)


def _candidates_for(index: tuple[RuleIndex, ...], new: Features, first: int) -> Candidates:
    """Every pair a full run's blocking gives that involves a new record: per rule, each new record's
    block is the stored records with its key and the new records with it, capped as a full run caps it."""
    total = first + len(new)
    found: list[IntArray] = []
    skipped: dict[str, int] = {}
    for rule_index in index:
        keys = rule_index.rule.key(new)
        by_key: dict[str, list[int]] = {}
        for position, key in enumerate(keys.tolist()):
            if key:
                by_key.setdefault(key, []).append(first + position)
        arrived_keys = np.array(list(by_key), dtype=object)
        starts, stops = rule_index.blocks(arrived_keys)
        too_big = 0
        for arrived, start, stop in zip(by_key.values(), starts.tolist(), stops.tolist(), strict=True):
            if stop - start + len(arrived) > rule_index.cap:
                too_big += 1
                continue
            fresh = np.array(arrived, dtype=np.int64)
            if stop > start:
                found.append((rule_index.records[start:stop, None] * total + fresh[None, :]).ravel())
            if len(fresh) > 1:
                upper_left, upper_right = np.triu_indices(len(fresh), 1)
                found.append(fresh[upper_left] * total + fresh[upper_right])
        skipped[rule_index.rule.name] = too_big
    codes = distinct(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
    return Candidates(left=codes // total, right=codes % total, skipped_blocks=skipped)


def _grown(rule_index: RuleIndex, new: Features, first: int) -> RuleIndex:
    keys = rule_index.rule.key(new)
    keyed = np.flatnonzero(keys != "")
    order = np.argsort(keys[keyed], kind="stable")
    added, records = keys[keyed][order], keyed[order] + first
    # Inserted after the stored records of one key: a block stays in record order, as a sort would leave it.
    at = np.searchsorted(rule_index.keys, added, side="right")
    return RuleIndex(
        rule_index.rule,
        rule_index.cap,
        np.insert(rule_index.keys, at, added),
        np.insert(rule_index.records, at, records),
    )
