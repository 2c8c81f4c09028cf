"""The person a delivery files a request under (the details a submission keeps of them are
`domain/contacts.py` `ContactDetails`): the key that makes creating them happen once, and the CRM contact."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from customer360.commands.delivery import DeliveryTools
from customer360.domain.contacts import ContactDetails
from customer360.domain.people import PersonRecord
from customer360.domain.systems import SourceSystem
from customer360.store.outbox import OutboxItem


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
