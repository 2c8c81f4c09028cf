"""The demo payment provider's webhooks, shaped and signed as GOV.UK Pay's.

GOV.UK Pay (alphagov/pay-webhooks) POSTs a JSON message to the service's callback URL after a payment
event:

    {"webhook_message_id", "created_date", "resource_id", "api_version": 1, "resource_type": "payment",
     "event_type": "card_payment_succeeded", "resource": <the payment as GET /v1/payments/{id} shows it>}

with the header `Pay-Signature`: the lower-case hex HMAC-SHA256 of the raw body, keyed with the webhook's
signing secret. Its event types include `card_payment_succeeded` and `card_payment_failed`; a payment
the paying user cancels is `card_payment_failed` too (there is no `card_payment_cancelled`), so a receiver
tells a decline from a cancellation by `resource.state`.

A demo twist: each message is sent `copies` times at once (0 drops it), so the gateway meets duplicate,
concurrent and lost webhooks on purpose. Delivery is fire-and-forget in a background task, and a failed
delivery is logged and dropped: a lost webhook is exactly what the gateway's reconciliation is for.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from customer360.demo.payments_resource import new_external_id, pay_time

log = logging.getLogger("customer360.demo.payments.webhooks")

API_VERSION = 1
# GOV.UK Pay's event type for each final state the hosted page can reach.
EVENT_TYPES = {
    "success": "card_payment_succeeded",
    "failed": "card_payment_failed",
    "cancelled": "card_payment_failed",
    "error": "card_payment_failed",
}
# GOV.UK Pay gives a callback URL a few seconds; a demo receiver on loopback needs far less.
DELIVERY_TIMEOUT_SECONDS = 10.0


def webhook_message(payment: Mapping[str, Any], happened_at: datetime) -> dict[str, Any]:
    """The message for a payment that has just reached a final state (`payment` as the API shows it)."""
    return {
        "webhook_message_id": new_external_id(),
        "created_date": pay_time(happened_at),
        "resource_id": payment["payment_id"],
        "api_version": API_VERSION,
        "resource_type": "payment",
        "event_type": EVENT_TYPES[payment["state"]["status"]],
        "resource": dict(payment),
    }


def sign(body: bytes, secret: bytes) -> str:
    """`Pay-Signature`: lower-case hex HMAC-SHA256 of the exact bytes sent."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


class WebhookSender:
    """Sends each settled payment's webhook in the background; `drain()` waits for what is in flight."""

    def __init__(self, url: str | None, secret: bytes | None, copies: int = 1) -> None:
        if copies < 0:
            raise ValueError("webhook_copies cannot be negative")
        if url and not secret:
            raise ValueError("a webhook_url needs a webhook_secret to sign its messages with")
        self._url = url
        self._secret = secret or b""
        self._copies = copies
        # Strong references: the event loop only keeps weak ones, and a collected task is a lost webhook.
        self._in_flight: set[asyncio.Task[None]] = set()

    @property
    def enabled(self) -> bool:
        return bool(self._url) and self._copies > 0

    @property
    def url(self) -> str | None:
        return self._url

    def send_to(self, url: str) -> None:
        """Webhooks from now on go to `url`: the gateway says where it is when it starts (`PUT /gateway`)."""
        if not self._secret:
            raise ValueError("a webhook_url needs a webhook_secret to sign its messages with")
        self._url = url

    def payment_settled(self, payment: Mapping[str, Any], happened_at: datetime) -> None:
        """Schedule the webhook for a payment that has just finished; returns at once."""
        if not self.enabled:
            return
        message = webhook_message(payment, happened_at)
        # Signed once and sent byte for byte: every copy is the same message, as a redelivery would be.
        body = json.dumps(message, separators=(",", ":")).encode()
        task = asyncio.create_task(self._deliver(message["webhook_message_id"], body, sign(body, self._secret)))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def drain(self) -> None:
        """Wait until every scheduled webhook has been delivered or given up on (tests, shutdown)."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _deliver(self, message_id: str, body: bytes, signature: str) -> None:
        assert self._url is not None
        headers = {"Content-Type": "application/json", "Pay-Signature": signature}
        async with httpx.AsyncClient(timeout=DELIVERY_TIMEOUT_SECONDS) as client:
            outcomes = await asyncio.gather(
                *(
                    self._post(client, self._url, body, headers, message_id, copy)
                    for copy in range(1, self._copies + 1)
                ),
                return_exceptions=True,
            )
        # Nobody awaits this task in production, so anything unexpected is logged here or never seen.
        for copy, outcome in enumerate(outcomes, start=1):
            if isinstance(outcome, BaseException):
                log.error("webhook %s (copy %d) failed: %s", message_id, copy, type(outcome).__name__)

    @staticmethod
    async def _post(
        client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], message_id: str, copy: int
    ) -> None:
        # Logged by message id and error type only: the body and the URL may carry personal data.
        try:
            response = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("webhook %s (copy %d) not delivered: %s", message_id, copy, type(exc).__name__)
            return
        if not response.is_success:
            log.warning("webhook %s (copy %d) refused with HTTP %d", message_id, copy, response.status_code)
