"""A keyed write whose worker died after keeping it: the repeat after the key's lease finds it, not a second.

A worker killed (`kill -9`, the OOM killer) after it kept a write but before it kept its answer leaves
the key claimed until the claim's lease ends; the client's repeat then runs afresh. The write path keeps
each intent with a digest of the key it was made under, so that repeat answers with the write the dead
worker kept (bench/replicas.py measured one duplicate per kill before this). Real stores (SQLite and a
fresh PostgreSQL) and the demo CRM; the crash is the state it leaves in the key store.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from customer360.store.idempotency import KeyState
from customer360.store.tables import idempotency_keys, intents
from tests.test_complaints import GOOD, MAKE, crm_rows
from tests.test_idempotency_key import council_on


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
async def test_a_repeat_after_a_dead_workers_lease_answers_with_the_write_it_kept(
    own_council, issuer, residents, store
):
    token = issuer.resident_token(residents[1]["email"])
    key = str(uuid.uuid4())
    complaint = {**GOOD, "description": f"Missed again ({key})"}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    body = {"query": MAKE, "variables": {"input": complaint}}
    async with council_on(store, own_council) as (_, client, engine):

        async def send() -> dict:
            return (await client.post("/graphql", json=body, headers=headers)).json()

        first, duplicate = await asyncio.gather(send(), send())
        reference = first["data"]["makeComplaint"]["complaint"]["reference"]
        # What a worker killed after keeping the write leaves: its claim, no answer, its lease over.
        async with engine.begin() as conn:
            await conn.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.key == key)
                .values(
                    state=KeyState.IN_PROGRESS.value,
                    answer=None,
                    lease_until=datetime.now(UTC) - timedelta(seconds=1),
                )
            )
        repeat = await send()
        again = await send()

        assert repeat.get("errors") is None, repeat
        assert repeat["data"]["makeComplaint"]["userErrors"] == []
        assert repeat["data"]["makeComplaint"]["complaint"]["reference"] == reference
        assert again["data"]["makeComplaint"]["complaint"]["reference"] == reference
        assert duplicate["data"]["makeComplaint"]["complaint"]["reference"] == reference
        async with engine.connect() as conn:
            rows = (await conn.execute(select(intents.c.reference, intents.c.payload))).all()
        mine = [row.reference for row in rows if key in str(row.payload)]
        assert mine == [reference], "one intent for the key"
    assert await crm_rows(own_council, reference) == 1
