"""A data steward's corrections to the golden record: the rules, as pure functions.

- Merging moves every record of one customer to another; the merged customer is kept (marked
  merged) so the merge can be undone.
- Unmerging splits named records off a customer. When those records came from one earlier merge
  (records linked since, made for that person while merged, go along), that customer is restored,
  so a wrong merge is undone precisely (same id, same records, same requests); otherwise the records
  become a new customer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum

from customer360.domain.customers import RecordKey
from customer360.domain.problems import Problem


class StewardCode(StrEnum):
    SAME_CUSTOMER = "SAME_CUSTOMER"
    ALREADY_MERGED = "ALREADY_MERGED"
    ALREADY_DECIDED = "ALREADY_DECIDED"
    NOT_LINKED = "NOT_LINKED"
    WOULD_EMPTY = "WOULD_EMPTY"
    NOTHING_TO_SPLIT = "NOTHING_TO_SPLIT"
    CHANGED_MEANWHILE = "CHANGED_MEANWHILE"


def merge_problems(survivor_id: str, merged_id: str) -> list[Problem]:
    if survivor_id == merged_id:
        return [Problem(("input", "mergedId"), StewardCode.SAME_CUSTOMER, "A customer cannot be merged into itself")]
    return []


def unmerge_problems(linked: Collection[RecordKey], requested: Sequence[RecordKey]) -> list[Problem]:
    """Split off at least one record, only records this customer holds, and never all of them."""
    field = ("input", "linkedRecordIds")
    if not requested:
        return [Problem(field, StewardCode.NOTHING_TO_SPLIT, "Choose the linked records to split off")]
    strangers = [key for key in requested if key not in linked]
    if strangers:
        system, record_id = strangers[0]
        return [
            Problem(field, StewardCode.NOT_LINKED, f"{system.value} record {record_id} is not linked to this customer")
        ]
    if set(linked) <= set(requested):
        return [Problem(field, StewardCode.WOULD_EMPTY, "Leave at least one record with the customer")]
    return []


def restored_customer(
    requested: Sequence[RecordKey], previous_owner: Mapping[RecordKey, str], merged_here: Collection[str]
) -> str | None:
    """The customer an unmerge brings back: the one every requested record that had an owner before was
    linked to, if that customer was merged into this one. Records linked since (a contact made for that
    person's request after the merge) have no earlier owner and go along. None: a new customer."""
    owners = {previous_owner[key] for key in requested if key in previous_owner}
    if len(owners) != 1:
        return None
    (owner,) = owners
    return owner if owner in merged_here else None


def survivor_of(first: tuple[str, int], second: tuple[str, int]) -> tuple[str, str]:
    """Which of two customers (id, number of linked records) survives a confirmed match: the one
    holding more records (fewer residents see their id change), ties to the smaller id."""
    ordered = sorted((first, second), key=lambda c: (-c[1], c[0]))
    return ordered[0][0], ordered[1][0]
