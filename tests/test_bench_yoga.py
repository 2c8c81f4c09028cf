"""The benchmark's GraphQL Yoga peer (bench/yoga_peer.py, bench/yoga/server.mjs): started as bench/run.py
starts it, it answers the `me` document with the gateway's own answer for a resident, cache off and with
Yoga's response cache (where the answer is then a kept one); and the report's peer rows and ratios come from
its measurements. Without node, or before `npm ci --prefix bench/yoga`, the server tests skip (in CI, fail)."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bench import queries, yoga_peer
from bench.run import HOST, DelayResults, Load, Options, Results, free_port, render, serving
from tests.supergraph import _missing
from tests.support import graphql


@pytest.fixture
async def captured_me(api: Any, issuer: Any, residents: list[dict[str, str]], tmp_path: Path) -> Path:
    """The gateway's answer to the benchmark's `me` for the most-linked resident, as bench/run.py captures it."""
    _app, client = api
    answer = (await graphql(client, queries.ME, issuer.resident_token(residents[0]["email"]))).json()
    assert "errors" not in answer and answer["data"]["me"]["councilTaxAccounts"]
    path = tmp_path / "captured_me.json"
    path.write_text(json.dumps(answer))
    return path


def _post(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    body = json.dumps({"query": queries.ME}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json",
                                     "Accept": "application/json", **(headers or {})})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as answered:  # a 304 is an answer here, not a failure
        return answered.code, dict(answered.headers), None


@pytest.mark.parametrize("response_cache", [False, True], ids=["cache off", "response cache"])
def test_the_peer_answers_the_captured_me_with_the_same_data(captured_me: Path, tmp_path: Path, response_cache: bool):
    missing = yoga_peer.unavailable(install=False)
    if missing:
        _missing(missing)
    port = free_port()
    command = yoga_peer.command(host=HOST, port=port, document=captured_me, response_cache=response_cache)
    expected = json.loads(captured_me.read_text())
    with serving("peer", command, yoga_peer.environment(), port, tmp_path) as server:
        answers = [_post(server.graphql_url) for _ in range(3)]
        assert [(status, answer) for status, _headers, answer in answers] == [(200, expected)] * 3
        etag = answers[0][1].get("ETag")
        # with the response cache the answer is kept: asked again with its ETag, Yoga answers 304 unchanged
        assert (etag is not None) is response_cache
        if response_cache:
            assert _post(server.graphql_url, {"If-None-Match": etag})[0] == 304


def test_without_node_the_peer_is_unavailable_and_says_why(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert yoga_peer.unavailable() == "no `node` on PATH"


def _load(rps: float, connections: int, threads: int = 1) -> Load:
    return Load("x", connections, threads, int(rps * 10), 10.0, 5.0, 6.0, 7.0, 0, 0, 1.0, 1.0, 1.0)


def _results(peer: dict[bool, list[Load]], note: str = "") -> Results:
    results = Results(started=dt.datetime.now(dt.UTC), command="python bench/run.py", options=Options(10, ()))
    delay = DelayResults(20, cold_me=_load(50, 16), warm_me=_load(6000, 16), warm_me_extra=[_load(5000, 8, 2)])
    results.delays.append(delay)
    results.starlette, results.starlette_extra = _load(10000, 16), [_load(9000, 8, 2)]
    results.peer, results.peer_note = peer, note
    return results


def _cells(report: str, starts: str) -> list[list[str]]:
    per_delay = report.split("## Targets at a glance")[0]
    found = [line for line in per_delay.splitlines() if line.startswith(starts)]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in found]


def test_the_report_has_the_peers_rows_and_its_ratios_at_the_same_shape_without_a_verdict():
    off = [_load(1600, 16), _load(1500, 8, 2), _load(900, 1)]
    cached = [_load(2500, 16), _load(2000, 8, 2), _load(1200, 1)]
    report = render(_results({False: off, True: cached}))

    rows = _cells(report, "| peer: GraphQL Yoga (Node), cache off |")
    assert [(row[1], row[4]) for row in rows] == [("`-t1 -c1`", "900"), ("`-t1 -c16`", "1600"), ("`-t2 -c8`", "1500")]
    assert [row[4] for row in _cells(report, "| peer: GraphQL Yoga (Node), response cache |")] == [
        "1200",
        "2500",
        "2000",
    ]
    assert _cells(report, "| (peer) cold `me` RPS vs GraphQL Yoga, cache off |") == [
        ["(peer) cold `me` RPS vs GraphQL Yoga, cache off", "50 vs 1600 rps", "0.03x", "n/a"]
    ]
    warm = "| (peer) warm `me` RPS vs GraphQL Yoga with its response cache (wrk "
    assert [row[1:] for row in _cells(report, warm)] == [
        ["6000 vs 2500 rps", "2.40x", "n/a"],
        ["5000 vs 2000 rps", "2.50x", "n/a"],
    ]


def test_without_the_peer_the_report_says_why_and_has_no_peer_rows():
    note = "The GraphQL Yoga (Node) peer rows were not measured: no `node` on PATH."
    report = render(_results({}, note))
    assert not _cells(report, "| peer:") and not _cells(report, "| (peer)")
    assert report.count(note) == 2  # in "How it was measured" and under the results
