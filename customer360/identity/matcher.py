"""Probabilistic record linkage: train a Fellegi-Sunter model, score candidate pairs, cluster people.

    model = train(records)                      # EM on the records themselves: no labelled data needed
    pairs = list(score_pairs(model, records))   # candidate pairs with probability and evidence
    clusters = cluster(records, pairs)          # one cluster per person

A pair at or above `AUTO_LINK` links by itself; between `REVIEW` and `AUTO_LINK` it goes to a data
steward with its evidence (each field's level and weight); below `REVIEW` it is not a link. The
array-level functions (`compare`, `train_on`, `match_probabilities`) are what the batch command uses
to handle 100,000 records without building a Python object per pair.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from customer360.identity.blocking import DEFAULT_RULES, Candidates, candidate_pairs
from customer360.identity.clustering import connected_clusters
from customer360.identity.comparisons import COMPARISONS, NULL, comparison_vectors
from customer360.identity.features import Features, IntArray, MatchRecord, build_features
from customer360.identity.model import (
    RELATIVE_GUARDS,
    Floats,
    MatchModel,
    Vectors,
    estimate_prior,
    expectation_maximisation,
    household_table,
    initial_model,
    u_without_matches,
)

AUTO_LINK = 0.99
REVIEW = 0.5
_DEFAULT_THRESHOLDS = (AUTO_LINK, REVIEW)  # MatchDecision's members shadow the two names in its body
RANDOM_PAIRS = 200_000  # for the first estimate of u: plenty for levels as rare as one in ten thousand
CHUNK = 250_000  # pairs compared at a time: bounds memory and paces the progress bar
CLUSTER_NAMESPACE = uuid.UUID("5d8c6b1e-7a43-4c61-9d51-2f0b6c3a9e10")  # the golden-record id namespace


class MatchDecision(StrEnum):
    LINK = "LINK"
    REVIEW = "REVIEW"
    NO_LINK = "NO_LINK"

    @classmethod
    def of(cls, probability: float, thresholds: tuple[float, float] = _DEFAULT_THRESHOLDS) -> MatchDecision:
        auto_link, review = thresholds
        if probability >= auto_link:
            return cls.LINK
        return cls.REVIEW if probability >= review else cls.NO_LINK


@dataclass(frozen=True, slots=True)
class ScoredPair:
    """Two records (indexes into the scored sequence) and why the model thinks they are one person."""

    left: int
    right: int
    match_probability: float
    match_weight: float
    evidence: dict[str, tuple[str, float]]  # comparison -> (level, weight in bits); unknown fields absent

    @property
    def decision(self) -> MatchDecision:
        return MatchDecision.of(self.match_probability)

    @property
    def relatives(self) -> bool:
        """The relative guards weigh against this pair: twins, a parent and child, housemates, namesakes.
        However strong the rest, no chain of links may put the two in one cluster."""
        return self.evidence.get("relatives", ("none", 0.0))[1] < 0


@dataclass(frozen=True, slots=True)
class Cluster:
    """Records judged one person; `confidence[i]` is members[i]'s strongest link in the cluster
    (for a lone record: 1 minus its strongest link to anyone, i.e. how sure it stands alone)."""

    cluster_id: str
    members: tuple[int, ...]
    confidence: tuple[float, ...]


Progress = Callable[[int], None]  # told how many more pairs have been compared


def compare(features: Features, candidates: Candidates, progress: Progress | None = None) -> Vectors:
    """Comparison levels of every candidate pair, a chunk at a time."""
    vectors = np.empty((len(candidates), len(COMPARISONS)), dtype=np.int8)
    for start in range(0, len(candidates), CHUNK):
        stop = min(start + CHUNK, len(candidates))
        vectors[start:stop] = comparison_vectors(features, candidates.left[start:stop], candidates.right[start:stop])
        if progress:
            progress(stop - start)
    return vectors


def random_pair_vectors(features: Features, count: int = RANDOM_PAIRS, seed: int = 0) -> Vectors:
    """Levels of random pairs: nearly all two different people, so they estimate u."""
    rng = np.random.default_rng(seed)
    n = len(features)
    if n < 2:
        return np.empty((0, len(COMPARISONS)), dtype=np.int8)
    left = rng.integers(0, n, size=count)
    right = rng.integers(0, n, size=count)
    distinct = left != right
    return comparison_vectors(features, left[distinct], right[distinct])


@dataclass(frozen=True, slots=True)
class TrainingSession:
    """EM on the pairs one blocking rule finds. The comparisons that rule forces to agree are not
    estimated there (every pair agrees on them, match or not); another session estimates them."""

    rule: str
    fixed: frozenset[str]


TRAINING_SESSIONS = (
    TrainingSession("date_of_birth", frozenset({"date_of_birth"})),
    TrainingSession("forename+surname", frozenset({"forename", "surname"})),
)


def train_on(
    features: Features, candidates: Candidates, vectors: Vectors, *, relative_guards: bool = True, seed: int = 0
) -> MatchModel:
    """m by EM per training session (averaged where two sessions estimate one comparison), u from
    random pairs (then again without the matches among them), and the prior that makes the expected
    number of matches consistent. The relative guards apply when `relative_guards` is set and the
    records show households (`HouseholdTable`)."""
    guarded = relative_guards and household_table(vectors).shows_households
    random_vectors = random_pair_vectors(features, seed=seed)
    model = initial_model(random_vectors, RELATIVE_GUARDS if guarded else {})
    rules = {rule.name: rule for rule in DEFAULT_RULES}
    learned: dict[str, list[Floats]] = {c.name: [] for c in COMPARISONS}
    iterations, converged = 0, True
    for session in TRAINING_SESSIONS:
        keys = rules[session.rule].key(features)
        left_keys = keys[candidates.left]
        in_block = (left_keys == keys[candidates.right]) & (left_keys != "")
        estimate = frozenset(learned) - session.fixed
        found, used, settled = expectation_maximisation(model, vectors[in_block], estimate, blocked=session.fixed)
        iterations, converged = iterations + used, converged and settled
        for name, m in found.items():
            learned[name].append(m)
    for name, estimates in learned.items():
        if estimates:
            model.parameters[name].m = np.mean(estimates, axis=0).tolist()
    model.iterations, model.converged = iterations, converged
    all_pairs = len(features) * (len(features) - 1) // 2
    model.prior = estimate_prior(model, vectors, all_pairs)
    # The random pairs held some true matches, which the first u counted as two people: take them out,
    # then settle the prior for the new weights.
    u_without_matches(model, random_vectors)
    model.prior = estimate_prior(model, vectors, all_pairs)
    return model


def train(records: Sequence[MatchRecord], *, relative_guards: bool = True, seed: int = 0) -> MatchModel:
    """Learn m and u from the records' own candidate pairs (unsupervised)."""
    features = build_features(records)
    candidates = candidate_pairs(features)
    return train_on(features, candidates, compare(features, candidates), relative_guards=relative_guards, seed=seed)


def match_probabilities(model: MatchModel, vectors: Vectors) -> tuple[Floats, Floats]:
    """(match weight in bits, match probability) per pair."""
    weight, _ = model.match_weights(vectors)
    return weight, 1 / (1 + np.exp2(-weight))


def evidence(model: MatchModel, levels: npt.NDArray[np.int8]) -> dict[str, tuple[str, float]]:
    tables = model.weight_table()
    return {
        c.name: (c.levels[level], round(float(tables[i][level]), 3))
        for i, (c, level) in enumerate(zip(model.comparisons, levels.tolist(), strict=True))
        if level != NULL
    }


def score_pairs(
    model: MatchModel, records: Sequence[MatchRecord], min_probability: float = 0.0
) -> Iterator[ScoredPair]:
    """Every candidate pair at or above `min_probability`, with its evidence."""
    features = build_features(records)
    candidates = candidate_pairs(features)
    return with_evidence(model, candidates, compare(features, candidates), min_probability)


def train_and_score(
    records: Sequence[MatchRecord], min_probability: float = 0.0
) -> tuple[MatchModel, list[ScoredPair]]:
    """`train` then `score_pairs` on the same records, comparing each candidate pair once for both."""
    features = build_features(records)
    candidates = candidate_pairs(features)
    vectors = compare(features, candidates)
    model = train_on(features, candidates, vectors)
    return model, list(with_evidence(model, candidates, vectors, min_probability))


def with_evidence(
    model: MatchModel, candidates: Candidates, vectors: Vectors, min_probability: float = 0.0
) -> Iterator[ScoredPair]:
    """The compared pairs at or above `min_probability` as `ScoredPair`s, each with its evidence."""
    weight, probability = match_probabilities(model, vectors)
    for k in np.flatnonzero(probability >= min_probability).tolist():
        yield ScoredPair(
            left=int(candidates.left[k]),
            right=int(candidates.right[k]),
            match_probability=float(probability[k]),
            match_weight=float(weight[k]),
            evidence=evidence(model, vectors[k]),
        )


def cluster(
    records: Sequence[MatchRecord], scored: Iterable[ScoredPair], link_threshold: float = AUTO_LINK
) -> list[Cluster]:
    pairs = list(scored)
    left = np.array([p.left for p in pairs], dtype=np.int64)
    right = np.array([p.right for p in pairs], dtype=np.int64)
    probability = np.array([p.match_probability for p in pairs], dtype=np.float64)
    related = np.array([p.relatives for p in pairs], dtype=np.bool_)
    return clusters_from_arrays(records, left, right, probability, link_threshold, (left[related], right[related]))


def relatives_apart(model: MatchModel, candidates: Candidates, vectors: Vectors) -> tuple[IntArray, IntArray]:
    """The candidate pairs the relative guards weigh against (none where the guards are off)."""
    column = [c.name for c in model.comparisons].index("relatives")
    guarded = model.weight_table()[column][vectors[:, column]] < 0
    return candidates.left[guarded], candidates.right[guarded]


def clusters_from_arrays(
    records: Sequence[MatchRecord],
    left: IntArray,
    right: IntArray,
    probability: Floats,
    link_threshold: float,
    apart: tuple[IntArray, IntArray] | None = None,
) -> list[Cluster]:
    labels, strongest = connected_clusters(
        len(records), left, right, probability, link_threshold, apart=apart, corroboration=REVIEW
    )
    # How sure a lone record stands alone: 1 minus its strongest link to anyone.
    nearest = np.zeros(len(records), dtype=np.float64)
    np.maximum.at(nearest, left, probability)
    np.maximum.at(nearest, right, probability)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels.tolist()):
        groups.setdefault(label, []).append(index)
    # The anchor, whose key names the cluster, is its first record by (source, record_id): ranked once for
    # all records, so each cluster's is an integer minimum, not a comparison of tuples of strings.
    rank = [0] * len(records)
    for position, index in enumerate(
        sorted(range(len(records)), key=lambda i: (records[i].source, records[i].record_id))
    ):
        rank[index] = position
    clusters = []
    for members in groups.values():
        anchor = min(members, key=rank.__getitem__)
        confidence = (
            tuple(round(float(strongest[i]), 6) for i in members)
            if len(members) > 1
            else (round(1 - float(nearest[members[0]]), 6),)
        )
        cluster_id = str(uuid.uuid5(CLUSTER_NAMESPACE, f"{records[anchor].source}:{records[anchor].record_id}"))
        clusters.append(Cluster(cluster_id=cluster_id, members=tuple(members), confidence=confidence))
    return clusters
