"""How a resident is told: contact preferences and the messages sent (GOV.UK Notify)."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from customer360.domain.notifications import Channel, DeliveryStatus
from customer360.domain.notifications import ContactPreferences as PreferencesRecord
from customer360.schema.values import PageInfo
from customer360.store.notifications import SentMessage

strawberry.enum(Channel, name="MessageChannel")
strawberry.enum(DeliveryStatus, name="MessageStatus")


@strawberry.type(description="How the resident wants to be told of their requests' progress.")
class ContactPreferences:
    email: bool
    sms: bool
    email_address: str | None
    mobile: str | None
    email_failed: bool = strawberry.field(description="GOV.UK Notify could not deliver to this address, for good.")
    mobile_failed: bool = strawberry.field(description="GOV.UK Notify could not deliver to this number, for good.")

    @classmethod
    def from_record(cls, record: PreferencesRecord) -> Self:
        return cls(
            email=record.email,
            sms=record.sms,
            email_address=record.email_address,
            mobile=record.mobile,
            email_failed=record.email_failed,
            mobile_failed=record.mobile_failed,
        )


@strawberry.type(description="A message sent to the resident about one of their requests.")
class Notification:
    id: strawberry.ID
    channel: Channel
    subject: str
    reference: str = strawberry.field(description="The request's C360- reference.")
    sent_at: datetime | None
    status: DeliveryStatus

    @classmethod
    def from_record(cls, record: SentMessage) -> Self:
        return cls(
            id=strawberry.ID(str(record.id)),
            channel=record.channel,
            subject=record.subject,
            reference=record.reference,
            sent_at=record.sent_at,
            status=record.status,
        )


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo
    total_count: int
