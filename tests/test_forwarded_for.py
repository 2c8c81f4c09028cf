"""The per-address rate limit behind a gateway or HAProxy: `customer360 serve` (a real process on a free
loopback port) takes the client's address from `X-Forwarded-For` only when the peer itself is listed in
`FORWARDED_ALLOW_IPS` (uvicorn's proxy headers); anyone else's `X-Forwarded-For` is ignored, so a client
cannot dodge the limit by naming a fresh address in each request."""

from __future__ import annotations

import sys

import httpx

from tests.support import free_port
from tests.test_demo_backoffice_process import _answering, _env, _started

QUERY = {"query": "{ services { code } }"}
LIMIT = 3
GATEWAY = "127.0.0.1"  # trusted: listed in FORWARDED_ALLOW_IPS
STRANGER = "127.0.0.2"  # also on loopback (all of 127/8 is), but not listed


def _from(address: str, base_url: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base_url, transport=transport, timeout=30, trust_env=False)


def test_forwarded_for_counts_per_client_only_from_a_trusted_proxy(own_council, tmp_path):
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = _env(
        own_council,
        C360_DEMO_BACKOFFICES="inline",
        C360_RATE_LIMIT_PER_IP=str(LIMIT),
        C360_RATE_LIMIT_WINDOW_SECONDS="300",
        FORWARDED_ALLOW_IPS=GATEWAY,
    )
    command = [sys.executable, "-m", "customer360", "serve", "--port", str(port)]
    log = tmp_path / "serve.log"
    with (
        _started(command, env, log) as serve,
        _from(GATEWAY, base_url) as gateway,
        _from(STRANGER, base_url) as stranger,
    ):
        _answering(f"{base_url}/healthz", serve, log)

        def status(client: httpx.Client, path: str, forwarded_for: str | None = None) -> int:
            headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
            return client.post(path, json=QUERY, headers=headers).status_code

        # Through the trusted gateway, each resident is counted on their own address.
        assert [status(gateway, "/subgraph", "203.0.113.7") for _ in range(LIMIT + 1)] == [200] * LIMIT + [429]
        assert status(gateway, "/subgraph", "203.0.113.8") == 200  # another resident behind the same gateway
        # A chain: the address the gateway added counts.
        assert status(gateway, "/subgraph", "198.51.100.1, 203.0.113.9") == 200
        assert status(gateway, "/graphql") == 200  # the gateway's own requests are its own

        # A client that is not a trusted proxy names a new address each time: ignored, counted as itself.
        spoofed = [status(stranger, "/graphql", f"192.0.2.{n}") for n in range(1, LIMIT + 2)]
        assert spoofed == [200] * LIMIT + [429]
        assert status(stranger, "/graphql", "203.0.113.8") == 429  # not even as a real resident's address
        assert status(gateway, "/subgraph", "203.0.113.8") == 200  # whom the stranger named is untouched
