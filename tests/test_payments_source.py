"""The GOV.UK Pay-shaped adapter against the demo payment provider, over real loopback HTTP."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from customer360.demo import payments_db, street_scene_db
from customer360.demo.backoffice_server import create_demo_backoffice_app, serve_on_loopback
from customer360.demo.payments_app import create_payments_app
from customer360.demo.payments_resource import pay_time
from customer360.domain.payments import PaymentPurpose, PaymentStatus
from customer360.domain.systems import SourceSystem
from customer360.sources.errors import SourceUnavailable
from customer360.sources.payments.govpay_http import GovPayHttp
from customer360.sources.street_scene.open311_http import Open311Http

API_KEY = "test-api-key"
PUBLIC_URL = "https://pay.example"
# Recent: unfinished payments older than 90 minutes expire (see test_payment_expiry.py).
T0 = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)


async def sqlite_engine(path: Path, metadata: Any) -> AsyncEngine:
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return engine


def payment_row(payment_id: str, email: str | None, status: str, minutes: int, **extra: Any) -> dict[str, Any]:
    return {
        "payment_id": payment_id,
        "reference": f"REF-{payment_id}",
        "description": "Council Tax",
        "amount": 1000 + minutes,
        "email": email,
        "cardholder_name": None,
        "status": status,
        "return_url": "https://portal.example/done",
        "created_date": T0 + timedelta(minutes=minutes),
        "metadata": {"purpose": "COUNCIL_TAX", "account_reference": "CT-1"},
        **extra,
    }


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = await sqlite_engine(tmp_path / "payments.db", payments_db.metadata)
    async with engine.begin() as conn:
        await conn.execute(
            insert(payments_db.payments),
            [
                payment_row("p1", "ann@example.org", "success", 1, cardholder_name="Ann Marie Smith"),
                payment_row("p2", "ann@example.org", "created", 2),
                payment_row("p3", "bob@example.org", "failed", 3, cardholder_name="Bob Jones"),
                payment_row("p4", "cat@example.org", "started", 4, metadata=None),
                payment_row("p5", "dan@example.org", "success", 5),  # a payer nobody asks about
            ],
        )
    yield engine
    await engine.dispose()


@pytest.fixture
async def base_url(engine: AsyncEngine) -> AsyncIterator[str]:
    async with serve_on_loopback(create_payments_app(engine, public_url=PUBLIC_URL, api_key=API_KEY)) as url:
        yield url


@pytest.fixture
async def sent() -> list[httpx.Request]:
    return []


@pytest.fixture
async def client(sent: list[httpx.Request]) -> AsyncIterator[httpx.AsyncClient]:
    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as client:
        yield client


@pytest.fixture
def source(client: httpx.AsyncClient, base_url: str) -> GovPayHttp:
    return GovPayHttp(client, base_url, API_KEY)


AUTH = {"Authorization": f"Bearer {API_KEY}"}
NEW_PAYMENT = {
    "amount": 12345,
    "reference": "CT-123456",
    "description": "Council Tax payment",
    "return_url": "https://portal.example/payments/done",
    "email": "Eve@Example.org",
    "metadata": {"purpose": "COUNCIL_TAX", "account_reference": "CT-123456"},
}


async def test_create_answers_201_with_the_payment(client: httpx.AsyncClient, base_url: str) -> None:
    response = await client.post(f"{base_url}/v1/payments", json=NEW_PAYMENT, headers=AUTH)

    assert response.status_code == 201
    payment = response.json()
    payment_id = payment["payment_id"]
    assert re.fullmatch(r"[a-z0-9]{26}", payment_id)
    assert payment["state"] == {"status": "created", "finished": False}
    assert payment["email"] == "eve@example.org"
    assert payment["metadata"] == NEW_PAYMENT["metadata"]
    assert payment["_links"]["self"] == {"href": f"{PUBLIC_URL}/v1/payments/{payment_id}", "method": "GET"}
    assert payment["_links"]["next_url"] == {"href": f"{PUBLIC_URL}/pay/{payment_id}", "method": "GET"}
    assert datetime.fromisoformat(payment["created_date"]).tzinfo is not None
    fetched = await client.get(f"{base_url}/v1/payments/{payment_id}", headers=AUTH)
    assert fetched.json() == payment


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"amount": 0}, 422, "P0102", "amount"),
        ({"amount": 10_000_001}, 422, "P0102", "amount"),
        ({"amount": "12"}, 422, "P0102", "amount"),
        ({"reference": "x" * 256}, 422, "P0102", "reference"),
        ({"description": "x" * 256}, 422, "P0102", "description"),
        ({"return_url": "not a url"}, 422, "P0102", "return_url"),
        ({"email": "nobody"}, 422, "P0102", "email"),
        ({"metadata": {"k": ["no", "lists"]}}, 422, "P0102", "metadata"),
        ({"return_url": None}, 400, "P0101", "return_url"),
    ],
)
async def test_create_validates_like_gov_uk_pay(
    client: httpx.AsyncClient, base_url: str, change: dict[str, Any], status: int, code: str, field: str
) -> None:
    body = {key: value for key, value in {**NEW_PAYMENT, **change}.items() if value is not None}
    response = await client.post(f"{base_url}/v1/payments", json=body, headers=AUTH)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["field"] == field


async def test_unparseable_body_is_p0197(client: httpx.AsyncClient, base_url: str) -> None:
    response = await client.post(f"{base_url}/v1/payments", content=b"{nope", headers=AUTH)

    assert response.status_code == 400
    assert response.json()["code"] == "P0197"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}])
async def test_every_call_needs_the_api_key(client: httpx.AsyncClient, base_url: str, headers: dict[str, str]) -> None:
    for method, path in (
        ("POST", "/v1/payments"),
        ("GET", "/v1/payments"),
        ("GET", "/v1/payments/p1"),
        ("GET", "/v1/payers"),
    ):
        response = await client.request(method, f"{base_url}{path}", headers=headers, json=NEW_PAYMENT)
        assert response.status_code == 401
        assert response.json()["code"] == "P0920"


async def test_unknown_payment_is_p0200(client: httpx.AsyncClient, base_url: str) -> None:
    response = await client.get(f"{base_url}/v1/payments/nope", headers=AUTH)

    assert response.status_code == 404
    assert response.json() == {"code": "P0200", "description": "Not found"}


async def test_a_repeated_idempotency_key_answers_the_first_payment(client: httpx.AsyncClient, base_url: str) -> None:
    headers = {**AUTH, "Idempotency-Key": "PAY-7K3M9Q2P"}
    first = await client.post(f"{base_url}/v1/payments", json=NEW_PAYMENT, headers=headers)
    # The same request, but for the email's case: the validated bodies match, so it is the same request.
    again = await client.post(
        f"{base_url}/v1/payments", json={**NEW_PAYMENT, "email": "EVE@example.org"}, headers=headers
    )

    assert (first.status_code, again.status_code) == (201, 200)  # GOV.UK Pay: 200 for the existing payment
    assert again.json() == first.json()


async def test_a_reused_key_with_another_body_is_p0191_and_makes_nothing(
    client: httpx.AsyncClient, base_url: str, engine: AsyncEngine
) -> None:
    headers = {**AUTH, "Idempotency-Key": "reused-key"}
    await client.post(f"{base_url}/v1/payments", json=NEW_PAYMENT, headers=headers)
    conflict = await client.post(f"{base_url}/v1/payments", json={**NEW_PAYMENT, "amount": 12346}, headers=headers)

    assert conflict.status_code == 409
    assert conflict.json()["code"] == "P0191"
    assert await rows_with(engine, payments_db.payments.c.reference == NEW_PAYMENT["reference"]) == 1


async def test_concurrent_creates_with_one_key_make_one_payment(
    client: httpx.AsyncClient, base_url: str, engine: AsyncEngine
) -> None:
    headers = {**AUTH, "Idempotency-Key": "racing-key"}
    answers = await asyncio.gather(
        *(client.post(f"{base_url}/v1/payments", json=NEW_PAYMENT, headers=headers) for _ in range(5))
    )

    assert sorted(answer.status_code for answer in answers) == [200, 200, 200, 200, 201]
    assert len({answer.json()["payment_id"] for answer in answers}) == 1
    assert await rows_with(engine, payments_db.payments.c.idempotency_key == "racing-key") == 1


async def test_creates_without_a_key_are_never_deduplicated(client: httpx.AsyncClient, base_url: str) -> None:
    answers = [await client.post(f"{base_url}/v1/payments", json=NEW_PAYMENT, headers=AUTH) for _ in range(2)]

    assert [answer.status_code for answer in answers] == [201, 201]
    assert answers[0].json()["payment_id"] != answers[1].json()["payment_id"]


@pytest.mark.parametrize(
    "key", ["", "has spaces", "under_score", "k" * 256], ids=["empty", "space", "underscore", "long"]
)
async def test_a_malformed_idempotency_key_is_p0102(client: httpx.AsyncClient, base_url: str, key: str) -> None:
    response = await client.post(f"{base_url}/v1/payments", json=NEW_PAYMENT, headers={**AUTH, "Idempotency-Key": key})

    assert response.status_code == 422
    assert response.json()["code"] == "P0102"


async def rows_with(engine: AsyncEngine, clause: Any) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(payments_db.payments).where(clause)) or 0)


async def test_search_pages_and_filters(client: httpx.AsyncClient, base_url: str) -> None:
    params = [("email", "ann@example.org,bob@example.org"), ("email", "CAT@example.org"), ("display_size", "2")]
    first = (await client.get(f"{base_url}/v1/payments", params=params, headers=AUTH)).json()
    second = (await client.get(f"{base_url}/v1/payments", params=[*params, ("page", "2")], headers=AUTH)).json()
    succeeded = (await client.get(f"{base_url}/v1/payments", params={"state": "success"}, headers=AUTH)).json()
    from_date = pay_time(T0 + timedelta(minutes=3))
    late = await client.get(f"{base_url}/v1/payments", params={"from_date": from_date}, headers=AUTH)

    assert (first["total"], first["count"], first["page"]) == (4, 2, 1)
    assert [p["payment_id"] for p in first["results"] + second["results"]] == ["p4", "p3", "p2", "p1"]
    assert "next_page" in first["_links"] and "prev_page" not in first["_links"]
    assert first["_links"]["next_page"]["href"].startswith(f"{PUBLIC_URL}/v1/payments?")
    assert "next_page" not in second["_links"]
    assert [p["payment_id"] for p in succeeded["results"]] == ["p5", "p1"]
    assert [p["payment_id"] for p in late.json()["results"]] == ["p5", "p4", "p3"]


async def test_bad_search_parameters_are_p0401(client: httpx.AsyncClient, base_url: str) -> None:
    params = {"state": "paid", "from_date": "yesterday", "display_size": "501"}
    response = await client.get(f"{base_url}/v1/payments", params=params, headers=AUTH)

    assert response.status_code == 422
    assert response.json()["code"] == "P0401"
    assert "state, from_date, display_size" in response.json()["description"]


async def test_payments_for_three_payers_take_one_call(source: GovPayHttp, sent: list[httpx.Request]) -> None:
    by_payer = await source.payments_by_payer(["ann@example.org", "bob@example.org", "cat@example.org"])

    assert len(sent) == 1
    assert {payer: [p.payment_id for p in payments] for payer, payments in by_payer.items()} == {
        "ann@example.org": ["p2", "p1"],
        "bob@example.org": ["p3"],
        "cat@example.org": ["p4"],
    }
    unpaid, paid = by_payer["ann@example.org"]
    assert paid.status is PaymentStatus.SUCCESS
    assert paid.purpose is PaymentPurpose.COUNCIL_TAX
    assert paid.account_reference == "CT-1"
    assert paid.amount_pence == 1001
    assert paid.created_at == T0 + timedelta(minutes=1)
    assert paid.next_url is None  # a finished payment has nowhere to go
    assert unpaid.next_url == f"{PUBLIC_URL}/pay/p2"
    assert by_payer["cat@example.org"][0].account_reference is None


async def test_payments_by_id_leaves_out_unknown_ids(source: GovPayHttp) -> None:
    found = await source.payments_by_id(["p1", "p3", "nope"])

    assert {payment_id: payment.payer_id for payment_id, payment in found.items()} == {
        "p1": "ann@example.org",
        "p3": "bob@example.org",
    }
    assert found["p3"].status is PaymentStatus.FAILED


async def test_payers_are_the_people_feed(source: GovPayHttp) -> None:
    people = {person.record_id: person for person in await source.person_records()}

    assert set(people) == {"ann@example.org", "bob@example.org", "cat@example.org", "dan@example.org"}
    assert (people["ann@example.org"].forenames, people["ann@example.org"].surname) == ("Ann Marie", "Smith")
    assert people["bob@example.org"].system is SourceSystem.PAYMENTS
    assert (people["dan@example.org"].forenames, people["dan@example.org"].surname) == ("", "")


async def test_a_wrong_key_or_a_stopped_server_makes_the_source_unavailable(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    app = create_payments_app(engine, public_url=PUBLIC_URL, api_key=API_KEY)
    async with serve_on_loopback(app) as url:
        with pytest.raises(SourceUnavailable):
            await GovPayHttp(client, url, "wrong").ping()
        source = GovPayHttp(client, url, API_KEY)
        await source.ping()

    with pytest.raises(SourceUnavailable) as raised:
        await source.payments_by_payer(["ann@example.org"])
    assert raised.value.system is SourceSystem.PAYMENTS


# A 200 that is not a JSON answer: a proxy's error page, an answer cut short, bytes that are not UTF-8.
NOT_JSON = [b"<html><body>Bad gateway</body></html>", b'{"total": 1, "results": [{"payment_id": ', b'["\xff\xfe"]']


@pytest.mark.parametrize("body", NOT_JSON)
async def test_an_answer_that_is_not_json_makes_the_source_unavailable(body: bytes) -> None:
    answer = httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _request: answer)) as client:
        with pytest.raises(SourceUnavailable) as raised:
            await GovPayHttp(client, "http://pay.test", API_KEY).payments_by_payer(["ann@example.org"])
    assert raised.value.reason.startswith("GET v1/payments: ") and "DecodeError(" in raised.value.reason


async def test_the_demo_back_office_serves_both_apps(engine: AsyncEngine, tmp_path: Path) -> None:
    street_scene = await sqlite_engine(tmp_path / "street_scene.db", street_scene_db.metadata)
    app = create_demo_backoffice_app(
        street_scene, engine, public_url="https://council.example", api_key=API_KEY, open311_api_key="open311-key"
    )
    async with serve_on_loopback(app) as base, httpx.AsyncClient() as client:
        payments = GovPayHttp(client, f"{base}/pay", API_KEY)
        open311 = Open311Http(client, f"{base}/open311/v2")

        assert (await payments.payments_by_id(["p2"]))["p2"].next_url == "https://council.example/pay/pay/p2"
        assert await open311.services() == []
    await street_scene.dispose()
