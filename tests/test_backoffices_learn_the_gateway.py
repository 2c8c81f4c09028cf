"""Demo back offices started by hand learn where the gateway is from `serve`, so no payment webhook is lost.

Real HTTP on loopback: the demo back offices (Open311 and payments) as one app, a receiver standing in
for the gateway's webhook endpoint, and `tell_public_url` as `serve --backoffice-port` calls it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from customer360.demo import payments_db, street_scene_db
from customer360.demo.backoffice_process import tell_public_url
from customer360.demo.backoffice_server import create_demo_backoffice_app, serve_on_loopback

API_KEY = "demo-pay-key"


@pytest.fixture
async def engines(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    street = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'street.db'}")
    payments = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'payments.db'}")
    async with street.begin() as conn:
        await conn.run_sync(street_scene_db.metadata.create_all)
    async with payments.begin() as conn:
        await conn.run_sync(payments_db.metadata.create_all)
    yield street, payments
    await street.dispose()
    await payments.dispose()


async def pay(client: httpx.AsyncClient, backoffices: str) -> str:
    created = await client.post(
        f"{backoffices}/pay/v1/payments",
        json={
            "amount": 1234,
            "reference": "C360-ABCDEFGH",
            "description": "Council Tax",
            "return_url": "https://x.example/",
        },
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    payment_id = created.json()["payment_id"]
    settled = await client.post(f"{backoffices}/pay/pay/{payment_id}", data={"outcome": "success"})
    assert settled.status_code == 303
    return str(payment_id)


async def test_webhooks_go_where_the_gateway_says_it_is(engines: tuple[AsyncEngine, AsyncEngine]) -> None:
    received: list[bytes] = []

    async def webhook(request: Request) -> Response:
        received.append(await request.body())
        return Response(status_code=200)

    gateway = Starlette(routes=[Route("/webhooks/payments", webhook, methods=["POST"])])
    # Started by hand with no public URL for the gateway: a webhook would have nowhere to go.
    async with serve_on_loopback(gateway) as gateway_url, httpx.AsyncClient(timeout=10) as client:
        app = create_demo_backoffice_app(
            *engines, public_url="http://127.0.0.1", api_key=API_KEY, open311_api_key="k", webhook_secret=b"s" * 32
        )
        async with serve_on_loopback(app) as backoffices:
            refused = await asyncio.to_thread(tell_public_url, backoffices, gateway_url, "not the key")
            await pay(client, backoffices)
            await app.state.webhooks.drain()
            assert (refused, received) == (False, []), "without the key nothing changes"

            told = await asyncio.to_thread(tell_public_url, backoffices, gateway_url, API_KEY)
            payment_id = await pay(client, backoffices)
            await app.state.webhooks.drain()

    assert told
    assert len(received) == 1 and payment_id.encode() in received[0]
