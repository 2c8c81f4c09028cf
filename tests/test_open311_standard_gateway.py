"""The gateway against the demo council's Open311 server as plain GeoReport v2 (`C360_DEMO_OPEN311=standard`).

Without the server's extensions the gateway finds a resident's reports by the ids it kept when it
filed them, and keeps one filing per report by the reference it writes into the description.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

from sqlalchemy import func, select

from customer360.demo import council
from customer360.demo.street_scene_db import requests as street_requests
from customer360.domain.systems import SourceSystem
from customer360.store.database import create_engine
from tests.support import graphql, running_app
from tests.test_report_issue import HERE, MY_REQUESTS, NEARBY, REPORT, litter_answers


async def filings_of(settings, reference: str) -> int:
    """Reports in the contractor's own table that carry our reference (in the description: no extension)."""
    engine = create_engine(council.database_urls(settings)[SourceSystem.STREET_SCENE])
    try:
        async with engine.connect() as conn:
            query = select(func.count()).where(street_requests.c.description.contains(f"reference {reference})"))
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def test_a_report_to_a_plain_open311_server_is_filed_once_and_listed_by_our_reference(
    own_council, issuer, residents
):
    standard = replace(own_council, demo_open311="standard")
    token = issuer.resident_token(residents[6]["email"])
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    async with running_app(standard) as (_, client):
        report = {
            "serviceCode": "LITTER",
            "description": "Bags split by the bench",
            "location": HERE,
            "attributes": await litter_answers(client),
        }
        body = {"query": REPORT, "variables": {"input": report}}

        async def send() -> dict:
            return (await client.post("/graphql", json=body, headers=headers)).json()["data"]["reportIssue"]

        first, duplicate = await asyncio.gather(send(), send())  # a double click
        retry = await send()  # a retry after a lost answer
        assert first["userErrors"] == []
        request = first["request"]
        assert duplicate["request"]["reference"] == retry["request"]["reference"] == request["reference"]
        assert request["delivery"]["state"] == "DELIVERED"
        assert request["delivery"]["backOfficeReference"].startswith("SS-")

        mine = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
        listed = [e["node"] for e in mine if e["node"]["reference"] == request["reference"]]
        assert len(listed) == 1, "read back from Open311 by its id, shown once under our reference"
        assert listed[0]["delivery"]["backOfficeReference"] == request["delivery"]["backOfficeReference"]
        assert "Report received" in [event["description"] for event in listed[0]["history"]], "from Open311"

        near = (await graphql(client, NEARBY, None, {"location": HERE, "radius": 50, "code": "LITTER"})).json()
        assert request["reference"] in {r["reference"] for r in near["data"]["nearbyRequests"]}
    assert await filings_of(own_council, request["reference"]) == 1
