"""bench/run.py's report with the cold rows measured twice (SQL back offices on SQLite and on PostgreSQL):
each configuration's rows, targets and calls per back-office operation come from its own measurements,
and the rows of the PostgreSQL configuration are marked as such wherever they appear."""

from __future__ import annotations

import datetime as dt

from bench.run import ON_POSTGRES, DelayResults, Load, Options, Results, render

PAGE_CALLS = {"REVENUES.accounts_by_party": 1.0, "CRM.cases_by_contact": 1.0}


def _load(p50_ms: float, requests: int = 100, connections: int = 1, cpu_seconds: float | None = 2.0) -> Load:
    return Load("x", connections, 1, requests, 10.0, p50_ms, p50_ms, p50_ms, 0, 0, 1.0, 1.0, cpu_seconds)


def _cold(me_p50: float, page_calls: dict[str, float]) -> DelayResults:
    return DelayResults(
        20,
        cold_me_c1=_load(me_p50),
        cold_me=_load(me_p50 * 5, requests=500, connections=16),
        page_c1=_load(200.0, requests=50),
        page=_load(2000.0, requests=40, connections=16),
        page_calls=page_calls,
        page_customers=100,
    )


def _report(postgres: DelayResults | None) -> str:
    delay = _cold(40.0, PAGE_CALLS)
    delay.postgres = postgres
    results = Results(started=dt.datetime.now(dt.UTC), command="python bench/run.py", options=Options(10, ()))
    results.delays.append(delay)
    results.strawberry = _load(140.0, requests=1000, connections=16, cpu_seconds=None)
    return render(results)


def _row(report: str, starts: str) -> list[str]:
    """The cells of the one line of the per-delay tables that starts so (not the targets-at-a-glance copy)."""
    per_delay = report.split("## Targets at a glance")[0]
    found = [line for line in per_delay.splitlines() if line.startswith(starts)]
    assert len(found) == 1, (starts, found)
    return [cell.strip() for cell in found[0].strip("|").split("|")]


def test_the_postgresql_rows_are_marked_and_judged_on_their_own_measurements():
    report = _report(_cold(24.0, {**PAGE_CALLS, "CRM.cases_by_contact": 2.0}))

    sqlite_me = _row(report, "| cold `me`, full fan-out (cache off) | `-t1 -c1`")
    postgres_me = _row(report, f"| cold `me`, full fan-out (cache off, {ON_POSTGRES}) | `-t1 -c1`")
    assert (sqlite_me[2], postgres_me[2]) == ("40.0", "24.0")
    assert sqlite_me[-1] == postgres_me[-1] == "20.0"  # 2 s of the server's CPU over 100 requests
    assert _row(report, "| `me` (full fan-out, cold) p50 <= 1.25x the delay (1 connection) |")[2:] == [
        "2.00x",
        "**missed**",
    ]
    assert _row(report, f"| `me` (full fan-out, cold) p50 <= 1.25x the delay (1 connection) ({ON_POSTGRES}) |")[2:] == [
        "1.20x",
        "**met**",
    ]
    assert _row(report, f"| cold `me` RPS >= plain Strawberry (same shape) ({ON_POSTGRES}) |")[1:3] == [
        "50 vs 100 rps",
        "0.50x",
    ]
    # a second call of one operation in the PostgreSQL configuration is its own verdict, not SQLite's
    assert _row(report, "| 100-customer page: exactly one call per back-office operation |")[-1] == "**met**"
    assert _row(report, f"| 100-customer page: exactly one call per back-office operation ({ON_POSTGRES}) |")[-1] == (
        "**missed**"
    )
    assert _row(report, "| source.operation |") == ["source.operation", "calls", f"calls, {ON_POSTGRES}"]
    assert _row(report, "| CRM.cases_by_contact |") == ["CRM.cases_by_contact", "1", "2"]
    assert f"Rows marked *{ON_POSTGRES}*" in report


def test_without_the_postgresql_configuration_the_report_has_no_such_rows():
    report = _report(None)
    assert ON_POSTGRES not in report.split("## Diagnosis")[0]
    assert _row(report, "| source.operation |") == ["source.operation", "calls"]
    assert _row(report, "| cold `me`, full fan-out (cache off) | `-t1 -c1`")[-1] == "20.0"
