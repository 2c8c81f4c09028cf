"""`demand` and `accessEquity`: analysts see figures about groups, small groups suppressed; nobody else sees them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from customer360.analytics.figures import Analytics
from customer360.analytics.recorder import EventRecorder
from customer360.auth.principal import Role
from customer360.auth.tokens import DemoIssuer
from customer360.clock import london_today
from customer360.domain.analytics import (
    SMALLEST_GROUP,
    Channel,
    DemandDimension,
    EventKind,
    InteractionEvent,
    Period,
    pseudonym,
)
from customer360.settings import Settings
from customer360.store.database import create_engine, migrate
from tests.history import council_with_history
from tests.support import graphql, running_app

DEMAND = """
query Demand($from: Date!, $to: Date!, $groupBy: [DemandDimension!]!) {
  demand(from: $from, to: $to, groupBy: $groupBy) {
    service serviceName ward channel hour week suppressed people started submitted abandoned
    completionRate abandonmentRate resolved medianDaysToResolve expectedDays resolvedWithinExpectedRate
  }
}
"""
EQUITY = """
query Equity($from: Date!, $to: Date!) {
  accessEquity(from: $from, to: $to) {
    service serviceName
    all { suppressed people started completionRate onlineShare onlineCompletionRate assistedShare medianDaysToResolve }
    vulnerable { suppressed people started completionRate onlineShare onlineCompletionRate assistedShare }
  }
}
"""


def half_year() -> dict[str, object]:
    today = london_today()
    return {"from": (today - timedelta(days=182)).isoformat(), "to": (today - timedelta(days=1)).isoformat()}


@pytest.fixture(scope="module")
def history_council(demo_settings: Settings, issuer: DemoIssuer, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """After `issuer`: the copy must hold the signing key the tokens are made with."""
    return council_with_history(demo_settings, tmp_path_factory.mktemp("analytics") / "council")


@pytest.fixture
async def analytics_api(history_council: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    async with running_app(history_council) as pair:
        yield pair


@pytest.fixture
def analyst(staff_token: Callable[..., str]) -> str:
    return staff_token(Role.ANALYST, name="Ada Analyst")


async def test_analyst_gets_demand_by_service_with_small_groups_suppressed(analytics_api, analyst):
    _, client = analytics_api
    body = (await graphql(client, DEMAND, analyst, {**half_year(), "groupBy": ["SERVICE"]})).json()
    assert "errors" not in body, body
    rows = body["data"]["demand"]
    shown = [row for row in rows if not row["suppressed"]]
    hidden = [row for row in rows if row["suppressed"]]
    assert shown and hidden, "the demo half-year has both popular services and rare ones"
    for row in shown:
        assert row["people"] >= SMALLEST_GROUP
        if None not in (row["started"], row["submitted"], row["abandoned"]):
            assert row["started"] >= row["submitted"] + row["abandoned"] - 1
        assert row["completionRate"] is None or 0 <= row["completionRate"] <= 1
        assert row["ward"] is None and row["channel"] is None and row["hour"] is None
    for row in hidden:
        assert row["service"], "a suppressed row still says which group it is"
        assert [row[name] for name in ("people", "started", "submitted", "completionRate")] == [None] * 4
    missed_bins = next(row for row in shown if row["service"] == "MISSED_BIN")
    assert missed_bins["serviceName"] == "Report a missed bin"  # the catalogue's name
    assert missed_bins["expectedDays"] == 2 and missed_bins["medianDaysToResolve"] > 0


async def test_demand_by_ward_and_channel_suppresses_cells_and_orders_rows(analytics_api, analyst):
    _, client = analytics_api
    body = (await graphql(client, DEMAND, analyst, {**half_year(), "groupBy": ["CHANNEL", "WARD", "WARD"]})).json()
    rows = body["data"]["demand"]
    assert {row["channel"] for row in rows} == {"WEB", "PHONE", "FACE_TO_FACE", "ASSISTED_DIGITAL"}
    assert any(row["suppressed"] for row in rows)
    assert [(r["ward"], r["channel"]) for r in rows] == sorted((r["ward"], r["channel"]) for r in rows)
    assert all(row["service"] is None for row in rows)


async def test_demand_by_hour_and_week_are_london_time(analytics_api, analyst):
    _, client = analytics_api
    hours = (await graphql(client, DEMAND, analyst, {**half_year(), "groupBy": ["HOUR"]})).json()["data"]["demand"]
    assert {row["hour"] for row in hours} <= set(range(24))
    busiest = max((row for row in hours if row["started"] is not None), key=lambda row: row["started"])
    assert 9 <= busiest["hour"] <= 21
    weeks = (await graphql(client, DEMAND, analyst, {**half_year(), "groupBy": ["WEEK"]})).json()["data"]["demand"]
    assert all(date.fromisoformat(row["week"]).weekday() == 0 for row in weeks)
    assert 26 <= len(weeks) <= 28


async def test_access_equity_sets_vulnerable_residents_beside_everyone(analytics_api, analyst):
    _, client = analytics_api
    body = (await graphql(client, EQUITY, analyst, half_year())).json()
    assert "errors" not in body, body
    overall, *services = body["data"]["accessEquity"]
    assert overall["service"] is None and overall["serviceName"] == "All services"
    everyone, vulnerable = overall["all"], overall["vulnerable"]
    assert not everyone["suppressed"] and not vulnerable["suppressed"]
    assert SMALLEST_GROUP <= vulnerable["people"] < everyone["people"]
    # The demo's vulnerable residents go online less, so the gap the report is about shows.
    assert vulnerable["onlineShare"] < everyone["onlineShare"]
    assert any(row["vulnerable"]["suppressed"] for row in services)
    assert all(row["vulnerable"]["people"] is None for row in services if row["vulnerable"]["suppressed"])


COUNTS = ("started", "submitted", "abandoned", "resolved")
EQUITY_COUNTS = """
query Equity($from: Date!, $to: Date!) {
  accessEquity(from: $from, to: $to) {
    service all { suppressed started submitted abandoned resolved completionRate abandonmentRate }
    vulnerable { suppressed started submitted abandoned resolved completionRate abandonmentRate } } }
"""


def assert_no_count_can_be_singled_out(cells: list[dict[str, object]]) -> None:
    """No count from 1 to 9 is shown; no row's parts and no column has exactly one withheld count (it
    would be its total less the others); and no rate is shown beside a withheld count it would reveal."""
    for row in cells:
        for name in COUNTS:
            value = row[name]
            assert value is None or value == 0 or value >= SMALLEST_GROUP, (name, row)
        assert sum(row[name] is None for name in ("started", "submitted", "abandoned")) != 1, row
        if row["submitted"] is None or row["started"] is None:
            assert row["completionRate"] is None, row
        if row["abandoned"] is None or row["started"] is None:
            assert row["abandonmentRate"] is None, row
    for name in COUNTS:
        assert sum(row[name] is None for row in cells) != 1, name


@pytest.mark.parametrize("group_by", [["SERVICE"], ["CHANNEL"], ["WARD"], ["HOUR"], []])
async def test_demand_withholds_small_counts_and_any_that_would_give_one_away(analytics_api, analyst, group_by):
    _, client = analytics_api
    rows = (await graphql(client, DEMAND, analyst, {**half_year(), "groupBy": group_by})).json()["data"]["demand"]
    assert rows
    assert_no_count_can_be_singled_out(rows)
    if group_by == ["SERVICE"]:
        assert any(row["abandoned"] is None and not row["suppressed"] for row in rows), "a cell, not a group"


async def test_access_equity_withholds_small_counts_of_vulnerable_residents(analytics_api, analyst):
    _, client = analytics_api
    body = (await graphql(client, EQUITY_COUNTS, analyst, half_year())).json()
    assert "errors" not in body, body
    rows = body["data"]["accessEquity"]
    for side in ("all", "vulnerable"):
        assert_no_count_can_be_singled_out([row[side] for row in rows])
    overall = rows[0]["vulnerable"]
    assert not overall["suppressed"] and overall["started"] >= SMALLEST_GROUP


@pytest.mark.parametrize(
    "who",
    ["resident", "customer_services", "data_steward", "anonymous"],
)
async def test_analytics_is_forbidden_to_everyone_but_analysts(analytics_api, who, issuer: DemoIssuer, residents):
    _, client = analytics_api
    token = {
        "resident": issuer.resident_token(residents[0]["email"]),
        "customer_services": issuer.staff_token("Sam Staff", [Role.CUSTOMER_SERVICES]),
        "data_steward": issuer.staff_token("Dee Steward", [Role.DATA_STEWARD]),
        "anonymous": None,
    }[who]
    for query, variables in ((DEMAND, {**half_year(), "groupBy": ["SERVICE"]}), (EQUITY, half_year())):
        body = (await graphql(client, query, token, variables)).json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_admin_may_see_analytics(analytics_api, staff_token):
    _, client = analytics_api
    body = (await graphql(client, DEMAND, staff_token(Role.ADMIN), {**half_year(), "groupBy": []})).json()
    [total] = body["data"]["demand"]
    assert total["people"] > 100 and total["service"] is None


async def test_a_backwards_period_is_bad_input(analytics_api, analyst):
    _, client = analytics_api
    variables = {"from": "2026-06-30", "to": "2026-01-01", "groupBy": ["SERVICE"]}
    body = (await graphql(client, DEMAND, analyst, variables)).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_recorded_events_count_once_ten_people_are_behind_them(tmp_path: Path):
    """The boundary, end to end through the store: nine people are suppressed, the tenth shows the group."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    await migrate(engine)
    recorder, analytics = EventRecorder(engine), Analytics(engine)
    at = datetime(2026, 3, 10, 12, tzinfo=UTC)
    period = Period(date(2026, 3, 1), date(2026, 3, 31))

    async def journey(person: int) -> None:
        key = pseudonym(b"test-salt", f"customer-{person}")
        for kind in (EventKind.SERVICE_STARTED, EventKind.SERVICE_SUBMITTED):
            await recorder.record(
                InteractionEvent(kind=kind, channel=Channel.WEB, at=at, service_code="GRAFFITI", person_key=key)
            )

    try:
        for person in range(SMALLEST_GROUP - 1):
            await journey(person)
            await journey(person)  # the same person twice is still one person
        [row] = await analytics.demand(period, [DemandDimension.SERVICE])
        assert row.measures.suppressed and row.measures.started is None
        await journey(SMALLEST_GROUP)
        [row] = await analytics.demand(period, [DemandDimension.SERVICE])
        assert not row.measures.suppressed
        assert (row.measures.people, row.measures.started, row.measures.completion_rate) == (10, 19, 1.0)
    finally:
        await engine.dispose()


async def test_demand_by_service_and_access_equity_withhold_the_same_counts(analytics_api, analyst):
    """The same figures in two answers: one must not show what the other withholds."""
    _, client = analytics_api
    demand = (await graphql(client, DEMAND, analyst, {**half_year(), "groupBy": ["SERVICE"]})).json()["data"]["demand"]
    equity = (await graphql(client, EQUITY_COUNTS, analyst, half_year())).json()["data"]["accessEquity"]
    by_service = {row["service"]: [row[name] for name in COUNTS] for row in demand if not row["suppressed"]}
    everyone = {
        row["service"]: [row["all"][name] for name in COUNTS] for row in equity[1:] if not row["all"]["suppressed"]
    }
    assert by_service == everyone
