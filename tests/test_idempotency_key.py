"""`Idempotency-Key` on every mutation: a repeat replays the first answer, never a second write.

Each mutation kind is sent five times at once with one key, then once more, then with the same key and
a different body, on SQLite and on PostgreSQL. A write is an intent in the gateway store (every
mutation below keeps one before it delivers), counted straight from the table.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from starlette.applications import Starlette

from customer360.cache.views import fingerprint
from customer360.clock import london_today
from customer360.http.idempotency import scope_of
from customer360.identity.linking import IdentityHub, link_everyone
from customer360.store.database import create_engine, migrate
from customer360.store.idempotency import Claim, IdempotencyStore
from customer360.store.tables import idempotency_keys, intents
from tests.services import fresh_postgres_database
from tests.support import running_app, serving_app
from tests.test_complaints import GOOD, MAKE
from tests.test_moving_and_housing import MOVE, mover, new_home
from tests.test_payments import MAKE as PAY
from tests.test_payments import RETURN_URL, owing_resident
from tests.test_report_issue import HERE, REPORT, litter_answers
from tests.test_single_person_discount import APPLY, find_resident

ROOT = {"makeComplaint", "reportIssue", "applySinglePersonDiscount", "notifyMove"}


@dataclass
class Case:
    """One mutation: its document, a good input, another good input, and whose token sends it."""

    document: str
    field: str
    token: str | None
    first: dict[str, Any]
    other: dict[str, Any]
    result: str  # the payload's object field


Prepare = Callable[[httpx.AsyncClient, Any, list[dict[str, str]]], Awaitable[Case]]


async def complaint(client, issuer, residents) -> Case:
    token = issuer.resident_token(residents[0]["email"])
    return Case(MAKE, "makeComplaint", token, GOOD, {**GOOD, "subject": "Bin still not emptied"}, "complaint")


async def street_report(client, issuer, residents) -> Case:
    token = issuer.resident_token(residents[4]["email"])
    attributes = await litter_answers(client)
    report = {"serviceCode": "LITTER", "description": "Bags split", "location": HERE, "attributes": attributes}
    return Case(REPORT, "reportIssue", token, report, {**report, "description": "Bags split again"}, "request")


async def discount(client, issuer, residents) -> Case:
    token, account = await find_resident(client, issuer, residents, with_household=False)
    starts_on = max(datetime.fromisoformat(account["liableFrom"]).date(), london_today() - timedelta(days=20))
    apply = {"accountReference": account["reference"], "startsOn": starts_on.isoformat(), "declaration": True}
    later = {**apply, "startsOn": (starts_on + timedelta(days=1)).isoformat()}
    return Case(APPLY, "applySinglePersonDiscount", token, apply, later, "discount")


async def move(client, issuer, residents) -> Case:
    token, _me, account = await mover(client, issuer, residents, systems={"REVENUES", "CRM"})
    uprn = new_home(account["propertyAddress"]["uprn"])
    told = {"kind": "WITHIN", "moveDate": (london_today() - timedelta(days=3)).isoformat(), "newUprn": uprn}
    return Case(MOVE, "notifyMove", token, told, {**told, "moveDate": london_today().isoformat()}, "request")


KINDS = [
    pytest.param(complaint, id="makeComplaint"),
    pytest.param(street_report, id="reportIssue"),
    pytest.param(discount, id="applySinglePersonDiscount"),
    pytest.param(move, id="notifyMove"),
]
STORES = ["sqlite", "postgresql"]


@asynccontextmanager
async def council_on(store: str, settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient, Any]]:
    """The app over the (private) demo council, its gateway store on SQLite or a fresh PostgreSQL."""
    if store == "sqlite":
        engine = create_engine(settings.gateway_database_url)
        try:
            async with running_app(settings) as (app, client):
                yield app, client, engine
        finally:
            await engine.dispose()
        return
    async with fresh_postgres_database() as url:
        engine = create_engine(url)
        try:
            await migrate(engine)
            async with running_app(replace(settings, database_url=url)) as (app, client):
                await link_everyone(app.state.runtime.services.sources.by_system(), IdentityHub.on(engine), by="test")
                yield app, client, engine
        finally:
            await engine.dispose()


async def send(client, case: Case, variables: dict[str, Any], key: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {case.token}"} if case.token else {}
    if key is not None:
        headers["Idempotency-Key"] = key
    body = {"query": case.document, "variables": {"input": variables}}
    return await client.post("/graphql", json=body, headers=headers)


async def writes(engine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(intents))).scalar_one())


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("prepare", KINDS)
async def test_one_key_is_one_write_however_often_and_however_concurrently_it_is_sent(
    own_council, issuer, residents, prepare: Prepare, store: str
):
    async with council_on(store, own_council) as (app, client, engine):
        case = await prepare(client, issuer, residents)
        app.state.runtime.faults.latency_seconds = 0.1  # the first is still running when the others arrive
        key = str(uuid.uuid4())
        before = await writes(engine)

        answers = await asyncio.gather(*(send(client, case, case.first, key) for _ in range(5)))
        assert {a.status_code for a in answers} == {200}
        bodies = [a.json() for a in answers]
        payload = bodies[0]["data"][case.field]
        assert payload["userErrors"] == [], payload
        assert all(body == bodies[0] for body in bodies), "five identical answers"
        assert await writes(engine) == before + 1, "one write for five requests with one key"
        assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 4

        retry = await send(client, case, case.first, key)
        assert retry.json() == bodies[0] and retry.headers["Idempotent-Replayed"] == "true"

        conflict = (await send(client, case, case.other, key)).json()["data"][case.field]
        assert conflict[case.result] is None
        (error,) = conflict["userErrors"]
        assert error["code"] == "IDEMPOTENCY_CONFLICT" and error["field"] is None and error["message"]
        assert await writes(engine) == before + 1, "a refused repeat writes nothing"


@pytest.mark.parametrize("store", STORES)
async def test_a_key_is_the_principals_own_and_lasts_24_hours(own_council, issuer, residents, store):
    async with council_on(store, own_council) as (_app, client, engine):
        mine = await complaint(client, issuer, residents)
        theirs = replace(mine, token=issuer.resident_token(residents[1]["email"]))
        key = "same-key-for-two-people"
        first = (await send(client, mine, GOOD, key)).json()["data"]["makeComplaint"]["complaint"]
        other = (await send(client, theirs, GOOD, key)).json()["data"]["makeComplaint"]
        assert other["userErrors"] == [] and other["complaint"]["reference"] != first["reference"]
        before = await writes(engine)

        async with engine.begin() as conn:  # a day and an hour later
            await conn.execute(update(idempotency_keys).values(created_at=datetime.now(UTC) - timedelta(hours=25)))
        again = (await send(client, mine, {**GOOD, "subject": "A new complaint"}, key)).json()["data"]
        assert again["makeComplaint"]["userErrors"] == []
        assert again["makeComplaint"]["complaint"]["reference"] != first["reference"]
        assert await writes(engine) == before + 1, "an expired key is a new request"


async def test_anonymous_callers_share_one_scope(own_council, issuer, residents):
    """Anonymous reports have no identity to scope by: the same key and body replay, another body conflicts."""
    async with council_on("sqlite", own_council) as (_app, client, engine):
        case = replace(await street_report(client, issuer, residents), token=None)
        report = {**case.first, "contactEmail": "passer.by@example.net"}
        key = str(uuid.uuid4())
        before = await writes(engine)
        answers = [(await send(client, case, report, key)).json() for _ in range(2)]
        assert answers[0] == answers[1] and answers[0]["data"]["reportIssue"]["userErrors"] == []
        refused = (await send(client, case, {**report, "description": "Other"}, key)).json()["data"]["reportIssue"]
        assert refused["userErrors"][0]["code"] == "IDEMPOTENCY_CONFLICT"
        assert await writes(engine) == before + 1


@pytest.mark.parametrize(
    ("key", "status"),
    [
        pytest.param("", 400, id="empty"),
        pytest.param("   ", 400, id="blank"),
        pytest.param("k" * 256, 400, id="too-long"),
        pytest.param('"unterminated', 400, id="bad-quoted-string"),
        pytest.param("k" * 255, 200, id="longest"),
        pytest.param('"a-quoted-key"', 200, id="structured-field-string"),
    ],
)
async def test_a_malformed_key_on_a_mutation_is_a_400_and_runs_nothing(own_council, issuer, residents, key, status):
    async with council_on("sqlite", own_council) as (_app, client, engine):
        case = await complaint(client, issuer, residents)
        before = await writes(engine)
        answer = await send(client, case, case.first, key)
        assert answer.status_code == status
        if status == 400:
            assert "Idempotency-Key" in answer.text and "Traceback" not in answer.text
        assert await writes(engine) == before + (status == 200)


async def test_the_quoted_and_bare_forms_of_a_key_are_one_key(own_council, issuer, residents):
    async with council_on("sqlite", own_council) as (_app, client, _engine):
        case = await complaint(client, issuer, residents)
        bare = (await send(client, case, case.first, "abc-123")).json()
        quoted = (await send(client, case, case.first, '"abc-123"')).json()
        assert bare == quoted


async def test_queries_ignore_the_header(own_council, issuer, residents):
    async with council_on("sqlite", own_council) as (_app, client, engine):
        token = issuer.resident_token(residents[0]["email"])
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": ""}
        answer = await client.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
        assert answer.status_code == 200 and answer.json()["data"]["me"]["id"]
        headers["Idempotency-Key"] = "k1"
        for other in ("{ me { name } }", "{ me { email } }", "{ me { email } }"):  # one key: no conflict, no replay
            again = await client.post("/graphql", json={"query": other}, headers=headers)
            assert again.json()["data"]["me"] and "Idempotent-Replayed" not in again.headers
        async with engine.connect() as conn:
            assert (await conn.execute(select(func.count()).select_from(idempotency_keys))).scalar_one() == 0


async def test_an_answer_that_says_try_again_is_not_kept_and_the_retry_runs(own_council, issuer, residents):
    """A payload that is only "unavailable, try again" gives the key back: the retry with it runs."""
    async with serving_app(own_council) as (app, client):
        token, account = await owing_resident(client, issuer, residents)
        request = {
            "purpose": "COUNCIL_TAX",
            "accountReference": account["reference"],
            "amountPence": 1234,
            "idempotencyKey": str(uuid.uuid4()),
            "returnUrl": RETURN_URL,
        }
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
        body = {"query": PAY, "variables": {"input": request}}
        app.state.runtime.faults.down.add("PAYMENTS")
        refused = await client.post("/graphql", json=body, headers=headers)
        assert refused.json()["data"]["makePayment"]["userErrors"][0]["code"] == "SOURCE_UNAVAILABLE"
        app.state.runtime.faults.down.discard("PAYMENTS")
        retried = await client.post("/graphql", json=body, headers=headers)
        assert "Idempotent-Replayed" not in retried.headers
        payment = retried.json()["data"]["makePayment"]["payment"]
        assert payment["nextUrl"], "the retry ran and reached the provider"
        again = await client.post("/graphql", json=body, headers=headers)
        assert again.headers["Idempotent-Replayed"] == "true" and again.json() == retried.json()


async def test_a_repeat_waits_for_a_live_first_request_and_retakes_a_dead_ones_key(own_council, issuer, residents):
    """A claim whose lease runs is a request still running: a repeat waits, then answers 409. A claim
    whose lease ran out is a worker that died before answering: the repeat runs in its place."""
    settings = replace(own_council, request_timeout_seconds=3.0)  # a repeat waits about a second
    async with council_on("sqlite", settings) as (app, client, engine):
        case = await complaint(client, issuer, residents)
        principal = await app.state.runtime.authenticate(f"Bearer {case.token}")
        claims = IdempotencyStore(engine)
        wanted = fingerprint(case.document, {"input": case.first}, None)
        live, dead = str(uuid.uuid4()), str(uuid.uuid4())
        assert isinstance(await claims.claim(scope_of(principal), live, wanted, timedelta(minutes=5)), Claim)
        assert isinstance(await claims.claim(scope_of(principal), dead, wanted, timedelta(0)), Claim)
        before = await writes(engine)

        waited = await send(client, case, case.first, live)
        assert waited.status_code == 409 and "still being processed" in waited.text
        retaken = await send(client, case, case.first, dead)
        assert retaken.json()["data"]["makeComplaint"]["userErrors"] == []
        assert await writes(engine) == before + 1
        assert (await send(client, case, case.first, dead)).json() == retaken.json()


async def test_a_key_on_a_batch_is_a_400_because_it_would_name_several_operations(own_council, issuer, residents):
    async with council_on("sqlite", replace(own_council, max_batch_operations=5)) as (_app, client, engine):
        case = await complaint(client, issuer, residents)
        operation = {"query": case.document, "variables": {"input": case.first}}
        headers = {"Authorization": f"Bearer {case.token}", "Idempotency-Key": str(uuid.uuid4())}
        before = await writes(engine)
        answer = await client.post("/graphql", json=[operation, operation], headers=headers)
        assert answer.status_code == 400 and "Idempotency-Key" in answer.text
        assert await writes(engine) == before


async def test_keys_older_than_a_day_are_deleted_when_keys_are_next_taken(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    try:
        await migrate(engine)
        async with engine.begin() as conn:
            await conn.execute(
                idempotency_keys.insert().values(
                    scope="anonymous",
                    key="yesterday",
                    fingerprint="0" * 64,
                    state="DONE",
                    owner="gone",
                    answer={"data": None},
                    created_at=datetime.now(UTC) - timedelta(hours=25),
                )
            )
        taken = await IdempotencyStore(engine).claim("anonymous", "today", "1" * 64, timedelta(minutes=1))
        assert isinstance(taken, Claim)
        async with engine.connect() as conn:
            left = (await conn.execute(select(idempotency_keys.c.key))).scalars().all()
        assert left == ["today"]
    finally:
        await engine.dispose()
