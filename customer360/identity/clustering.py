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
from collections.abc import Callable

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
    corroboration: float | None = None,
) -> tuple[IntArray, Floats]:
    """(cluster label per record, each record's strongest link inside its cluster; 0 for a lone record).
    `apart` holds pairs of records that must not end up in one cluster (cannot-link). With `corroboration`,
    a record left alone joins a cluster when at least two of that cluster's records rate it that likely or
    more and no other cluster does (see `_corroborated`)."""
    weak = (left, right, probability)
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
    if corroboration is not None:
        for record, root in _corroborated(size, find, members, relatives, weak, corroboration):
            parent[record] = root
            members[root].append(record)
            left, right = np.append(left, record), np.append(right, members[root][0])
            probability = np.append(probability, corroboration)
    labels = np.array([find(i) for i in range(size)], dtype=np.int64)
    inside = labels[left] == labels[right]
    strongest = np.zeros(size, dtype=np.float64)
    np.maximum.at(strongest, left[inside], probability[inside])
    np.maximum.at(strongest, right[inside], probability[inside])
    return labels, strongest


def _corroborated(
    size: int,
    find: Callable[[int], int],
    members: dict[int, list[int]],
    relatives: defaultdict[int, list[int]],
    pairs: tuple[IntArray, IntArray, Floats],
    floor: float,
) -> list[tuple[int, int]]:
    """(record, cluster) for records still alone that every record of one cluster (two or more) rates at
    `floor` or above, and no record of any other cluster does: a street-scene report that holds a name and
    nothing else agrees with each of that person's records and with nobody else's. One record of the
    cluster that does not agree (another date of birth: a namesake) keeps it out; so does a relative."""
    left, right, probability = pairs
    strong = probability >= floor
    votes: defaultdict[int, list[int]] = defaultdict(list)
    for a, b in zip(left[strong].tolist(), right[strong].tolist(), strict=True):
        votes[a].append(b)
        votes[b].append(a)
    joins = []
    for record, others in votes.items():
        if find(record) != record or record in members or len(others) < 2:
            continue
        roots = {find(other) for other in others}
        if len(roots) != 1:
            continue
        root = roots.pop()
        if root == record or len(members.get(root, ())) < 2 or len(set(others)) < len(members[root]):
            continue
        if any(find(other) == root for other in relatives.get(record, ())):
            continue
        joins.append((record, root))
    return joins


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
