"""updateContactPreferences: how a resident wants to be told (e-mail, text, both or neither)."""

from __future__ import annotations

from datetime import UTC, datetime

from customer360.domain.customers import GoldenRecord
from customer360.domain.notifications import ContactPreferences, checked_preferences
from customer360.domain.problems import CommonCode, Problem
from customer360.store.notifications import NotificationStore


async def update_contact_preferences(
    store: NotificationStore,
    customer: GoldenRecord | None,
    *,
    email: bool,
    sms: bool,
    email_address: str | None,
    mobile: str | None,
) -> ContactPreferences | list[Problem]:
    """Saved whole (the last answer wins, so a repeat is harmless); a changed address clears its failure."""
    if customer is None:
        return [Problem(None, CommonCode.NOT_SIGNED_IN, "Sign in to choose how we contact you")]
    kept = await store.preferences(customer.customer_id)
    kept = kept or ContactPreferences(email=True, sms=False, email_address=customer.email)
    checked = checked_preferences(email, sms, email_address, mobile, kept)
    if isinstance(checked, list):
        return checked
    await store.save_preferences(customer.customer_id, checked, datetime.now(UTC))
    return checked
