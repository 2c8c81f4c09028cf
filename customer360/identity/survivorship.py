"""Survivorship: which back office's value of each field the golden record shows.

Rule: the most recently verified record that has a value wins (`updated_on`: the day its office
last confirmed the details); between records verified the same day (or with no date), the
source priority decides (`C360_SURVIVORSHIP_PRIORITY`). By default REVENUES comes first because
liability forces it to keep a current address and name; PAYMENTS last because a cardholder name
is typed by whoever holds the card. A system left out of a configured priority ranks after those named.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar

from customer360.domain.customers import GoldenRecord
from customer360.domain.people import PersonRecord, normalise_email, normalise_phone
from customer360.domain.systems import SourceSystem
from customer360.sources.catalogue import SOURCE_PRIORITY

T = TypeVar("T")


def _ranked(records: Sequence[PersonRecord], priority: Sequence[SourceSystem]) -> list[PersonRecord]:
    def rank(system: SourceSystem) -> int:
        return priority.index(system) if system in priority else len(priority)

    return sorted(records, key=lambda r: (-(r.updated_on or date.min).toordinal(), rank(r.system)))


def _first(
    records: Sequence[PersonRecord], value: Callable[[PersonRecord], T | None]
) -> tuple[T | None, SourceSystem | None]:
    for record in records:
        found = value(record)
        if found:
            return found, record.system
    return None, None


def golden_record(
    customer_id: str, records: Sequence[PersonRecord], priority: Sequence[SourceSystem] = SOURCE_PRIORITY
) -> GoldenRecord:
    ranked = _ranked(records, priority)
    # A name is taken whole from one record so forenames and surname never mix offices.
    named = next((r for r in ranked if r.surname), ranked[0])
    verified = [r for r in ranked if r.email_verified and normalise_email(r.email)]
    email, email_source = _first(verified or ranked, lambda r: normalise_email(r.email))
    phone, phone_source = _first(ranked, lambda r: normalise_phone(r.phone))
    dob, dob_source = _first(ranked, lambda r: r.date_of_birth)
    address, address_source = _first(ranked, lambda r: r.address)
    return GoldenRecord(
        customer_id=customer_id,
        forenames=named.forenames,
        surname=named.surname,
        name_source=named.system,
        email=email,
        email_verified=bool(verified),
        email_source=email_source,
        phone=phone,
        phone_source=phone_source,
        date_of_birth=dob,
        date_of_birth_source=dob_source,
        address=address,
        address_source=address_source,
    )
