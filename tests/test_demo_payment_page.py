"""The demo payment provider's hosted page and its GOV.UK Pay-shaped webhooks, over real loopback HTTP.

A small Starlette receiver on another loopback port stands in for the gateway's `POST /webhooks/payments`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from customer360.demo import payments_db, street_scene_db
from customer360.demo.backoffice_server import create_demo_backoffice_app, listening_socket, serve_on_loopback
from customer360.demo.payments_app import create_payments_app
from customer360.demo.payments_webhooks import WebhookSender
from tests.support import free_port

API_KEY = "test-api-key"
SECRET = b"webhook-signing-secret"
RETURN_URL = "https://portal.example/payments/done?ref=CT-123456"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
NEW_PAYMENT = {
    "amount": 123456,
    "reference": "CT-123456",
    "description": "Council Tax <instalment> & arrears",
    "return_url": RETURN_URL,
    "email": "eve@example.org",
    "metadata": {"purpose": "COUNCIL_TAX", "account_reference": "CT-123456"},
}
WEBHOOK_KEYS = {
    "webhook_message_id",
    "created_date",
    "resource_id",
    "api_version",
    "resource_type",
    "event_type",
    "resource",
}


@dataclass
class Receiver:
    """Records each webhook as it arrived: headers and the raw body (what the signature covers)."""

    url: str = ""
    received: list[tuple[httpx.Headers, bytes]] = field(default_factory=list)
    answer: int = 200
    hold: asyncio.Event | None = None  # when set, each delivery waits for it

    async def endpoint(self, request: Request) -> Response:
        self.received.append((httpx.Headers(request.headers.raw), await request.body()))
        if self.hold is not None:
            await self.hold.wait()
        return Response(status_code=self.answer)

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@dataclass
class Provider:
    base_url: str
    app: Starlette
    client: httpx.AsyncClient

    async def create(self, **changes: Any) -> dict[str, Any]:
        response = await self.client.post(f"{self.base_url}/v1/payments", json={**NEW_PAYMENT, **changes}, headers=AUTH)
        assert response.status_code == 201
        return dict(response.json())

    async def fetch(self, payment_id: str) -> dict[str, Any]:
        return dict((await self.client.get(f"{self.base_url}/v1/payments/{payment_id}", headers=AUTH)).json())

    def page(self, payment_id: str) -> str:
        return f"{self.base_url}/pay/{payment_id}"

    async def drain(self) -> None:
        await self.app.state.webhooks.drain()


ProviderFactory = Callable[..., AbstractAsyncContextManager[Provider]]


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'payments.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(payments_db.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/webhooks/payments", receiver.endpoint, methods=["POST"])])
    async with serve_on_loopback(app) as url:
        receiver.url = f"{url}/webhooks/payments"
        yield receiver


@pytest.fixture
def provider(engine: AsyncEngine, receiver: Receiver) -> ProviderFactory:
    """The provider served on loopback; its public URL is where it is served, so `next_url` is followable."""

    @asynccontextmanager
    async def serve(copies: int = 1, webhook_url: str | None = None) -> AsyncIterator[Provider]:
        listener = listening_socket("127.0.0.1", 0)  # bound first: its port is the app's public URL
        port = listener.getsockname()[1]
        app = create_payments_app(
            engine,
            public_url=f"http://127.0.0.1:{port}",
            api_key=API_KEY,
            webhook_url=webhook_url or receiver.url,
            webhook_secret=SECRET,
            webhook_copies=copies,
        )
        async with serve_on_loopback(app, listener=listener) as url, httpx.AsyncClient(timeout=10) as client:
            yield Provider(url, app, client)
            await app.state.webhooks.drain()

    return serve


def signature_of(body: bytes) -> str:
    return hmac.new(SECRET, body, hashlib.sha256).hexdigest()


# --- the page --------------------------------------------------------------------------------------


async def test_the_page_shows_the_payment_and_starts_it(provider: ProviderFactory) -> None:
    async with provider() as pay:
        payment = await pay.create()
        assert payment["_links"]["next_url"]["href"] == pay.page(payment["payment_id"])

        page = await pay.client.get(payment["_links"]["next_url"]["href"])  # no API key: a browser follows it

        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        html = page.text
        assert '<html lang="en">' in html
        assert "<title>Pay for Council Tax &lt;instalment&gt; &amp; arrears" in html
        assert "£1,234.56" in html
        assert "Council Tax &lt;instalment&gt; &amp; arrears" in html  # escaped, never markup
        assert "CT-123456" in html
        assert '<form method="post"' in html
        assert "<legend>What should happen to this payment?</legend>" in html
        for outcome in ("success", "declined", "cancelled"):
            assert f'<input type="radio" id="outcome-{outcome}" name="outcome" value="{outcome}">' in html
            assert f'<label for="outcome-{outcome}">' in html
        assert '<label for="cardholder_name">' in html
        assert '<button type="submit">' in html
        started = await pay.fetch(payment["payment_id"])
        assert started["state"] == {"status": "started", "finished": False}
        assert "next_url" in started["_links"]


@pytest.mark.parametrize(
    ("outcome", "status", "event_type", "code"),
    [
        ("success", "success", "card_payment_succeeded", {}),
        ("declined", "failed", "card_payment_failed", {"code": "P0010", "message": "Payment method rejected"}),
        # GOV.UK Pay reports a payment the user cancelled as card_payment_failed: it has no "cancelled" event.
        (
            "cancelled",
            "cancelled",
            "card_payment_failed",
            {"code": "P0030", "message": "Payment was cancelled by the user"},
        ),
    ],
)
async def test_posting_an_outcome_settles_it_redirects_and_sends_a_signed_webhook(
    provider: ProviderFactory, receiver: Receiver, outcome: str, status: str, event_type: str, code: dict[str, str]
) -> None:
    async with provider() as pay:
        payment = await pay.create()
        payment_id = payment["payment_id"]
        await pay.client.get(pay.page(payment_id))

        answer = await pay.client.post(pay.page(payment_id), data={"outcome": outcome, "cardholder_name": " Eve Ng "})

        assert answer.status_code == 303
        assert answer.headers["location"] == RETURN_URL
        settled = await pay.fetch(payment_id)
        assert settled["state"] == {"status": status, "finished": True, **code}
        assert "next_url" not in settled["_links"]
        assert settled["card_details"] == {"cardholder_name": "Eve Ng"}
        await pay.drain()
    [(headers, body)] = receiver.received
    assert headers["content-type"] == "application/json"
    assert hmac.compare_digest(headers["pay-signature"], signature_of(body))
    message = json.loads(body)
    assert set(message) == WEBHOOK_KEYS
    assert message["resource_id"] == payment_id
    assert (message["api_version"], message["resource_type"], message["event_type"]) == (1, "payment", event_type)
    assert re.fullmatch(r"[a-z0-9]{26}", message["webhook_message_id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", message["created_date"])
    assert message["resource"] == settled  # the payment exactly as GET /v1/payments/{id} shows it


async def test_a_finished_payment_cannot_be_settled_again(provider: ProviderFactory, receiver: Receiver) -> None:
    async with provider() as pay:
        payment_id = (await pay.create())["payment_id"]
        await pay.client.post(pay.page(payment_id), data={"outcome": "success"})
        await pay.drain()

        again = await pay.client.post(pay.page(payment_id), data={"outcome": "declined", "cardholder_name": "Mallory"})
        revisit = await pay.client.get(pay.page(payment_id))

        assert again.status_code == 409
        for page in (again, revisit):
            assert "This payment is finished" in page.text
            assert "was paid" in page.text
            assert "<form" not in page.text
            assert f'href="{RETURN_URL}"' in page.text
        assert revisit.status_code == 200
        after = await pay.fetch(payment_id)
        assert after["state"] == {"status": "success", "finished": True}
        assert "card_details" not in after
        await pay.drain()
    assert len(receiver.received) == 1


async def test_concurrent_posts_settle_a_payment_once(provider: ProviderFactory, receiver: Receiver) -> None:
    async with provider() as pay:
        payment_id = (await pay.create())["payment_id"]
        outcomes = ["success", "declined", "cancelled", "success", "declined"]

        answers = await asyncio.gather(
            *(pay.client.post(pay.page(payment_id), data={"outcome": outcome}) for outcome in outcomes)
        )

        assert sorted(answer.status_code for answer in answers) == [303, 409, 409, 409, 409]
        await pay.drain()
        final = (await pay.fetch(payment_id))["state"]["status"]
    [message] = receiver.messages()
    assert message["resource"]["state"]["status"] == final


async def test_a_payment_can_be_settled_without_opening_the_page_first(provider: ProviderFactory) -> None:
    async with provider() as pay:
        payment_id = (await pay.create())["payment_id"]

        answer = await pay.client.post(pay.page(payment_id), data={"outcome": "declined"})

        assert answer.status_code == 303
        assert (await pay.fetch(payment_id))["state"]["status"] == "failed"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Choose what happens to this payment"),
        ({"outcome": "refunded"}, "Choose what happens to this payment"),
        ({"outcome": "success", "cardholder_name": "x" * 101}, "100 characters or fewer"),
    ],
    ids=["no-outcome", "unknown-outcome", "long-name"],
)
async def test_a_bad_form_is_shown_again_with_its_errors_and_changes_nothing(
    provider: ProviderFactory, receiver: Receiver, form: dict[str, str], message: str
) -> None:
    async with provider() as pay:
        payment_id = (await pay.create())["payment_id"]
        await pay.client.get(pay.page(payment_id))

        answer = await pay.client.post(pay.page(payment_id), data=form)

        assert answer.status_code == 400
        assert "<title>Error: " in answer.text
        assert 'role="alert"' in answer.text and "There is a problem" in answer.text
        assert message in answer.text
        assert (await pay.fetch(payment_id))["state"]["status"] == "started"
        await pay.drain()
    assert receiver.received == []


async def test_an_unknown_payment_is_a_404_page(provider: ProviderFactory) -> None:
    async with provider() as pay:
        shown = await pay.client.get(pay.page("nosuchpayment"))
        posted = await pay.client.post(pay.page("nosuchpayment"), data={"outcome": "success"})

    for answer in (shown, posted):
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert "Payment not found" in answer.text


# --- the webhooks ----------------------------------------------------------------------------------


async def test_two_copies_deliver_the_same_signed_message_twice(provider: ProviderFactory, receiver: Receiver) -> None:
    async with provider(copies=2) as pay:
        payment_id = (await pay.create())["payment_id"]
        await pay.client.post(pay.page(payment_id), data={"outcome": "success"})
        await pay.drain()

    assert len(receiver.received) == 2
    (first_headers, first), (second_headers, second) = receiver.received
    assert first == second  # one message delivered twice, as a redelivery would be
    assert first_headers["pay-signature"] == second_headers["pay-signature"] == signature_of(first)


async def test_copies_arrive_concurrently(provider: ProviderFactory, receiver: Receiver) -> None:
    receiver.hold = asyncio.Event()
    async with provider(copies=2) as pay:
        payment_id = (await pay.create())["payment_id"]
        await pay.client.post(pay.page(payment_id), data={"outcome": "success"})

        # Both copies are in the receiver at once, neither answered yet: they were not sent one after another.
        for _ in range(100):
            if len(receiver.received) == 2:
                break
            await asyncio.sleep(0.02)
        assert len(receiver.received) == 2
        receiver.hold.set()


async def test_zero_copies_send_nothing(provider: ProviderFactory, receiver: Receiver) -> None:
    async with provider(copies=0) as pay:
        payment_id = (await pay.create())["payment_id"]
        answer = await pay.client.post(pay.page(payment_id), data={"outcome": "success"})
        await pay.drain()
        await asyncio.sleep(0.1)

        assert answer.status_code == 303
        assert (await pay.fetch(payment_id))["state"]["status"] == "success"
    assert receiver.received == []


async def test_the_redirect_does_not_wait_for_the_webhook(provider: ProviderFactory, receiver: Receiver) -> None:
    receiver.hold = asyncio.Event()  # the receiver takes as long as we like to answer
    async with provider() as pay:
        payment_id = (await pay.create())["payment_id"]

        answer = await asyncio.wait_for(pay.client.post(pay.page(payment_id), data={"outcome": "success"}), 5)

        assert answer.status_code == 303
        receiver.hold.set()
        await pay.drain()
    assert len(receiver.received) == 1


@pytest.mark.parametrize("broken", ["refused", "unreachable"])
async def test_a_failed_delivery_is_logged_without_personal_data_and_dropped(
    provider: ProviderFactory, receiver: Receiver, caplog: pytest.LogCaptureFixture, broken: str
) -> None:
    receiver.answer = 500
    nowhere = f"http://127.0.0.1:{free_port()}/webhooks/payments"
    async with provider(webhook_url=nowhere if broken == "unreachable" else None) as pay:
        payment_id = (await pay.create())["payment_id"]
        with caplog.at_level(logging.WARNING, logger="customer360.demo.payments.webhooks"):
            answer = await pay.client.post(pay.page(payment_id), data={"outcome": "success", "cardholder_name": "Eve"})
            await pay.drain()

        assert answer.status_code == 303
        assert (await pay.fetch(payment_id))["state"]["status"] == "success"
    [record] = [record for record in caplog.records if record.name == "customer360.demo.payments.webhooks"]
    assert ("HTTP 500" if broken == "refused" else "not delivered") in record.getMessage()
    for personal in ("eve@example.org", "Eve", "CT-123456"):
        assert personal not in record.getMessage()


def test_a_webhook_url_needs_a_secret_to_sign_with() -> None:
    with pytest.raises(ValueError, match="secret"):
        WebhookSender("http://127.0.0.1:9/webhooks/payments", None)
    with pytest.raises(ValueError, match="negative"):
        WebhookSender("http://127.0.0.1:9/webhooks/payments", SECRET, copies=-1)


async def test_the_demo_back_office_passes_the_webhook_settings_through(
    engine: AsyncEngine, receiver: Receiver, tmp_path: Path
) -> None:
    street_scene = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'street_scene.db'}")
    async with street_scene.begin() as conn:
        await conn.run_sync(street_scene_db.metadata.create_all)
    app = create_demo_backoffice_app(
        street_scene,
        engine,
        public_url="https://council.example",
        api_key=API_KEY,
        open311_api_key="open311-key",
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        webhook_copies=2,
    )
    async with serve_on_loopback(app) as base, httpx.AsyncClient() as client:
        created = (await client.post(f"{base}/pay/v1/payments", json=NEW_PAYMENT, headers=AUTH)).json()
        page_path = created["_links"]["next_url"]["href"].removeprefix("https://council.example")
        answer = await client.post(f"{base}{page_path}", data={"outcome": "success"})
        assert answer.status_code == 303
        for _ in range(100):  # the back office keeps the provider's drain to itself; wait for the receiver
            if len(receiver.received) == 2:
                break
            await asyncio.sleep(0.02)
    await street_scene.dispose()
    assert page_path == f"/pay/pay/{created['payment_id']}"
    assert [message["event_type"] for message in receiver.messages()] == ["card_payment_succeeded"] * 2
