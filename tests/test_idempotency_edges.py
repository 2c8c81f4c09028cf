"""`Idempotency-Key` at its edges: a request the timeout cuts short after its write, a "try again" the
client selected in any shape, the refusals a retry gets past (409, 503), and a key store PostgreSQL
itself refuses. Each runs on the real stores and the demo back offices, with their own fault drills.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from customer360.cache.views import fingerprint
from customer360.http.idempotency import scope_of
from customer360.store.audit import AuditLog
from customer360.store.database import create_engine
from customer360.store.idempotency import Claim, IdempotencyStore
from customer360.store.tables import events, idempotency_keys, intents
from customer360.store.times import as_utc
from tests.services import POSTGRES_ADMIN_URL
from tests.support import running_app, serving_app
from tests.test_complaints import GOOD, MAKE
from tests.test_idempotency_key import council_on, writes
from tests.test_payments import MAKE as PAY
from tests.test_payments import RETURN_URL, owing_resident
from tests.test_report_issue import REPORT


async def keyed(
    client: httpx.AsyncClient, token: str | None, key: str | None, document: str, variables: dict
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await client.post("/graphql", json={"query": document, "variables": {"input": variables}}, headers=headers)


async def until_answered(send, attempts: int = 20) -> httpx.Response:
    """Retry as a client would while the first request with the key is still running (409, Retry-After)."""
    for _ in range(attempts):
        answer = await send()
        if answer.status_code != 409:
            return answer
        await asyncio.sleep(float(answer.headers["Retry-After"]) / 4)
    raise AssertionError("the first request never finished")


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
async def test_a_request_cut_short_after_its_write_runs_on_and_retries_with_its_key_get_its_reference(
    own_council, issuer, residents, store
):
    """The timeout (2 s) fires while the slow CRM (2.5 s a call) takes the complaint, after it was kept: the
    client gets a 504, the write stands, and retries with the key (two at once) get that complaint's
    reference; nothing is written twice."""
    settings = replace(own_council, request_timeout_seconds=2.0)
    token = issuer.resident_token(residents[0]["email"])
    key = str(uuid.uuid4())
    async with council_on(store, settings) as (app, client, engine):
        before = await writes(engine)
        app.state.runtime.faults.latency_seconds = 2.5
        cut_short = await keyed(client, token, key, MAKE, GOOD)
        assert cut_short.status_code == 504
        assert await writes(engine) == before + 1, "kept before the timeout"

        app.state.runtime.faults.latency_seconds = 0.0  # a retry that ran again would now finish at once
        retries = await asyncio.gather(
            *(until_answered(lambda: keyed(client, token, key, MAKE, GOOD)) for _ in range(2))
        )
        for retry in retries:
            assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
            payload = retry.json()["data"]["makeComplaint"]
            assert payload["userErrors"] == [] and payload["complaint"]["reference"].startswith("C360-")
        assert retries[0].json() == retries[1].json()
        assert await writes(engine) == before + 1, "one complaint: the retries got the first one's answer"


async def test_a_request_stopped_by_a_graceful_shutdown_can_be_retried_at_once_and_gets_its_write(
    own_council, issuer, residents
):
    """A keyed complaint cut short after it was kept (the CRM takes 30 s) runs on; the worker then shuts
    down before it ends. Its key's lease is ended as it stops, so the client's retry on the next worker
    is answered at once (not a 409 for the 60 s lease) with the complaint it kept, not a second one. A
    worker that crashes ends no lease: that still waits (test_a_key_still_in_progress_is_a_409...)."""
    settings = replace(own_council, request_timeout_seconds=1.0)
    token = issuer.resident_token(residents[2]["email"])
    key = str(uuid.uuid4())
    complaint = {**GOOD, "description": f"Bins missed ({key})"}
    engine = create_engine(settings.gateway_database_url)
    try:
        before = await writes(engine)
        async with running_app(settings) as (app, client):
            app.state.runtime.faults.latency_seconds = 30.0
            cut_short = await keyed(client, token, key, MAKE, complaint)
            assert cut_short.status_code == 504
            assert await writes(engine) == before + 1, "kept before the timeout"
            shutdown_began = datetime.now(UTC)
        # Shut down: the mutation still waiting on the CRM was stopped, and its claim's lease ended.
        async with engine.connect() as conn:
            row = (await conn.execute(select(idempotency_keys).where(idempotency_keys.c.key == key))).one()
        assert row.state == "IN_PROGRESS" and row.answer is None
        assert as_utc(row.lease_until) - shutdown_began < timedelta(seconds=10), "not the 60-second lease"

        async with running_app(settings) as (_, client):
            retry = await keyed(client, token, key, MAKE, complaint)
            assert retry.status_code == 200, retry.text
            payload = retry.json()["data"]["makeComplaint"]
            assert payload["userErrors"] == []
            again = await keyed(client, token, key, MAKE, complaint)
            assert again.headers["Idempotent-Replayed"] == "true" and again.json() == retry.json()
        async with engine.connect() as conn:
            kept = [
                r.reference
                for r in (await conn.execute(select(intents.c.reference, intents.c.payload)))
                if key in str(r.payload)
            ]
        assert kept == [payload["complaint"]["reference"]], "the retry answered with the complaint kept, not a second"
    finally:
        await engine.dispose()


PAY_SHAPES = {
    "messages-only": "userErrors { message }",
    "aliased": "problems: userErrors { code }",
    "no-userErrors": "",
}


@pytest.mark.parametrize("shape", list(PAY_SHAPES))
async def test_try_again_is_given_back_whatever_the_client_selected(own_council, issuer, residents, shape):
    """PAYMENTS down answers SOURCE_UNAVAILABLE: however the client shaped the payload, the key is given
    back, and the retry (twice at once) runs and reaches the provider instead of replaying "try again"."""
    document = f"""mutation($input: MakePaymentInput!) {{ makePayment(input: $input) {{
      payment {{ reference nextUrl }} {PAY_SHAPES[shape]} }} }}"""
    async with serving_app(own_council) as (app, client):
        token, account = await owing_resident(client, issuer, residents)
        request = {
            "purpose": "COUNCIL_TAX",
            "accountReference": account["reference"],
            "amountPence": 1234,
            "idempotencyKey": str(uuid.uuid4()),
            "returnUrl": RETURN_URL,
        }
        key = str(uuid.uuid4())
        app.state.runtime.faults.down.add("PAYMENTS")
        refused = await asyncio.gather(*(keyed(client, token, key, document, request) for _ in range(2)))
        for answer in refused:
            assert answer.status_code == 200 and answer.json()["data"]["makePayment"]["payment"] is None

        app.state.runtime.faults.down.discard("PAYMENTS")
        retried = await asyncio.gather(*(keyed(client, token, key, document, request) for _ in range(2)))
        ran = [r for r in retried if "Idempotent-Replayed" not in r.headers]
        assert len(ran) == 1, "one retry ran again, the other replays its answer"
        payments = [r.json()["data"]["makePayment"]["payment"] for r in retried]
        assert payments[0] == payments[1] and payments[0]["nextUrl"], "the retry reached the provider"


async def test_a_key_still_in_progress_is_a_409_with_its_code_and_retry_after(own_council, issuer, residents):
    settings = replace(own_council, request_timeout_seconds=3.0)  # a repeat waits about a second
    token = issuer.resident_token(residents[0]["email"])
    async with council_on("sqlite", settings) as (app, client, engine):
        principal = await app.state.runtime.authenticate(f"Bearer {token}")
        live = str(uuid.uuid4())
        wanted = fingerprint(MAKE, {"input": GOOD}, None)
        claimed = await IdempotencyStore(engine).claim(scope_of(principal), live, wanted, timedelta(minutes=5))
        assert isinstance(claimed, Claim)
        answers = await asyncio.gather(*(keyed(client, token, live, MAKE, GOOD) for _ in range(2)))
        for answer in answers:
            assert answer.status_code == 409 and answer.headers["Retry-After"] == "1"
            assert answer.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_IN_PROGRESS"
        assert await writes(engine) == 0


async def test_a_key_store_that_is_down_is_a_503_with_its_code_and_retry_after(own_council, issuer, residents):
    token = issuer.resident_token(residents[0]["email"])
    async with council_on("sqlite", own_council) as (_app, client, engine):
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE idempotency_keys RENAME TO idempotency_keys_away"))
        answer = await keyed(client, token, str(uuid.uuid4()), MAKE, GOOD)
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
        assert answer.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert await writes(engine) == 0


async def test_a_key_store_postgresql_refuses_is_a_503_not_a_500(own_council):
    """PostgreSQL closes the gateway's sessions and refuses new ones (the driver's own errors, which
    SQLAlchemy does not wrap): every keyed mutation is a 503 that ran nothing, never a 500."""
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with council_on("postgresql", own_council) as (_app, client, engine):
        database = engine.url.database
        report = {"serviceCode": "LITTER", "description": "Bags split"}
        try:
            async with admin.connect() as conn:
                await conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
                await conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                    {"name": database},
                )
            answers = [await keyed(client, None, str(uuid.uuid4()), REPORT, report) for _ in range(3)]
            answers += await asyncio.gather(*(keyed(client, None, "same", REPORT, report) for _ in range(2)))
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))
            await admin.dispose()
        for answer in answers:
            assert answer.status_code == 503, answer.text
            assert answer.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        await engine.dispose()  # its sessions were closed: start afresh
        assert await writes(engine) == 0


PAY_ELSEWHERE = {
    "purpose": "COUNCIL_TAX",
    "accountReference": "50000111",
    "amountPence": 100,
    "idempotencyKey": "k-boundary",
    "returnUrl": "https://evil.example/thanks",
}
BOUNDARY_REFUSALS = [
    pytest.param(
        MAKE, {**GOOD, "subject": "Noise\x00"}, "makeComplaint", "COMPLAINT", "INVALID_CHARACTERS", id="chars"
    ),
    pytest.param(MAKE, {**GOOD, "subject": "x" * 5000}, "makeComplaint", "COMPLAINT", "TOO_LONG", id="too-long"),
    pytest.param(PAY, PAY_ELSEWHERE, "makePayment", "PAYMENT", "INVALID_RETURN_URL", id="return-url"),
]


@pytest.mark.parametrize(("document", "variables", "field", "journey", "code"), BOUNDARY_REFUSALS)
async def test_each_refusal_at_the_input_boundary_is_audited_and_recorded_as_an_event(
    own_council, issuer, residents, document, variables, field, journey, code
):
    """The boundary answers the refusal before any resolver runs; it is recorded all the same, once per
    request (two at once, and with a key: refused input is an answer, kept and replayed)."""
    token = issuer.resident_token(residents[0]["email"])
    async with council_on("sqlite", own_council) as (_app, client, engine):
        key = str(uuid.uuid4())
        started = datetime.now(UTC)
        answers = await asyncio.gather(
            keyed(client, token, None, document, variables), keyed(client, token, key, document, variables)
        )
        for answer in answers:
            assert [e["code"] for e in answer.json()["data"][field]["userErrors"]] == [code]
        replay = await keyed(client, token, key, document, variables)
        assert replay.headers["Idempotent-Replayed"] == "true"
        # This test's rows only: the copied council holds what earlier tests audited in the shared one.
        audited = [e for e in await AuditLog(engine).by_action([f"mutation.{field}"]) if e.at >= started]
        async with engine.connect() as conn:
            mine = select(events).where(events.c.service_code == journey, events.c.at >= started)
            recorded = (await conn.execute(mine.order_by(events.c.at))).all()
    assert [entry.detail["outcome"] for entry in audited] == [code, code]
    assert [(row.kind, row.outcome) for row in recorded] == [("error", code), ("error", code)]
