"""A cold `me` (nothing cached): how many round trips it makes, and which wait for which.

Every SQL statement any engine runs (the gateway's store, the demo's back-office databases) is noted
with the time it ran. The demo's injected delay (`demo_source_latency_ms`) comes before every
back-office call, so a store read that waited for a back office runs after the first back-office
statement, and a back-office call that waited for another runs a whole delay after the first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from bench.queries import ME
from customer360.demo.council import database_urls
from customer360.domain.systems import SourceSystem
from customer360.settings import Settings
from tests.support import graphql, running_app, settings_with

DELAY_MS = 400
OPERATIONS = {
    (SourceSystem.REVENUES, "accounts_by_party"),
    (SourceSystem.BENEFITS, "claims_by_claimant"),
    (SourceSystem.HOUSING, "applications_by_applicant"),
    (SourceSystem.CRM, "complaints_by_contact"),
    (SourceSystem.CRM, "cases_by_contact"),
    (SourceSystem.STREET_SCENE, "requests_by_reporter"),
    (SourceSystem.PAYMENTS, "payments_by_payer"),
}


@dataclass(frozen=True)
class Statement:
    at: float
    database: str  # "store", or the back office's system
    sql: str


@contextmanager
def statements(settings: Settings) -> Iterator[list[Statement]]:
    """Every statement run while the block runs, in order, by which database ran it."""
    names = {_path(settings.gateway_database_url): "store"}
    names |= {_path(url): system.value for system, url in database_urls(settings).items()}
    seen: list[Statement] = []

    def note(conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        database = names.get(_path(str(conn.engine.url)))
        if database:
            seen.append(Statement(time.monotonic(), database, " ".join(sql.split())))

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


def _path(url: str) -> str:
    return str(Path(make_url(url).database or "").resolve())


async def test_a_cold_me_reads_the_store_once_then_asks_every_back_office_at_once(demo_settings, issuer, residents):
    settings = settings_with(demo_settings, demo_source_latency_ms=DELAY_MS)
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(settings) as (app, client):
        first = (await graphql(client, ME, token)).json()  # imports, pools: the next one is measured
        metrics = app.state.runtime.metrics
        calls_before = {op: metrics.source_call_count(op[0].value, op[1]) for op in OPERATIONS}
        with statements(settings) as seen:
            again = (await graphql(client, ME, token)).json()
        calls = {op: metrics.source_call_count(op[0].value, op[1]) - calls_before[op] for op in OPERATIONS}
    assert "errors" not in again and again == first
    me = again["data"]["me"]
    linked = {link["system"] for link in me["linkedRecords"]}
    assert {s.value for s, _ in OPERATIONS} <= linked, "the sample resident should be linked everywhere me reads"
    assert me["councilTaxAccounts"] and me["councilTaxAccounts"][0]["instalments"]
    # One call per back-office operation the document reaches.
    assert calls == dict.fromkeys(OPERATIONS, 1)

    store = [s for s in seen if s.database == "store"]
    back_offices = [s for s in seen if s.database != "store"]
    # The golden record and its links: one statement, not one after the other.
    reads_links = [s.sql for s in store if "customer_links" in s.sql]
    assert len(reads_links) == 1 and "FROM customers LEFT OUTER JOIN customer_links" in reads_links[0]
    # The resident's submissions, with those of customers merged into theirs and their deliveries: one
    # statement (it was the merges, the intents, then their deliveries, one after another).
    reads_submissions = [s.sql for s in store if "FROM intents" in s.sql]
    assert len(reads_submissions) == 1 and "LEFT OUTER JOIN outbox" in reads_submissions[0], reads_submissions
    # REVENUES answers an account with its instalments, postings, discounts and Direct Debit instructions in
    # one statement (it was four, one after another, then two).
    revenues = [s.sql for s in back_offices if s.database == "REVENUES"]
    assert len(revenues) == 1, revenues
    assert all(table in revenues[0] for table in ("instalments", "transactions", "discounts", "direct_debits"))
    # BENEFITS answers claims with their households, CRM cases with their events: one statement each (they
    # were two, one after the other); CRM's complaints one more.
    benefits = [s.sql for s in back_offices if s.database == "BENEFITS"]
    assert len(benefits) == 1 and "household_members" in benefits[0]
    crm = [s.sql for s in back_offices if s.database == "CRM"]
    assert len(crm) == 2 and any("case_events" in sql for sql in crm), crm
    # Nothing of ours waits for a back office: every store read ran before the first back office answered,
    # but one: what the change feeds told of each request is keyed by the references the back offices
    # answer with (resolvers/my_requests.py), so it can only follow them.
    fan_out = min(s.at for s in back_offices)
    after = [s.sql.split(" FROM ", 1)[1].split()[0] for s in store if s.at > fan_out]
    assert after == ["request_changes"], after
    # And no back office waited for another: all of them ran within one delay of the first.
    assert max(s.at for s in back_offices) - fan_out < DELAY_MS / 1000, [
        (s.database, s.at - fan_out) for s in back_offices
    ]


async def test_with_revenues_down_a_cold_me_is_answered_without_it(demo_settings, issuer, residents):
    settings = settings_with(demo_settings, demo_sources_down=frozenset({SourceSystem.REVENUES}))
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(settings) as (_, client):
        body = (await graphql(client, ME, token)).json()
    me = body["data"]["me"]
    assert me["councilTaxAccounts"] == [] and me["discounts"] == []
    assert {"REVENUES", "BENEFITS"} <= {link["system"] for link in me["linkedRecords"]}
    assert me["benefitClaims"], "the other back offices still answer"
    unavailable = {tuple(e["path"]) for e in body["errors"] if e["extensions"]["code"] == "SOURCE_UNAVAILABLE"}
    assert ("me", "councilTaxAccounts") in unavailable and ("me", "discounts") in unavailable
