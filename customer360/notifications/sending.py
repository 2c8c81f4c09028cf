"""Sending a message: the outbox handler of `notify:<event key>` rows.

One outbox row per (request, event) is kept with whatever made the event (a request made, a change
read from a back office), so the event is told whatever crashes after. The handler picks the
channels then, from the resident's preferences as they are now, and sends each message once: a
`notifications` row per (request, event, channel) is written before Notify is called, and a retry that
finds that row unsent asks Notify what it holds under the request's reference before sending again.
So a crash between Notify's answer and our record of it never makes a second message.

A channel Notify refuses for good (a 400 now, or a `permanent-failure` receipt later) is marked failed,
shown to the resident and staff, and the next message goes by the other channel when there is one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from customer360.commands.delivery import Delivered, DeliveryTools, Handler
from customer360.domain.notifications import (
    NOTIFY_STATUSES,
    Channel,
    ContactPreferences,
    DeliveryStatus,
    MessageKind,
    channels_for,
    message_for,
    valid_email,
)
from customer360.domain.requests import RequestStatus
from customer360.sources.govuk_notify import GovukNotify, NotifyRefused
from customer360.store.customers import CustomerStore
from customer360.store.notifications import NotificationStore, SentMessage
from customer360.store.outbox import NewDelivery, OutboxItem, OutboxStore

log = logging.getLogger("customer360.notifications")


async def tell(outbox: OutboxStore, reference: str, customer_id: str | None, delivery: NewDelivery) -> int | None:
    """Keep the row (at most once per request and event); its id, or None when it was kept before."""
    return await outbox.enqueue(reference, customer_id, delivery, datetime.now(UTC))


@dataclass
class Messenger:
    store: NotificationStore
    customers: CustomerStore
    notify: GovukNotify | None  # None: no Notify configured, nothing is sent (and that is logged)
    portal_url: str

    def handler(self) -> Handler:
        async def handle(_tools: DeliveryTools, item: OutboxItem) -> Delivered:
            return await self.deliver(item)

        return handle

    async def deliver(self, item: OutboxItem) -> Delivered:
        event_key = item.operation.split(":", 1)[1]
        payload = item.payload
        message = message_for(
            MessageKind(payload["kind"]),
            payload.get("service_name", ""),
            RequestStatus(payload["status"]) if payload.get("status") else None,
            payload.get("note"),
        )
        customer_id = await self._live(item.customer_id)
        if self.notify is None:
            log.warning("message %s of %s not sent: GOV.UK Notify is not configured", event_key, item.reference)
            return Delivered("not sent")
        sent = 0
        tried: set[Channel] = set()
        while True:
            channels = [c for c in await self._channels(customer_id, payload) if c[0] not in tried]
            if not channels:
                break
            for channel, recipient in channels:
                tried.add(channel)
                if await self._send_once(
                    item, customer_id, event_key, channel, recipient, message.subject, message.body
                ):
                    sent += 1
            if sent or not customer_id:
                break  # sent, or nobody to fall back for; else a refused channel falls back to the other
        return Delivered(f"sent {sent}")

    async def _channels(self, customer_id: str | None, payload: Mapping[str, Any]) -> list[tuple[Channel, str]]:
        if "contact_email" in payload:  # a safeguarding reporter's own address, and only that
            address = str(payload["contact_email"])
            return [(Channel.EMAIL, address)] if valid_email(address) else []
        if customer_id is None:
            return []
        preferences = await self.preferences(customer_id)
        addresses = {Channel.EMAIL: preferences.email_address, Channel.SMS: preferences.mobile}
        return [(channel, addresses[channel] or "") for channel in channels_for(preferences)]

    async def preferences(self, customer_id: str) -> ContactPreferences:
        """Kept preferences, else e-mail to the golden record's address (the portal's sign-in address)."""
        kept = await self.store.preferences(customer_id)
        if kept is not None:
            return kept
        golden = (await self.customers.customers_by_id([customer_id])).get(customer_id)
        return ContactPreferences(email=True, sms=False, email_address=golden.email if golden else None)

    async def _send_once(
        self,
        item: OutboxItem,
        customer_id: str | None,
        event_key: str,
        channel: Channel,
        recipient: str,
        subject: str,
        body: str,
    ) -> bool:
        """True when the message is with Notify (now, or from an earlier attempt)."""
        assert self.notify is not None
        now = datetime.now(UTC)
        kept, made = await self.store.begin(
            SentMessage(
                0,
                customer_id,
                item.reference,
                event_key,
                channel,
                recipient,
                subject,
                body,
                None,
                DeliveryStatus.CREATED,
                now,
                None,
            )
        )
        if kept.notify_id:
            return True
        if kept.status is not DeliveryStatus.CREATED:
            return False  # refused before: not sent again
        if not made:  # an earlier attempt may have reached Notify and died before recording it
            for found in await self.notify.sent_with_reference(item.reference):
                if found.channel is channel and found.recipient == kept.recipient and kept.body in found.body:
                    await self.store.mark_sent(kept.id, found.id, now)
                    return True
        personalisation = {
            "subject": kept.subject,
            "body": kept.body,
            "reference": item.reference,
            "link": f"{self.portal_url}/my-requests/{item.reference}",  # the portal's page of the request
        }
        try:
            notify_id = await self.notify.send(channel, kept.recipient, personalisation, item.reference)
        except NotifyRefused:
            await self.store.mark_refused(kept.id, now)
            if customer_id:
                await self.store.address_failed(customer_id, channel, kept.recipient, now)
            log.warning("message %s of %s refused by Notify on %s", event_key, item.reference, channel.value)
            return False
        await self.store.mark_sent(kept.id, notify_id, datetime.now(UTC))
        return True

    async def _live(self, customer_id: str | None) -> str | None:
        """The customer a request's messages go to: whoever it was merged into, if it was."""
        if customer_id is None:
            return None
        return await self.customers.merged_into(customer_id) or customer_id

    async def on_receipt(self, notify_id: str, notify_status: str) -> bool:
        """A delivery receipt from Notify; False when the message is not ours. A permanent failure
        marks the address failed (the next message falls back to the other channel)."""
        status = NOTIFY_STATUSES.get(notify_status)
        if status is None:
            return True  # a status we do not track: acknowledged, nothing to change
        now = datetime.now(UTC)
        message = await self.store.record_status(notify_id, status, now)
        if message is None:
            return False
        if status is DeliveryStatus.PERMANENT_FAILURE and message.customer_id:
            await self.store.address_failed(message.customer_id, message.channel, message.recipient, now)
            log.warning(
                "a message of %s failed for good on %s: that channel is marked failed",
                message.reference,
                message.channel,
            )
        return True
