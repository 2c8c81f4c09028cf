"""`customer360 serve`'s stderr as an operator's log shipper reads it: every line one JSON object (uvicorn's
and the libraries' included), no alembic notes, client errors at INFO without a traceback, and every line
logged for a request carrying that request's id."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx

from customer360.settings import Settings
from tests.support import free_port

REQUEST_ID = "log-lines-test-0001"


def test_every_line_serve_writes_is_json_with_the_request_id_and_no_alembic_notes(own_council: Settings):
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(own_council.data_dir),
        "C360_DATA_DIR": str(own_council.data_dir),
        "C360_DEMO_BACKOFFICES": "inline",
        "C360_OUTBOX_INTERVAL_SECONDS": "0",
        "C360_DRAIN_SECONDS": "0",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "customer360", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        headers = {"X-Request-ID": REQUEST_ID, "Authorization": "Bearer not.a.token"}
        refused = httpx.post(f"{base}/graphql", json={"query": "{ me { name } }"}, headers=headers, timeout=10)
        assert refused.status_code == 401
        invalid = httpx.post(
            f"{base}/graphql", json={"query": "{ nope }"}, headers={"X-Request-ID": REQUEST_ID + "b"}, timeout=10
        )
        assert invalid.status_code == 200 and invalid.json()["errors"]
    finally:
        server.send_signal(signal.SIGTERM)
        _out, err = server.communicate(timeout=60)

    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "serve logged nothing"
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    assert all({"ts", "level", "logger", "message"} <= set(record) for record in records)
    assert any(record["logger"].startswith("uvicorn") for record in records), "uvicorn's lines are JSON too"
    assert not [r for r in records if r["logger"].startswith("alembic")], "no alembic notes"

    token_lines = [r for r in records if r.get("request_id") == REQUEST_ID]
    assert [r["message"] for r in token_lines] == ["refused a bearer token: the bearer token is not a well-formed JWT"]
    assert token_lines[0]["level"] == "INFO" and "exception" not in token_lines[0]
    invalid_lines = [r for r in records if r.get("request_id") == REQUEST_ID + "b"]
    assert invalid_lines and all(r["level"] == "INFO" and "exception" not in r for r in invalid_lines)
    assert not [r for r in records if r["level"] in ("ERROR", "CRITICAL")], records
