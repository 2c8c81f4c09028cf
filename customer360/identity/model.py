"""The Fellegi-Sunter model: m and u per comparison level, learned by EM, and the weights they give.

m = P(level | the pair is one person), u = P(level | two people). A level's weight is log2(m/u):
positive when it is evidence for a match. A pair's match weight is the prior log-odds plus the
weights of its levels (unknown fields add nothing), and its match probability follows from that.

Training is Splink's recipe in miniature: u starts from random pairs (almost all non-matches), then
expectation-maximisation on the candidate pairs (which are counted once per distinct pattern of
levels, so EM costs the same for a thousand pairs or ten million) refines m and the share of
matches, and u is counted again from the random pairs with the matches among them left out
(`u_without_matches`). One comparison is not learned but fixed by what we know: Fellegi-Sunter
assumes fields disagree independently, and people in one household break that (twins share surname,
address, landline and date of birth; a father and son share all but the date), so the `relatives`
comparison's patterns (combinations of fields, not any one field) weigh hard against a match whatever
the rest of the data says, in every file that holds households (`HouseholdTable`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from customer360.identity.comparisons import (
    COMPARISONS,
    DOB_DIFFERENT,
    FORENAME_DIFFERENT,
    NULL,
    Comparison,
    one_forename,
    one_surname_one_home,
)

Vectors = npt.NDArray[np.int8]
Floats = npt.NDArray[np.float64]

# The relative guards: levels of the `relatives` comparison that are not learned but weigh a fixed
# number of bits against a match, more than a household's shared surname, address, landline and birthday
# add up to. EM cannot learn them: it would take twins for one person with a mistyped forename. Data whose
# duplicates have names and dates replaced at random (FEBRL's generator does this) and which hold no
# households show the same patterns among true matches only; there (`HouseholdTable`) the guards are
# released, as they are by `--no-relative-guards`, and `relatives` then weighs nothing.
RELATIVE_GUARDS: dict[tuple[str, str], float] = {
    ("relatives", "twins"): -20.0,
    ("relatives", "housemates"): -20.0,
    ("relatives", "parent_and_child"): -20.0,
    ("relatives", "junior_and_senior"): -20.0,
    ("relatives", "namesakes"): -20.0,
}
# The guards are released only where the data show the relatives patterns to be one person's slips
# (see `HouseholdTable`): a file in which forename and date of birth, among pairs of one surname and one
# home, disagree at most this many times more often together than independence predicts (upper 95% bound).
# Slips are independent (FEBRL: 0.4 to 2.0); households make the two disagree together (the demo
# council: thousands); a file with too few such pairs to tell keeps the guards.
SLIPS_ODDS_RATIO = 4.0
_FIXED = frozenset({"relatives"})  # comparisons whose m follows from u and the guards, never from EM
# Lower bounds on m that hold whatever a data set shows: people move, and the office that was not told
# keeps the old address, so an address that disagrees is weak evidence, never a veto.
FLOOR_M: dict[tuple[str, str], float] = {("address", "different"): 0.05, ("address", "same_area"): 0.02}
_SMOOTHING = 1.0  # pseudo-count per level, so no level ever has u of exactly 0
# No learned level is ever impossible for a true match: a title keyed wrong, a surname changed on
# marriage. Without a floor, a level EM never saw among matches would veto any pair outright.
_SMALLEST_M = 1e-3
_SMALLEST = 1e-9


@dataclass
class LevelParameters:
    m: list[float]
    u: list[float]


@dataclass
class MatchModel:
    """Learned parameters; `weights[c][level]` in bits."""

    comparisons: tuple[Comparison, ...] = COMPARISONS
    parameters: dict[str, LevelParameters] = field(default_factory=dict)
    prior: float = 1e-4  # λ: P(two records picked at random are one person)
    pinned: dict[tuple[str, str], float] = field(default_factory=lambda: dict(RELATIVE_GUARDS))  # guard bits
    iterations: int = 0
    converged: bool = False

    def weight_table(self) -> list[Floats]:
        return [
            np.log2(np.asarray(self.parameters[c.name].m) / np.asarray(self.parameters[c.name].u))
            for c in self.comparisons
        ]

    @property
    def prior_weight(self) -> float:
        return float(np.log2(self.prior / (1 - self.prior)))

    def match_weights(self, vectors: Vectors) -> tuple[Floats, Floats]:
        """(total match weight, per-comparison weights) for each row of levels."""
        per_field = np.empty(vectors.shape, dtype=np.float64)
        for column, table in enumerate(self.weight_table()):
            # An unknown field weighs nothing: NULL (-1) indexes the 0 appended after the levels' weights
            # (a lookup over every pair; masking the unknown ones out first cost four times as much).
            levels = vectors[:, column]
            if levels.size and int(levels.max()) >= len(table):  # a saved model older than the comparisons
                raise ValueError(f"level {int(levels.max())} has no weight in the model ({len(table)} levels)")
            per_field[:, column] = np.append(table, 0.0)[levels]
        return self.prior_weight + per_field.sum(axis=1), per_field

    def to_json(self) -> str:
        return json.dumps(
            {
                "prior": self.prior,
                "pinned": [[name, level, m] for (name, level), m in self.pinned.items()],
                "iterations": self.iterations,
                "converged": self.converged,
                "comparisons": {
                    c.name: {"levels": list(c.levels), "m": self.parameters[c.name].m, "u": self.parameters[c.name].u}
                    for c in self.comparisons
                },
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> MatchModel:
        data: dict[str, Any] = json.loads(text)
        by_name = {c.name: c for c in COMPARISONS}
        stored = data["comparisons"]
        if set(stored) != set(by_name) or any(tuple(stored[n]["levels"]) != by_name[n].levels for n in stored):
            raise ValueError("the model was trained with other comparisons than this version has")
        return cls(
            parameters={n: LevelParameters(m=list(v["m"]), u=list(v["u"])) for n, v in stored.items()},
            prior=float(data["prior"]),
            pinned={(name, level): float(m) for name, level, m in data["pinned"]},
            iterations=int(data["iterations"]),
            converged=bool(data["converged"]),
        )


@dataclass(frozen=True, slots=True)
class HouseholdTable:
    """Candidate pairs of one surname and one home, by whether the forenames differ (clearly: no slip,
    nickname or initial explains them) and whether the dates of birth do (neither equal, swapped nor one
    keystroke out). Where the records hold households, two people at one home differ on both at once
    (spouses, siblings, a parent and a child): `both` dwarfs what independence predicts from the other
    three cells. Where a differing forename or date of birth is a slip of one person's record (a field
    keyed from another form, FEBRL's replaced values) the two happen independently, and the odds ratio
    is near 1. The twins and parent-and-child patterns are cells of this table (`forename_only` and
    part of `date_only`), so only the first kind of file needs the relative guards."""

    both: int  # two people of one household, or a record with two slips
    forename_only: int  # one birthday: twins, or a forename replaced
    date_only: int  # one forename: a parent and child of one name, or a date replaced
    neither: int  # one person

    def odds_ratio(self) -> tuple[float, float]:
        """(odds ratio of "forename differs" and "date differs", its upper 95% bound); half a pair is
        added to each cell (Haldane), so an empty table says nothing rather than dividing by zero."""
        cells = [self.both + 0.5, self.forename_only + 0.5, self.date_only + 0.5, self.neither + 0.5]
        log_ratio = float(np.log(cells[0] * cells[3] / (cells[1] * cells[2])))
        spread = 1.96 * float(np.sqrt(sum(1 / cell for cell in cells)))
        return float(np.exp(log_ratio)), float(np.exp(log_ratio + spread))

    @property
    def shows_households(self) -> bool:
        """True unless the data show, with confidence, that the two disagreements are independent."""
        return self.odds_ratio()[1] >= SLIPS_ODDS_RATIO


def household_table(vectors: Vectors, comparisons: tuple[Comparison, ...] = COMPARISONS) -> HouseholdTable:
    column = {c.name: vectors[:, i] for i, c in enumerate(comparisons)}
    together = one_surname_one_home(column["surname"], column["address"], column["phone"])
    forename, born = column["forename"], column["date_of_birth"]
    forename_differs = together & (forename == FORENAME_DIFFERENT)
    forename_agrees = together & one_forename(forename)
    date_differs, date_agrees = born >= DOB_DIFFERENT, born == 0
    return HouseholdTable(
        both=int(np.sum(forename_differs & date_differs)),
        forename_only=int(np.sum(forename_differs & date_agrees)),
        date_only=int(np.sum(forename_agrees & date_differs)),
        neither=int(np.sum(forename_agrees & date_agrees)),
    )


def initial_model(
    random_vectors: Vectors, guards: dict[tuple[str, str], float], comparisons: tuple[Comparison, ...] = COMPARISONS
) -> MatchModel:
    """u from random pairs; m from a prior that true matches mostly agree, except the guarded comparisons,
    whose m is u shifted by each guard's bits (so those levels weigh exactly the guard, the others nothing)."""
    parameters = {}
    for column, comparison in enumerate(comparisons):
        levels = len(comparison.levels)
        m = np.array([0.9 * 0.25**k for k in range(levels)], dtype=np.float64)
        seen = random_vectors[:, column][random_vectors[:, column] != NULL]
        u = _normal(np.bincount(seen, minlength=levels).astype(np.float64) + _SMOOTHING)
        if comparison.name in _FIXED:
            m = u.copy()
            for (name, level), bits in guards.items():
                if name == comparison.name:
                    m[comparison.levels.index(level)] = u[comparison.levels.index(level)] * 2.0**bits
        else:
            m = _pinned(comparison, m / m.sum(), {})
        parameters[comparison.name] = LevelParameters(m=m.tolist(), u=u.tolist())
    return MatchModel(comparisons=comparisons, parameters=parameters, pinned=dict(guards))


def expectation_maximisation(
    model: MatchModel,
    vectors: Vectors,
    estimate: frozenset[str],
    *,
    blocked: frozenset[str] = frozenset(),
    max_iterations: int = 100,
    tolerance: float = 1e-5,
) -> tuple[dict[str, Floats], int, bool]:
    """m of the comparisons in `estimate`, refined on `vectors` with u held at its random-pair value;
    (m per comparison, iterations, converged). The other comparisons keep their m and still weigh, except
    the `blocked` ones: the pairs were chosen for agreeing on them, so their agreement says nothing here
    (counted, it would add the same bits to every pair and EM would take the whole block for matches)."""
    if len(vectors) == 0:
        return {}, 0, True
    patterns, repeats = distinct_patterns(vectors)
    counts = repeats.astype(np.float64)
    comparisons = model.comparisons
    m = [np.asarray(model.parameters[c.name].m) for c in comparisons]
    log_u = np.zeros(len(patterns))
    weighed = [c.name not in blocked for c in comparisons]
    for column, comparison in enumerate(comparisons):
        if not weighed[column]:
            continue
        levels = patterns[:, column]
        known = levels != NULL
        log_u[known] += np.log(np.asarray(model.parameters[comparison.name].u)[levels[known]])
    share = 0.1  # a start: pairs blocked together are far richer in matches than random ones
    moved, iteration = 1.0, 0
    while moved >= tolerance and iteration < max_iterations:
        iteration += 1
        log_m = np.zeros(len(patterns))
        for column in range(len(comparisons)):
            if not weighed[column]:
                continue
            levels = patterns[:, column]
            known = levels != NULL
            log_m[known] += np.log(m[column][levels[known]])
        log_odds = np.log(share / (1 - share)) + log_m - log_u
        match = counts / (1 + np.exp(-np.clip(log_odds, -700, 700)))
        new_share = float(np.clip(match.sum() / counts.sum(), _SMALLEST, 1 - _SMALLEST))
        moved = abs(new_share - share)
        share = new_share
        for column, comparison in enumerate(comparisons):
            levels = patterns[:, column]
            known = levels != NULL
            if comparison.name not in estimate or comparison.name in _FIXED or not known.any():
                continue
            counted = _normal(np.bincount(levels[known], match[known], len(comparison.levels)).astype(np.float64))
            new_m = _pinned(comparison, _normal(np.maximum(counted, _SMALLEST_M)), {})
            moved = max(moved, float(np.abs(new_m - m[column]).max()))
            m[column] = new_m
    learned = {c.name: m[i] for i, c in enumerate(comparisons) if c.name in estimate and c.name not in _FIXED}
    return learned, iteration, moved < tolerance


def u_without_matches(model: MatchModel, random_vectors: Vectors) -> None:
    """Re-estimate u from the random pairs, each counted by how likely it is two people. A random
    sample of all pairs holds true matches at the rate of the prior, and for the levels that only one
    person's records reach (one date of birth, one e-mail, one address) those matches are most of
    what the sample sees: counted as non-matches they put u at about the prior and the level's weight
    bits too low. The relatives comparison keeps its u (its m is fixed relative to it)."""
    weights, _ = model.match_weights(random_vectors)
    apart = 1 / (1 + np.exp2(np.clip(weights, -1000, 1000)))  # P(two people | levels)
    for column, comparison in enumerate(model.comparisons):
        if comparison.name in _FIXED:
            continue
        levels = random_vectors[:, column]
        known = levels != NULL
        counted = np.bincount(levels[known], apart[known], len(comparison.levels)).astype(np.float64)
        model.parameters[comparison.name].u = _normal(counted + _SMOOTHING).tolist()


def estimate_prior(model: MatchModel, vectors: Vectors, total_pairs: int, *, iterations: int = 50) -> float:
    """P(two random records are one person), as the fixed point of "the expected number of matches
    among the candidates, over all pairs" (pairs never blocked together are taken as non-matches)."""
    patterns, counts = distinct_patterns(vectors)  # pairs with one pattern of levels weigh the same
    weights, _ = model.match_weights(patterns)
    evidence = weights - model.prior_weight
    prior = 1 / max(total_pairs, 2)
    for _ in range(iterations):
        log_odds = np.log2(prior / (1 - prior)) + evidence
        matches = float(np.sum(counts / (1 + np.exp2(-np.clip(log_odds, -1000, 1000)))))
        prior = min(max(matches / max(total_pairs, 1), _SMALLEST), 0.5)
    return prior


def distinct_patterns(vectors: Vectors) -> tuple[Vectors, npt.NDArray[np.int64]]:
    """The distinct rows of levels, sorted, and how many pairs have each: what `np.unique(vectors, axis=0,
    return_counts=True)` gives, from each row packed into one integer and those sorted (numpy 2's row-wise
    unique took most of a second on a 100,000-record run's 1.5 million pairs; this, a few hundredths)."""
    width = vectors.shape[1]
    shifted = vectors.astype(np.int64) - NULL  # NULL (-1) becomes 0, so every digit is >= 0
    base = int(shifted.max()) + 1 if shifted.size else 1
    if base**width >= 2**62:  # too many levels to pack into one integer: numpy's own (never so far)
        patterns, counts = np.unique(vectors, axis=0, return_counts=True)
        return patterns, counts.astype(np.int64)
    codes = np.zeros(len(vectors), dtype=np.int64)
    for column in range(width):  # the first comparison most significant: numpy's row order
        codes = codes * base + shifted[:, column]
    codes.sort()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.empty(0, dtype=np.int64)
    counts = np.diff(np.r_[starts, len(codes)]).astype(np.int64)
    packed = codes[starts]
    patterns = np.empty((len(packed), width), dtype=vectors.dtype)
    for column in reversed(range(width)):
        patterns[:, column] = packed % base + NULL
        packed //= base
    return patterns, counts


def _normal(values: Floats) -> Floats:
    total = values.sum()
    return values / total if total > 0 else np.full(len(values), 1 / len(values))


def _pinned(comparison: Comparison, m: Floats, guards: dict[tuple[str, str], float]) -> Floats:
    """Raise floored levels to their floor and set pinned levels; the other levels share what is left
    in their learned proportions."""
    fixed = {
        comparison.levels.index(level): max(value, float(m[comparison.levels.index(level)]))
        for (name, level), value in FLOOR_M.items()
        if name == comparison.name
    }
    fixed |= {
        comparison.levels.index(level): value for (name, level), value in guards.items() if name == comparison.name
    }
    if not fixed:
        return m
    free = np.array([k not in fixed for k in range(len(m))])
    out = m.copy()
    out[free] = _normal(m[free]) * (1 - sum(fixed.values()))
    for level, value in fixed.items():
        out[level] = value
    return out
