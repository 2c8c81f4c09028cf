"""A customer's contact preferences and the messages sent to them (read from the gateway's own store)."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from customer360.domain.customers import GoldenRecord
from customer360.domain.notifications import ContactPreferences
from customer360.resolvers.context import Context
from customer360.resolvers.pagination import Page, paginate
from customer360.store.notifications import SentMessage


async def contact_preferences(info: Info[Context, Any], customer: GoldenRecord) -> ContactPreferences:
    """Kept preferences; until the resident sets them, e-mail to the address their record has."""
    store = info.context.services.notifications
    kept = await store.preferences(customer.customer_id) if store else None
    return kept or ContactPreferences(email=True, sms=False, email_address=customer.email)


async def notifications(
    info: Info[Context, Any], customer_id: str, first: int | None, after: str | None
) -> Page[SentMessage]:
    store = info.context.services.notifications
    sent = await store.by_customer([customer_id]) if store else []
    return paginate(sent, lambda message: (message.created_at.isoformat(), message.id), first, after)
