"""GOV.UK Notify through its official client (`notifications-python-client`).

The client is synchronous (requests), so each call runs in a worker thread; a client per call, as
the client is not thread-safe. Notify answers 400 for an address or number it will never send to
(`NotifyRefused`: a permanent failure of that address), 403 for a bad key, 429 when over its rate
limit and 5xx when it is in trouble: those are outages (`SourceUnavailable`), sent again later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient
from opentelemetry.trace import SpanKind

from customer360 import tracing
from customer360.domain.notifications import NOTIFY, Channel
from customer360.sources.errors import SourceUnavailable

TIMEOUT_SECONDS = 10
NOTIFY_API_URL = "https://api.notifications.service.gov.uk"


class NotifyRefused(Exception):
    """Notify will not send to this address (it answered 400): try another channel."""


@dataclass(frozen=True, slots=True)
class NotifyMessage:
    id: str
    channel: Channel
    recipient: str
    subject: str | None
    body: str
    status: str


@dataclass(frozen=True)
class NotifyTemplates:
    email: str
    sms: str


class GovukNotify:
    def __init__(self, api_key: str, base_url: str, templates: NotifyTemplates) -> None:
        self._api_key = api_key
        self.base_url = base_url
        self._templates = templates

    async def send(self, channel: Channel, recipient: str, personalisation: Mapping[str, str], reference: str) -> str:
        """Send one message; Notify's id for it."""

        def call(client: NotificationsAPIClient) -> Any:
            if channel is Channel.EMAIL:
                return client.send_email_notification(  # type: ignore[no-untyped-call]
                    email_address=recipient,
                    template_id=self._templates.email,
                    personalisation=dict(personalisation),
                    reference=reference,
                )
            return client.send_sms_notification(  # type: ignore[no-untyped-call]
                phone_number=recipient,
                template_id=self._templates.sms,
                personalisation=dict(personalisation),
                reference=reference,
            )

        answer = await self._call(call, "send", refusable=True)
        return str(answer["id"])

    async def sent_with_reference(self, reference: str) -> list[NotifyMessage]:
        """What Notify holds under a reference (every message of one request), newest first."""
        answer = await self._call(
            lambda client: client.get_all_notifications(reference=reference), "sent_with_reference", refusable=False
        )
        return [
            NotifyMessage(
                id=item["id"],
                channel=Channel.EMAIL if item["type"] == "email" else Channel.SMS,
                recipient=item.get("email_address") or item.get("phone_number") or "",
                subject=item.get("subject"),
                body=item.get("body") or "",
                status=item.get("status") or "",
            )
            for item in answer.get("notifications", [])
        ]

    async def _call(self, call: Any, operation: str, *, refusable: bool) -> Any:
        attributes = {"c360.source.system": NOTIFY, "c360.source.operation": operation}
        with tracing.span(f"{NOTIFY} {operation}", attributes, kind=SpanKind.CLIENT):
            return await self._run(call, refusable=refusable, traced=tracing.outgoing_headers())

    async def _run(self, call: Any, *, refusable: bool, traced: dict[str, str]) -> Any:
        def run() -> Any:
            client = NotificationsAPIClient(self._api_key, base_url=self.base_url, timeout=TIMEOUT_SECONDS)  # type: ignore[no-untyped-call]
            client.request_session.headers.update(traced)  # the trace's `traceparent`, while tracing is on
            try:
                return call(client)
            finally:
                client.request_session.close()

        try:
            return await asyncio.to_thread(run)
        except APIError as error:
            status = error.status_code
            if refusable and status == 400:
                raise NotifyRefused(f"Notify refused the message ({status})") from None
            raise SourceUnavailable(NOTIFY, f"Notify answered {status}") from None
