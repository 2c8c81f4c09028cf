"""From a back-office change to the resident's e-mail: how long it takes, on real processes.

    python bench/change_to_email.py                    # C360_CHANGES_INTERVAL_SECONDS 30 (the default) and 5
    python bench/change_to_email.py --intervals 30 --rounds 10

Seeds a small demo council into a temporary data dir, runs `customer360 serve` (its change feeds and
outbox relay in the background, the demo back offices and their Notify-compatible API in their own
process), and for each round: a resident reports litter, `customer360 demo progress` marks it
IN_PROGRESS in the street-scene contractor's own system, and the demo Notify is polled (official
client, every 0.1 s) until the e-mail for that change is there. The time is from the moment the
contractor's system recorded the change (its own `updated_datetime`) to the e-mail's `created_at` at
Notify. Expected: within one interval, as the feed is read once an interval and the message is sent
in the same pass.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from notifications_python_client.notifications import NotificationsAPIClient

REPORT = """
mutation($input: ReportIssueInput!) { reportIssue(input: $input) { request { reference } userErrors { code } } }
"""
SERVICES = "{ services { code attributes { code required values } } }"
SPOT = {"latitude": 52.6336, "longitude": -1.6950, "address": "By the castle gates"}


def run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def changed_at(data_dir: Path, reference: str) -> datetime:
    """When the contractor's system recorded the change: its own `updated_datetime` (UTC wall time)."""
    with sqlite3.connect(data_dir / "demo" / "street_scene.db") as db:
        (value,) = db.execute(
            "SELECT updated_datetime FROM requests WHERE external_reference = ?", (reference,)
        ).fetchone()
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def measure(data_dir: Path, interval: float, rounds: int, first_spot: int) -> list[float]:
    port = free_port()
    gateway = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "C360_DATA_DIR": str(data_dir),
        "C360_PUBLIC_URL": gateway,
        "C360_CHANGES_INTERVAL_SECONDS": str(interval),
        "C360_LOG_LEVEL": "WARNING",
        "C360_RATE_LIMIT_PER_IP": "0",
        "C360_RATE_LIMIT_PER_PRINCIPAL": "0",
    }
    me = sys.executable, "-m", "customer360"
    residents = [json.loads(line) for line in run([*me, "demo", "residents", "--limit", "1"], env).splitlines()]
    token = run([*me, "token", "--resident", residents[0]["email"]], env).strip()
    headers = {"Authorization": f"Bearer {token}"}
    serve = subprocess.Popen([*me, "serve", "--port", str(port)], env=env, start_new_session=True)
    latencies = []
    try:
        with httpx.Client(base_url=gateway, timeout=30, trust_env=False) as http:
            for _ in range(600):
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            notify = NotificationsAPIClient(
                (data_dir / "demo" / "notify-api-key").read_text().strip(),
                base_url=http.get("/readyz").json()["demoBackoffices"]["NOTIFY"]["url"],
            )
            services = http.post("/graphql", json={"query": SERVICES}).json()["data"]["services"]
            litter = next(s for s in services if s["code"] == "LITTER")
            answers = [{"code": a["code"], "value": a["values"][0]} for a in litter["attributes"] if a["required"]]
            for number in range(rounds):
                # Each report 330 m north of the last, so none is refused as a duplicate of another.
                spot = {**SPOT, "latitude": SPOT["latitude"] + 0.003 * (first_spot + number)}
                report = {"serviceCode": "LITTER", "description": "Bags split", "location": spot, "attributes": answers}
                made = http.post("/graphql", json={"query": REPORT, "variables": {"input": report}}, headers=headers)
                answer = made.json()
                if not (answer.get("data") or {}).get("reportIssue"):
                    raise SystemExit(f"the report was not taken: {answer}")
                reference = answer["data"]["reportIssue"]["request"]["reference"]
                run([*me, "demo", "progress", "--reference", reference, "--status", "IN_PROGRESS"], env)
                changed = changed_at(data_dir, reference)
                deadline = time.monotonic() + interval * 3 + 30
                while time.monotonic() < deadline:
                    sent = notify.get_all_notifications(reference=reference)["notifications"]
                    told = [m for m in sent if "being worked on" in (m["subject"] or "")]
                    if told:
                        at = datetime.fromisoformat(told[0]["created_at"].replace("Z", "+00:00"))
                        latencies.append((at - changed).total_seconds())
                        break
                    time.sleep(0.1)
                else:
                    raise SystemExit(f"no e-mail for {reference} within {interval * 3 + 30} s")
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=60)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--intervals", type=float, nargs="+", default=[30.0, 5.0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--residents", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="c360-notify-") as tmp:
        data_dir = Path(tmp)
        env = {**os.environ, "C360_DATA_DIR": str(data_dir), "C360_LOG_LEVEL": "WARNING"}
        run([sys.executable, "-m", "customer360", "demo", "seed", "--residents", str(args.residents)], env)
        for index, interval in enumerate(args.intervals):
            seconds = measure(data_dir, interval, args.rounds, index * args.rounds)
            print(
                f"interval {interval:g} s, {len(seconds)} changes: median {statistics.median(seconds):.2f} s, "
                f"min {min(seconds):.2f} s, max {max(seconds):.2f} s"
            )


if __name__ == "__main__":
    main()
