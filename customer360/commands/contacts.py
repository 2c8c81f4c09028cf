"""The person a delivery files a request under: the details a submission carries so a back office that
has never met the resident can create them, and the key that makes that creation happen once."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from customer360.commands.delivery import DeliveryTools
from customer360.domain.customers import GoldenRecord
from customer360.domain.people import NewContact, PersonRecord, PostalAddress
from customer360.domain.systems import SourceSystem
from customer360.store.outbox import OutboxItem


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


def person_key(customer_id: str | None, reference: str, role: str) -> str:
    """The key a back office keeps on a person customer360 creates there (so asking again finds them).

    Per customer, not per request: a delivery that created the person but died before linking
    them leaves a record that the customer's next delivery, whichever request it carries, finds
    instead of making a second. An anonymous request keys the person by its own reference.
    """
    if customer_id is None:
        return f"{reference}/{role}"
    return f"C360P-{hashlib.blake2b(customer_id.encode(), digest_size=16).hexdigest()}"


async def crm_contact_for(
    tools: DeliveryTools, item: OutboxItem, details: ContactDetails
) -> tuple[str, PersonRecord | None]:
    """The customer's CRM contact, created (once, whatever the retries) if the CRM has none."""
    known = await tools.record_in(item.customer_id, SourceSystem.CRM)
    if known:
        return known, None
    contact = details.new_contact(person_key(item.customer_id, item.reference, "contact"), datetime.now(UTC))
    contact_id = await tools.sources.crm.create_contact(contact)
    return contact_id, contact.as_record(SourceSystem.CRM, contact_id)
