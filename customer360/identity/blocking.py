"""Blocking: which pairs of records are worth comparing at all.

Comparing every pair costs n²; instead each rule groups records sharing a key (same date of birth,
same postcode and surname sound, ...) and only pairs inside a group are compared. A pair found by
any rule is a candidate. Groups larger than `max_block` are skipped for that rule (a key shared by
thousands, like a placeholder date, says nothing about identity), so cost stays near-linear; the
other rules still reach the records in them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from customer360.identity.features import Features, IntArray

Keys = npt.NDArray[np.object_]


@dataclass(frozen=True, slots=True)
class BlockingRule:
    name: str
    key: Callable[[Features], Keys]  # "" where the record has no key for this rule
    max_block: int | None = None  # a tighter cap than the default, for keys a whole street can share


def _joined(*columns: Keys) -> Keys:
    """Column-wise "a|b"; "" wherever any part is unknown, so a half key never groups records."""
    joined = columns[0].copy()
    missing = columns[0] == ""
    for column in columns[1:]:
        joined = joined + "|" + column
        missing |= column == ""
    joined[missing] = ""
    return joined


def _first_letters(column: Keys, count: int) -> Keys:
    return np.array([value[:count] for value in column], dtype=object)


_ADDRESS_BLOCK = 30  # a street's neighbours are many; a typed slip of one address is a few records

DEFAULT_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("date_of_birth", lambda f: f.dob),
    BlockingRule("postcode+surname_sound", lambda f: _joined(f.postcode, f.surname_soundex)),
    BlockingRule("postcode+forename_initial", lambda f: _joined(f.postcode, _first_letters(f.forename, 1))),
    BlockingRule("surname_sound+birth_year", lambda f: _joined(f.surname_soundex, _first_letters(f.dob, 4))),
    BlockingRule("forename+surname", lambda f: _joined(f.forename, f.surname)),
    # The two names in either order: registers that put the surname first still meet.
    BlockingRule("names_any_order", lambda f: f.name_pair),
    BlockingRule("house+street", lambda f: _joined(f.house, f.street)),
    # A street's name and the house or the town: addresses typed with a slip elsewhere, lines swapped.
    BlockingRule("house+street_word", lambda f: _joined(f.house, f.street_word)),
    BlockingRule("street_word+town", lambda f: _joined(f.street_word, f.town), max_block=_ADDRESS_BLOCK),
    BlockingRule("street_word+postcode", lambda f: _joined(f.street_word, f.postcode), max_block=_ADDRESS_BLOCK),
    BlockingRule(
        "forename_initial+dob_month", lambda f: _joined(_first_letters(f.forename, 1), _first_letters(f.dob, 6))
    ),
    BlockingRule("email", lambda f: f.email),
    BlockingRule("phone", lambda f: f.phone),
)
DEFAULT_MAX_BLOCK = 200


@dataclass(frozen=True, slots=True)
class Candidates:
    """Candidate pairs as two index arrays, `left[k] < right[k]`, each pair once, sorted."""

    left: IntArray
    right: IntArray
    skipped_blocks: dict[str, int]  # per rule, how many groups were too big to compare

    def __len__(self) -> int:
        return len(self.left)


def candidate_pairs(
    features: Features, rules: tuple[BlockingRule, ...] = DEFAULT_RULES, max_block: int = DEFAULT_MAX_BLOCK
) -> Candidates:
    n = len(features)
    found: list[IntArray] = []
    skipped: dict[str, int] = {}
    for rule in rules:
        cap = min(max_block, rule.max_block) if rule.max_block else max_block
        left, right, too_big = _pairs_within_blocks(rule.key(features), cap)
        skipped[rule.name] = too_big
        found.append(np.minimum(left, right) * n + np.maximum(left, right))
    codes = distinct(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
    return Candidates(left=codes // n, right=codes % n, skipped_blocks=skipped)


def candidate_pairs_touching(
    features: Features,
    new: npt.NDArray[np.bool_],
    rules: tuple[BlockingRule, ...] = DEFAULT_RULES,
    max_block: int = DEFAULT_MAX_BLOCK,
) -> Candidates:
    """The candidate pairs `candidate_pairs` would give that involve at least one `new` record: a day's
    arrivals against a stored population, without building the pairs among the stored records. Each rule
    looks only at the blocks a new record is in (whole, so the block size cap means the same)."""
    n = len(features)
    found: list[IntArray] = []
    skipped: dict[str, int] = {}
    for rule in rules:
        cap = min(max_block, rule.max_block) if rule.max_block else max_block
        keys = rule.key(features)
        wanted = set(keys[new & (keys != "")].tolist())  # a set: numpy's isin on strings is far slower
        in_new_blocks = np.fromiter((key in wanted for key in keys.tolist()), dtype=np.bool_, count=len(keys))
        left, right, too_big = _pairs_within_blocks(np.where(in_new_blocks, keys, ""), cap)
        skipped[rule.name] = too_big
        touching = new[left] | new[right]
        left, right = left[touching], right[touching]
        found.append(np.minimum(left, right) * n + np.maximum(left, right))
    codes = distinct(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
    return Candidates(left=codes // n, right=codes % n, skipped_blocks=skipped)


def distinct(codes: IntArray) -> IntArray:
    """The distinct values, sorted, as `np.unique` gives them: sorting and dropping repeats, because numpy 2's
    `np.unique` hashes first, which on a few million pair codes cost seconds where a sort costs a tenth."""
    ordered = np.sort(codes)
    kept: IntArray = ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered
    return kept


def factorised(keys: Keys) -> IntArray:
    """A number per distinct key, by a dict: numpy sorts strings one Python comparison at a time, so
    `np.unique` on a column of 100,000 keys cost a second where hashing them costs a few hundredths."""
    numbers: dict[str, int] = {}
    return np.fromiter(
        (numbers.setdefault(key, len(numbers)) for key in keys.tolist()), dtype=np.int64, count=len(keys)
    )


def _pairs_within_blocks(keys: Keys, max_block: int) -> tuple[IntArray, IntArray, int]:
    """Every pair of records sharing a key, built a block size at a time with numpy (no per-pair Python)."""
    keyed = np.flatnonzero(keys != "")
    if len(keyed) < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, 0
    codes = factorised(keys[keyed])
    order = np.argsort(codes, kind="stable")
    members = keyed[order]
    starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
    sizes = np.diff(np.r_[starts, len(members)])
    lefts: list[IntArray] = []
    rights: list[IntArray] = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= max_block)]):
        block_starts = starts[sizes == size]
        block = members[block_starts[:, None] + np.arange(size)]  # one row per block of this size
        upper_left, upper_right = np.triu_indices(size, 1)
        lefts.append(block[:, upper_left].ravel())
        rights.append(block[:, upper_right].ravel())
    if not lefts:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, int(np.sum(sizes > max_block))
    return np.concatenate(lefts), np.concatenate(rights), int(np.sum(sizes > max_block))
