"""The demo's HTTP back offices in a process of their own: `serve` starts one, uses it, and stops it.

Real processes throughout: `customer360 serve` and `customer360 demo backoffices` as subprocesses on
free loopback ports, talked to over HTTP; processes are found and checked through /proc (Linux).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from customer360.settings import Settings, SettingsError
from tests.support import free_port

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds processes through /proc")

ME = """
{ me { linkedRecords { system }
  requests(first: 100) { edges { node { delivery { system } } } }
  payments(first: 5) { totalCount }
  councilTaxAccounts { reference balance { pence } nextInstalment { amount { pence } } } } }
"""
MAKE = """
mutation($input: MakePaymentInput!) { makePayment(input: $input) {
  payment { status nextUrl } userErrors { field code message } } }
"""
RETURN_URL = "https://my.tamworth.example/payment-done"


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(settings.data_dir),
        "C360_DATA_DIR": str(settings.data_dir),
        "C360_CACHE": "off",  # every read goes to the back offices
        "C360_OUTBOX_INTERVAL_SECONDS": "0",
        "C360_RECONCILE_INTERVAL_SECONDS": "0",
        "C360_LOG_LEVEL": "WARNING",
        "C360_RETURN_URL_ORIGINS": "https://my.tamworth.example",
        **extra,
    }


def _state(pid: int) -> str | None:
    """The process's state letter from /proc (`Z` for a zombie), or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _alive(pid: int) -> bool:
    return _state(pid) not in (None, "Z")


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every live process whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid and _alive(int(entry.name)):
                found.append((int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()))
    return found


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _answering(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, f"exited with {process.returncode}:\n{log.read_text()[-3000:]}"
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=2, trust_env=False).status_code == 200:
                return
        assert time.monotonic() < deadline, f"{url} did not answer in {seconds} s:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


@contextlib.contextmanager
def _started(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process in its own session; whatever is left of that session is killed at the end (test hygiene)."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_serve_runs_the_http_back_offices_in_one_child_process_and_stops_it(own_council, issuer, residents, tmp_path):
    port = free_port()
    gateway = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "customer360", "serve", "--port", str(port)]
    log = tmp_path / "serve.log"
    with _started(command, _env(own_council), log) as serve, httpx.Client(base_url=gateway, timeout=30) as client:
        _answering(f"{gateway}/healthz", serve, log)
        [(child, child_command)] = [c for c in _children(serve.pid) if "backoffices" in c[1]]
        assert "demo backoffices --port" in child_command

        ready = client.get("/readyz").json()
        assert ready["sources"]["STREET_SCENE"] == "up" and ready["sources"]["PAYMENTS"] == "up", ready

        def me(token: str) -> dict:
            answer = client.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}).json()
            assert "errors" not in answer, answer
            return answer["data"]["me"]

        # A resident known to both HTTP back offices gets their data through the child.
        for resident in residents:
            token = issuer.resident_token(resident["email"])
            found = me(token)
            if {"STREET_SCENE", "PAYMENTS"} <= {record["system"] for record in found["linkedRecords"]}:
                break
        else:
            pytest.fail("no sample resident is known to both STREET_SCENE and PAYMENTS")
        systems = {edge["node"]["delivery"]["system"] for edge in found["requests"]["edges"]}
        assert "STREET_SCENE" in systems and found["payments"]["totalCount"] > 0

        # The hosted payment page is the child's (a browser follows nextUrl there); its webhook reaches the gateway.
        account = next(a for a in found["councilTaxAccounts"] if a["balance"]["pence"] > 0 and a["nextInstalment"])
        amount = min(account["balance"]["pence"], account["nextInstalment"]["amount"]["pence"], 500)
        request = {
            "purpose": "COUNCIL_TAX",
            "accountReference": account["reference"],
            "amountPence": amount,
            "idempotencyKey": "process-mode",
            "returnUrl": RETURN_URL,
        }
        made = client.post(
            "/graphql",
            json={"query": MAKE, "variables": {"input": request}},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["data"]["makePayment"]
        assert made["userErrors"] == [], made
        next_url = made["payment"]["nextUrl"]
        assert next_url.startswith("http://127.0.0.1:") and not next_url.startswith(gateway), next_url
        with httpx.Client(trust_env=False, timeout=10) as browser:
            assert browser.get(next_url).status_code == 200
            finished = browser.post(next_url, data={"outcome": "success"})
        assert finished.status_code == 303 and finished.headers["location"] == RETURN_URL

        def balance() -> int:
            accounts = me(token)["councilTaxAccounts"]
            return next(a for a in accounts if a["reference"] == account["reference"])["balance"]["pence"]

        deadline = time.monotonic() + 15
        while balance() != account["balance"]["pence"] - amount:
            assert time.monotonic() < deadline, "the webhook should post the payment to REVENUES"
            time.sleep(0.2)

        serve.send_signal(signal.SIGTERM)  # to serve alone, not its session: it must stop its child itself
        serve.wait(timeout=30)
        assert serve.returncode == -signal.SIGTERM, log.read_text()[-3000:]
        assert _gone_within(child, 5), f"the back-office process {child} outlived serve"


def test_the_back_offices_stop_when_whoever_started_them_is_gone(own_council, tmp_path):
    """`serve` killed with SIGKILL cannot stop its child; the child notices it was orphaned and stops."""
    port = free_port()
    parent = textwrap.dedent(f"""
        import os, subprocess, sys, time
        command = [sys.executable, "-m", "customer360", "demo", "backoffices", "--port", "{port}"]
        subprocess.Popen([*command, "--parent-pid", str(os.getpid())])
        time.sleep(120)
    """)
    log = tmp_path / "parent.log"
    with _started([sys.executable, "-c", parent], _env(own_council), log) as starter:
        _answering(f"http://127.0.0.1:{port}/open311/v2/services.json", starter, log)
        [(child, _command)] = _children(starter.pid)
        starter.kill()
        starter.wait(timeout=10)
        assert _gone_within(child, 10), f"the back-office process {child} outlived whoever started it"


@pytest.mark.parametrize("value", ["forked", "yes"])
def test_an_unknown_way_of_running_the_back_offices_is_refused(value):
    with pytest.raises(SettingsError, match="C360_DEMO_BACKOFFICES"):
        Settings.from_env({"C360_DEMO_BACKOFFICES": value})


def test_serve_runs_them_in_a_process_unless_told_otherwise():
    assert Settings.from_env({}).demo_backoffices == "process"
    assert Settings.from_env({"C360_DEMO_BACKOFFICES": "INLINE"}).demo_backoffices == "inline"
    with pytest.raises(SettingsError, match="C360_DEMO_BACKOFFICE_URL"):
        Settings.from_env({"C360_DEMO_BACKOFFICE_URL": "127.0.0.1:8001"})
    # Built in-process (the tests, `outbox run`), the runtime starts them inline: no URL is set.
    assert Settings().demo_backoffice_url is None


def test_connections_to_a_back_office_send_small_answers_at_once():
    """Accepted connections inherit TCP_NODELAY: without it each answer waits for a delayed ACK (40 ms)."""
    import socket

    from customer360.demo.backoffice_server import listening_socket

    with listening_socket("127.0.0.1", 0) as listener, socket.create_connection(listener.getsockname()):
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
