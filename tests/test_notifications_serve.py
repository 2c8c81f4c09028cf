"""The whole loop on real processes: `customer360 serve` (its change feeds and relay in the background),
`customer360 demo progress` as the back-office officer, the demo Notify read back with the official
client; and `serve` killed with SIGKILL at a random moment of each step, then started again: still
exactly one e-mail per event."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import httpx
from notifications_python_client.notifications import NotificationsAPIClient

from customer360.demo import council
from tests.support import free_port
from tests.test_demo_backoffice_process import _answering, _env, _gone_within, _started
from tests.test_report_issue import HERE

REPORT = """
mutation($input: ReportIssueInput!) { reportIssue(input: $input) { request { reference } userErrors { code } } }
"""
SERVICES = "{ services { code attributes { code required values } } }"
MY_REQUESTS = "{ me { requests(first: 50) { edges { node { reference status history { description } } } } } }"
EXPECTED = {
    "Litter: we have received your request": 1,
    "Litter: your request is being worked on": 1,
    "Litter: your request is resolved": 1,
}


def test_every_event_is_emailed_once_though_serve_is_killed_mid_way(own_council, issuer, residents, tmp_path):
    port = free_port()
    gateway = f"http://127.0.0.1:{port}"
    env = _env(
        own_council,
        C360_PUBLIC_URL=gateway,
        C360_CHANGES_INTERVAL_SECONDS="1",
        C360_OUTBOX_INTERVAL_SECONDS="1",
    )
    command = [sys.executable, "-m", "customer360", "serve", "--port", str(port)]
    token = issuer.resident_token(residents[12]["email"])
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(18)

    def progress(status: str, note: str) -> None:
        cli = [sys.executable, "-m", "customer360", "demo", "progress", "--reference", reference]
        done = subprocess.run([*cli, "--status", status, "--note", note], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    def killed_at_random(serve: subprocess.Popen[bytes], log_name: str) -> None:
        time.sleep(rng.uniform(0.0, 2.5))  # somewhere in reading the feed, sending, or recording
        os.kill(serve.pid, signal.SIGKILL)
        serve.wait(timeout=10)

    def sent() -> Counter[str]:
        client = NotificationsAPIClient(council.notify_api_key(own_council), base_url=notify_url)
        return Counter(m["subject"] for m in client.get_all_notifications(reference=reference)["notifications"])

    with _started(command, env, tmp_path / "serve-1.log") as serve, httpx.Client(base_url=gateway, timeout=30) as http:
        _answering(f"{gateway}/healthz", serve, tmp_path / "serve-1.log")
        notify_url = http.get("/readyz").json()["demoBackoffices"]["NOTIFY"]["url"]
        litter = next(
            s
            for s in http.post("/graphql", json={"query": SERVICES}).json()["data"]["services"]
            if s["code"] == "LITTER"
        )
        answers = [{"code": a["code"], "value": a["values"][0]} for a in litter["attributes"] if a["required"]]
        report = {"serviceCode": "LITTER", "description": "Bags split", "location": HERE, "attributes": answers}
        made = http.post("/graphql", json={"query": REPORT, "variables": {"input": report}}, headers=headers).json()
        reference = made["data"]["reportIssue"]["request"]["reference"]
        progress("IN_PROGRESS", "A crew is on its way")
        killed_at_random(serve, "serve-1.log")
    for step, (status, note) in enumerate([("RESOLVED", "Litter cleared"), (None, None)], start=2):
        log = tmp_path / f"serve-{step}.log"
        with _started(command, env, log) as serve, httpx.Client(base_url=gateway, timeout=30) as http:
            _answering(f"{gateway}/healthz", serve, log)
            notify_url = http.get("/readyz").json()["demoBackoffices"]["NOTIFY"]["url"]
            if status is None:  # the last start runs on until every message is out (a lapsed claim is 10 s)
                deadline = time.monotonic() + 90
                while sent() != EXPECTED and time.monotonic() < deadline:
                    time.sleep(0.5)
                mine = http.post("/graphql", json={"query": MY_REQUESTS}, headers=headers).json()
                final = sent()
                break
            progress(status, note)
            killed_at_random(serve, log.name)
    assert final == EXPECTED
    listed = next(e["node"] for e in mine["data"]["me"]["requests"]["edges"] if e["node"]["reference"] == reference)
    assert listed["status"] == "RESOLVED"
    assert [h["description"] for h in listed["history"]][-2:] == ["A crew is on its way", "Litter cleared"]
    assert _gone_within(serve.pid, 5)
