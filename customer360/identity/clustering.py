"""Clusters from scored pairs: connected components of the links above a threshold, with a bridge guard.

Plain connected components let one wrong link chain two people's whole histories into one golden
record. So links are taken strongest first, and two clusters that already hold several records each
are joined only when that is well supported: by at least two links between them, or by one link of
near-certainty (`bridge_probability`). A lone record may always join a cluster on one link, unless
it and a record already in the cluster are relatives (`apart`: a pair the relative guards hold apart,
such as a father's record and his son's "Jr"): then no chain of links may put them in one cluster.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import numpy.typing as npt

from customer360.identity.features import IntArray
from customer360.identity.model import Floats

Bools = npt.NDArray[np.bool_]

BRIDGE_PROBABILITY = 0.9999
LINKS_TO_BRIDGE = 2


def connected_clusters(
    size: int,
    left: IntArray,
    right: IntArray,
    probability: Floats,
    link_threshold: float,
    bridge_probability: float = BRIDGE_PROBABILITY,
    apart: tuple[IntArray, IntArray] | None = None,
) -> tuple[IntArray, Floats]:
    """(cluster label per record, each record's strongest link inside its cluster; 0 for a lone record).
    `apart` holds pairs of records that must not end up in one cluster (cannot-link)."""
    linked = probability >= link_threshold
    left, right, probability = left[linked], right[linked], probability[linked]
    order = np.argsort(-probability, kind="stable")
    neighbours: defaultdict[int, list[int]] = defaultdict(list)
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        neighbours[a].append(b)
        neighbours[b].append(a)
    relatives: defaultdict[int, list[int]] = defaultdict(list)
    for a, b in zip(*(apart or ((), ())), strict=True):
        relatives[int(a)].append(int(b))
        relatives[int(b)].append(int(a))
    parent = list(range(size))
    members: dict[int, list[int]] = {}

    def find(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def links_between(small: int, big: int) -> int:
        return sum(1 for record in members[small] for other in neighbours[record] if find(other) == big)

    def related(group: list[int], root: int) -> bool:
        return any(find(other) == root for record in group for other in relatives.get(record, ()))

    for k in order.tolist():
        a, b, p = int(left[k]), int(right[k]), float(probability[k])
        root_a, root_b = find(a), find(b)
        if root_a == root_b:
            continue
        group_a, group_b = members.get(root_a, [a]), members.get(root_b, [b])
        small, big = (root_a, root_b) if len(group_a) <= len(group_b) else (root_b, root_a)
        if relatives and related(members.get(small, [small]), big):
            continue  # the two clusters hold two relatives: keep them apart (the pair stays for review)
        one_weak_bridge = len(group_a) > 1 and len(group_b) > 1 and p < bridge_probability
        if one_weak_bridge and links_between(small, big) < LINKS_TO_BRIDGE:
            continue  # leave the two clusters apart (the pair stays for review)
        if len(group_a) < len(group_b):
            root_a, root_b, group_a, group_b = root_b, root_a, group_b, group_a
        parent[root_b] = root_a
        group_a.extend(group_b)
        members[root_a] = group_a
        members.pop(root_b, None)
    labels = np.array([find(i) for i in range(size)], dtype=np.int64)
    inside = labels[left] == labels[right]
    strongest = np.zeros(size, dtype=np.float64)
    np.maximum.at(strongest, left[inside], probability[inside])
    np.maximum.at(strongest, right[inside], probability[inside])
    return labels, strongest


def two_deduplicated_files(sources: npt.NDArray[np.object_], left: IntArray, right: IntArray, linked: Bools) -> bool:
    """True when the records come from exactly two sources and no link joins two records of one source:
    two files, each already one row per person (FEBRL4's A and B, two back offices' clean extracts)."""
    return len(set(sources.tolist())) == 2 and not bool(np.any(linked & (sources[left] == sources[right])))


def one_to_one(
    sources: npt.NDArray[np.object_], left: IntArray, right: IntArray, probability: Floats, floor: float
) -> Floats:
    """Linking two deduplicated files: a record has at most one match in the other file. Pairs within a
    file are dropped (probability 0) and a cross pair that is each record's best in the other file, at
    `floor` or above, is taken as that one match (probability raised to 1, so it links); every other
    cross pair keeps its own probability."""
    cross = sources[left] != sources[right]
    scored = np.where(cross, probability, 0.0)
    best = np.zeros(len(sources), dtype=np.float64)
    np.maximum.at(best, left, scored)
    np.maximum.at(best, right, scored)
    mutual = cross & (scored >= floor) & (scored == best[left]) & (scored == best[right])
    return np.where(mutual, 1.0, scored)
