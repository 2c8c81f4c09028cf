"""Residents' contact preferences and the messages sent to them (one row per request, event and channel)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from customer360.domain.notifications import Channel, ContactPreferences, DeliveryStatus
from customer360.store.tables import contact_preferences, notifications
from customer360.store.times import as_utc
from customer360.tracing import traced_methods


@dataclass(frozen=True, slots=True)
class SentMessage:
    id: int
    customer_id: str | None
    reference: str
    event_key: str
    channel: Channel
    recipient: str
    subject: str
    body: str
    notify_id: str | None
    status: DeliveryStatus
    created_at: datetime
    sent_at: datetime | None


@traced_methods("notifications")
class NotificationStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def preferences(self, customer_id: str) -> ContactPreferences | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(contact_preferences).where(contact_preferences.c.customer_id == customer_id))
            ).first()
        if row is None:
            return None
        return ContactPreferences(
            email=row.email,
            sms=row.sms,
            email_address=row.email_address,
            mobile=row.mobile,
            email_failed=row.email_failed,
            mobile_failed=row.mobile_failed,
        )

    async def save_preferences(self, customer_id: str, preferences: ContactPreferences, now: datetime) -> None:
        values = {
            "email": preferences.email,
            "sms": preferences.sms,
            "email_address": preferences.email_address,
            "mobile": preferences.mobile,
            "email_failed": preferences.email_failed,
            "mobile_failed": preferences.mobile_failed,
            "updated_at": now,
        }
        async with self._engine.begin() as conn:
            changed = await conn.execute(
                update(contact_preferences).where(contact_preferences.c.customer_id == customer_id).values(**values)
            )
            if changed.rowcount == 0:
                try:
                    async with conn.begin_nested():
                        await conn.execute(insert(contact_preferences).values(customer_id=customer_id, **values))
                except IntegrityError:  # a concurrent first save won: this one's answers replace it
                    await conn.execute(
                        update(contact_preferences)
                        .where(contact_preferences.c.customer_id == customer_id)
                        .values(**values)
                    )

    async def address_failed(self, customer_id: str, channel: Channel, recipient: str, now: datetime) -> bool:
        """Notify failed for good to `recipient`: that channel is failed while it is still the address
        kept (a resident who has since given another one is not penalised). True if it was marked."""
        if channel is Channel.EMAIL:
            column, flag = contact_preferences.c.email_address, "email_failed"
        else:
            column, flag = contact_preferences.c.mobile, "mobile_failed"
        async with self._engine.begin() as conn:
            changed = await conn.execute(
                update(contact_preferences)
                .where(contact_preferences.c.customer_id == customer_id, column == recipient)
                .values(**{flag: True}, updated_at=now)
            )
            if changed.rowcount:
                return True
            # No preferences kept yet: the address was the golden record's; keep the failure against it.
            try:
                async with conn.begin_nested():
                    await conn.execute(
                        insert(contact_preferences).values(
                            customer_id=customer_id,
                            email=True,
                            sms=False,
                            email_address=recipient if channel is Channel.EMAIL else None,
                            mobile=recipient if channel is Channel.SMS else None,
                            email_failed=channel is Channel.EMAIL,
                            mobile_failed=channel is Channel.SMS,
                            updated_at=now,
                        )
                    )
            except IntegrityError:
                return False
        return True

    async def begin(self, message: SentMessage) -> tuple[SentMessage, bool]:
        """Keep a message about to be sent; (the kept one, True if this call made it). A second call for
        the same (reference, event, channel) gets the first row back: it may already have been sent."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(notifications).values(
                        customer_id=message.customer_id,
                        reference=message.reference,
                        event_key=message.event_key,
                        channel=message.channel.value,
                        recipient=message.recipient,
                        subject=message.subject[:200],
                        body=message.body,
                        status=DeliveryStatus.CREATED.value,
                        created_at=message.created_at,
                    )
                )
            made = True
        except IntegrityError:
            made = False
        kept = await self._one(message.reference, message.event_key, message.channel)
        return kept, made

    async def mark_sent(self, message_id: int, notify_id: str, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(notifications)
                .where(notifications.c.id == message_id, notifications.c.notify_id.is_(None))
                .values(notify_id=notify_id, status=DeliveryStatus.SENDING.value, sent_at=now, status_at=now)
            )

    async def mark_refused(self, message_id: int, now: datetime) -> None:
        """Notify refused the address outright (a 400): as good as a permanent failure."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(notifications)
                .where(notifications.c.id == message_id)
                .values(status=DeliveryStatus.PERMANENT_FAILURE.value, status_at=now)
            )

    async def record_status(self, notify_id: str, status: DeliveryStatus, now: datetime) -> SentMessage | None:
        """A delivery receipt; the message it is about, or None when it is not one of ours. A final
        status is never overwritten by a late `sending` (receipts may arrive out of order)."""
        async with self._engine.begin() as conn:
            query = update(notifications).where(notifications.c.notify_id == notify_id)
            if status is DeliveryStatus.SENDING:
                query = query.where(notifications.c.status == DeliveryStatus.CREATED.value)
            await conn.execute(query.values(status=status.value, status_at=now))
            row = (await conn.execute(select(notifications).where(notifications.c.notify_id == notify_id))).first()
        return _message(row) if row else None

    async def by_customer(self, customer_ids: Sequence[str]) -> list[SentMessage]:
        """Every message sent to these customers (a golden record and those merged into it), newest first."""
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(notifications)
                    .where(notifications.c.customer_id.in_(list(customer_ids)))
                    .order_by(notifications.c.created_at.desc(), notifications.c.id.desc())
                )
            ).all()
        return [_message(row) for row in rows]

    async def _one(self, reference: str, event_key: str, channel: Channel) -> SentMessage:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(
                    select(notifications).where(
                        notifications.c.reference == reference,
                        notifications.c.event_key == event_key,
                        notifications.c.channel == channel.value,
                    )
                )
            ).one()
        return _message(row)


def _message(row: Any) -> SentMessage:
    return SentMessage(
        id=row.id,
        customer_id=row.customer_id,
        reference=row.reference,
        event_key=row.event_key,
        channel=Channel(row.channel),
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        notify_id=row.notify_id,
        status=DeliveryStatus(row.status),
        created_at=as_utc(row.created_at),
        sent_at=as_utc(row.sent_at) if row.sent_at else None,
    )
