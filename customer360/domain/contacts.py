"""The details a submission keeps of the person it is for, so a back office that has never met the
resident can create them (the write side keeps them; deliveries and My Requests read them back)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from customer360.domain.customers import GoldenRecord
from customer360.domain.people import NewContact, PostalAddress


@dataclass(frozen=True)
class ContactDetails:
    """Kept in a submission's payload under "contact" (the keys are the stored rows', so never renamed)."""

    forenames: str
    surname: str
    email: str | None = None
    email_verified: bool = False
    phone: str | None = None
    date_of_birth: date | None = None
    address: PostalAddress | None = None

    @classmethod
    def of_customer(cls, customer: GoldenRecord) -> ContactDetails:
        return cls(
            forenames=customer.forenames,
            surname=customer.surname,
            email=customer.email,
            email_verified=customer.email_verified,
            phone=customer.phone,
            date_of_birth=customer.date_of_birth,
            address=customer.address,
        )

    def as_payload(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "address": asdict(self.address) if self.address else None,
        }

    @classmethod
    def of_payload(cls, kept: dict[str, Any]) -> ContactDetails:
        born, address = kept.get("date_of_birth"), kept.get("address")
        return cls(
            forenames=kept["forenames"],
            surname=kept["surname"],
            email=kept.get("email"),
            email_verified=bool(kept.get("email_verified")),
            phone=kept.get("phone"),
            date_of_birth=date.fromisoformat(born) if born else None,
            address=PostalAddress(**address) if address else None,
        )

    def new_contact(self, external_reference: str, created_at: datetime) -> NewContact:
        return NewContact(
            external_reference=external_reference,
            forenames=self.forenames,
            surname=self.surname,
            created_at=created_at,
            email=self.email,
            email_verified=self.email_verified,
            phone=self.phone,
            date_of_birth=self.date_of_birth,
            address=self.address,
        )
