"""The golden record: one person however many back offices hold them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from customer360.domain.people import PostalAddress
from customer360.domain.systems import SourceSystem

RecordKey = tuple[SourceSystem, str]  # a back-office record: the office, and its id there


@dataclass(frozen=True, slots=True)
class RecordLink:
    """A back-office record tied to a golden record, with how sure we are."""

    system: SourceSystem
    record_id: str
    confidence: float
    rule: str


@dataclass(frozen=True, slots=True)
class GoldenRecord:
    """The surviving value of each field; `*_source` says which back office it came from."""

    customer_id: str
    forenames: str
    surname: str
    email: str | None = None
    email_verified: bool = False
    phone: str | None = None
    date_of_birth: date | None = None
    address: PostalAddress | None = None
    name_source: SourceSystem | None = None
    email_source: SourceSystem | None = None
    phone_source: SourceSystem | None = None
    date_of_birth_source: SourceSystem | None = None
    address_source: SourceSystem | None = None

    @property
    def name(self) -> str:
        return f"{self.forenames} {self.surname}".strip()
