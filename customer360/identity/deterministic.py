"""Deterministic linking: the exact rules the golden record starts from.

Two rules, each strong enough to link on its own:
- the same normalised email, where at least one of the two offices has verified it;
- the same date of birth, surname and postcode, with compatible forenames (so twins, who
  share the first three, stay apart, and Bob still meets Robert).
Probabilistic matching (a later stage) adds links these rules cannot see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from customer360.domain.people import PersonRecord, normalise_email, normalise_name, normalise_postcode
from customer360.identity.names import forenames_compatible

EMAIL_RULE = "verified_email"
DOB_SURNAME_POSTCODE_RULE = "dob_surname_postcode"
RULE_CONFIDENCE = {EMAIL_RULE: 1.0, DOB_SURNAME_POSTCODE_RULE: 0.95}


@dataclass(frozen=True, slots=True)
class LinkedCluster:
    """Records judged to be one person; `rules[i]` says how records[i] joined (None: the first)."""

    records: tuple[PersonRecord, ...]
    rules: tuple[str | None, ...]


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return False
        self.parent[max(root_a, root_b)] = min(root_a, root_b)
        return True


def link_records(records: Sequence[PersonRecord]) -> list[LinkedCluster]:
    """Cluster records by the two rules. Cost grows with the size of each block, not n²."""
    union = _UnionFind(len(records))
    joined_by: dict[int, str] = {}

    def join(a: int, b: int, rule: str) -> None:
        # Both ends remember the first rule that tied them in; only a cluster's first record has none.
        if union.union(a, b):
            joined_by.setdefault(a, rule)
            joined_by.setdefault(b, rule)

    for block in _email_blocks(records).values():
        verified = [i for i in block if records[i].email_verified]
        if verified:
            for i in block:
                join(verified[0], i, EMAIL_RULE)
    for block in _dob_surname_postcode_blocks(records).values():
        for position, i in enumerate(block):
            for j in block[position + 1 :]:
                if forenames_compatible(records[i].forenames, records[j].forenames):
                    join(i, j, DOB_SURNAME_POSTCODE_RULE)

    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(records)):
        members[union.find(i)].append(i)
    return [
        LinkedCluster(
            records=tuple(records[i] for i in indexes),
            rules=tuple(joined_by.get(i) if i != indexes[0] else None for i in indexes),
        )
        for indexes in members.values()
    ]


def _email_blocks(records: Sequence[PersonRecord]) -> dict[str, list[int]]:
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, record in enumerate(records):
        email = normalise_email(record.email)
        if email:
            blocks[email].append(i)
    return blocks


def _dob_surname_postcode_blocks(records: Sequence[PersonRecord]) -> dict[tuple[str, str, str], list[int]]:
    blocks: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, record in enumerate(records):
        postcode = normalise_postcode(record.address.postcode if record.address else None)
        if record.date_of_birth and postcode and record.surname:
            blocks[(record.date_of_birth.isoformat(), normalise_name(record.surname), postcode)].append(i)
    return blocks
