"""Names people read: analytics and the report name a service as the council defines it, and demand by
service counts a street report under the service reported.

On main analytics called the staff-defined "Book a bulky waste collection" "Bulky waste" (a name made
from its code), and every reportIssue was one event under REPORT_ISSUE, litter and bulky waste alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from customer360.auth.principal import Role
from customer360.auth.tokens import DemoIssuer
from customer360.clock import london_today
from customer360.reporting.command import main_report
from customer360.settings import Settings
from customer360.store.database import create_engine, migrate
from customer360.store.service_definitions import ServiceDefinitionStore
from customer360.store.tables import events
from tests.history import council_with_history
from tests.services import fresh_postgres_database
from tests.support import graphql, running_app
from tests.test_analytics_api import DEMAND, EQUITY, half_year
from tests.test_defined_services import UPDATE

BULKY = "Book a bulky waste collection"
REPORT = """
mutation($input: ReportIssueInput!) { reportIssue(input: $input) {
  request { reference serviceCode } userErrors { code } } }
"""
BULKY_REPORT = {
    "serviceCode": "BULKY_WASTE",
    "description": "An old sofa and a fridge",
    "attributes": [{"code": "ITEMS", "value": "Sofa"}, {"code": "ITEM_COUNT", "value": "2"}],
    "returnUrl": "https://my.tamworth.example/payment-done",  # it has a fee
}


@pytest.fixture(scope="module")
def history_council(demo_settings: Settings, issuer: DemoIssuer, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return council_with_history(demo_settings, tmp_path_factory.mktemp("names") / "council")


async def test_analytics_names_a_staff_defined_service_as_the_council_defines_it(
    history_council, staff_token: Callable[..., str]
):
    analyst = staff_token(Role.ANALYST, name="Ada Analyst")
    async with running_app(history_council) as (_, client):
        rows = (await graphql(client, DEMAND, analyst, {**half_year(), "groupBy": ["SERVICE"]})).json()["data"]
        names = {row["service"]: row["serviceName"] for row in rows["demand"]}
        assert names["BULKY_WASTE"] == BULKY
        assert names["MISSED_BIN"] == "Report a missed bin", "a back-office service by its catalogue's name"
        equity = (await graphql(client, EQUITY, analyst, half_year())).json()["data"]["accessEquity"]
        assert {row["service"]: row["serviceName"] for row in equity}.get("BULKY_WASTE") in (None, BULKY)

        # The council renames it: analytics reads the new name at once (it is data, not derived from the code).
        renamed = {
            "code": "BULKY_WASTE",
            "name": "Bulky items collection",
            "group": "Bins and recycling",
            "attributes": [
                {"code": "ITEM_COUNT", "description": "How many items?", "datatype": "number", "required": True}
            ],
            "signInRequired": True,
            "routeTo": "WASTE",
            "feePence": 2500,
        }
        changed = (await graphql(client, UPDATE, staff_token(Role.ADMIN), {"input": renamed})).json()
        assert changed["data"]["updateService"]["userErrors"] == [], changed
        rows = (await graphql(client, DEMAND, analyst, {**half_year(), "groupBy": ["SERVICE"]})).json()["data"]
        assert {row["service"]: row["serviceName"] for row in rows["demand"]}["BULKY_WASTE"] == "Bulky items collection"


def test_the_report_names_services_as_the_council_defines_them(tmp_path: Path, demo_settings: Settings):
    settings = council_with_history(demo_settings, tmp_path / "council")
    today = london_today()
    output = tmp_path / "report.html"
    assert main_report(settings, today - timedelta(days=182), today - timedelta(days=1), output) == 0
    html = output.read_text(encoding="utf-8")
    assert BULKY in html
    assert ">Bulky waste<" not in html and "&quot;Bulky waste&quot;" not in html


async def _events_under(settings: Settings, *codes: str) -> list[tuple[str, str, str]]:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            query = select(events.c.service_code, events.c.kind, events.c.outcome).where(
                events.c.service_code.in_(codes), events.c.person_key.is_not(None)
            )
            return sorted((row.service_code, row.kind, row.outcome or "") for row in (await conn.execute(query)).all())
    finally:
        await engine.dispose()


async def test_an_accepted_report_is_counted_under_its_service_and_a_refused_one_under_report_issue(
    own_council, issuer, residents
):
    async with running_app(own_council) as (_, client):
        token = issuer.resident_token(residents[1]["email"])
        before = await _events_under(own_council, "BULKY_WASTE", "REPORT_ISSUE", "NOT_A_SERVICE")
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "bulky-report-1"}

        async def report() -> dict:
            answer = await client.post(
                "/graphql", json={"query": REPORT, "variables": {"input": BULKY_REPORT}}, headers=headers
            )
            return answer.json()["data"]["reportIssue"]

        # The same report twice at once, then again (the client's retry): one request, one event.
        answers = [*await asyncio.gather(report(), report()), await report()]
        assert all(a["userErrors"] == [] for a in answers), answers
        assert len({a["request"]["reference"] for a in answers}) == 1
        refused = {**BULKY_REPORT, "serviceCode": "NOT_A_SERVICE"}
        body = (await graphql(client, REPORT, token, {"input": refused})).json()["data"]["reportIssue"]
        assert body["userErrors"]
    after = await _events_under(own_council, "BULKY_WASTE", "REPORT_ISSUE", "NOT_A_SERVICE")
    added = list(after)
    for row in before:
        added.remove(row)
    assert added == [
        ("BULKY_WASTE", "service_submitted", "SUBMITTED"),
        ("REPORT_ISSUE", "error", body["userErrors"][0]["code"]),
    ], "an accepted report under its service; a refused one under REPORT_ISSUE, never a code from the input"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_the_store_names_every_service_ever_defined_by_its_newest_name(tmp_path: Path, backend: str):
    async def check(url: str) -> None:
        engine = create_engine(url)
        await migrate(engine)
        store = ServiceDefinitionStore(engine)
        try:
            assert (await store.names())["BULKY_WASTE"] == BULKY
            bulky = await store.latest("BULKY_WASTE")
            assert bulky is not None
            renamed = replace(
                bulky, version=bulky.version + 1, definition=replace(bulky.definition, name="Bulky items")
            )
            # Two admins saving the same next version at once, then a retry: one version kept.
            saved = await asyncio.gather(store.save_version(renamed, "a"), store.save_version(renamed, "b"))
            assert sorted(s is None for s in saved) == [False, True]
            assert await store.save_version(renamed, "a") is None
            await store.retire("BULKY_WASTE")
            assert (await store.names())["BULKY_WASTE"] == "Bulky items", "retired, still named in past figures"
        finally:
            await engine.dispose()

    if backend == "sqlite":
        await check(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    else:
        async with fresh_postgres_database() as url:
            await check(url)
