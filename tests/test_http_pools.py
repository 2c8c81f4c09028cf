"""One connection pool per HTTP back office (sources/http_pools.py), over real loopback HTTP."""

from __future__ import annotations

import asyncio
import ssl

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from customer360.demo.backoffice_server import serve_on_loopback
from customer360.runtime import back_office_client
from customer360.settings import Settings
from customer360.sources.http_pools import PoolPerBackOffice

LIMITS = httpx.Limits(max_connections=100)


async def client_port(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers the port the request came from: one port, one connection."""
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": str(scope["client"][1]).encode()})


async def test_back_offices_under_one_origin_never_share_a_connection() -> None:
    async with serve_on_loopback(client_port) as base:
        pools = PoolPerBackOffice(
            [f"{base}/open311/v2", f"{base}/pay/"], verify=ssl.create_default_context(), limits=LIMITS
        )
        async with httpx.AsyncClient(transport=pools) as client:
            ports: dict[str, set[str]] = {"open311": set(), "pay": set(), "elsewhere": set()}
            for _ in range(3):
                for office, path in (
                    ("open311", "/open311/v2/requests.json"),
                    ("pay", "/pay/v1/payments"),
                    ("elsewhere", "/feed"),
                ):
                    ports[office].add((await client.get(f"{base}{path}")).text)

    assert all(len(used) == 1 for used in ports.values()), ports  # each kept its connection alive
    assert len(set.union(*ports.values())) == 3, ports  # and none lent it to another


@pytest.mark.parametrize(
    ("url", "pool"),
    [
        ("http://council.test/open311/v2/requests.json?account_id=R-1", "open311"),
        ("http://COUNCIL.test:80/open311/v2/services.json", "open311"),
        ("http://council.test/pay/v1/payments", "pay"),
        ("http://council.test/pay/refunds/v1/refunds", "refunds"),  # the longer base URL wins
        ("http://council.test/open311/v1/requests.json", "elsewhere"),
        ("https://council.test/pay/v1/payments", "elsewhere"),  # another origin
        ("http://council.test/payments", "elsewhere"),  # a path that only starts like a base URL's
    ],
)
def test_a_request_goes_to_the_pool_of_the_base_url_it_starts_with(url: str, pool: str) -> None:
    base_urls = {
        "open311": "http://council.test/open311/v2",
        "pay": "http://council.test/pay",
        "refunds": "http://council.test/pay/refunds/",
    }
    pools = PoolPerBackOffice(base_urls.values(), verify=ssl.create_default_context(), limits=LIMITS)
    by_name = {name: pools.pool_for(httpx.URL(f"{base}/x")) for name, base in base_urls.items()}
    assert len({id(transport) for transport in by_name.values()}) == 3

    chosen = pools.pool_for(httpx.URL(url))

    assert chosen is by_name.get(pool, pools.pool_for(httpx.URL("http://elsewhere.test/")))


async def sets_a_cookie_and_echoes_any(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers the Cookie header it was sent, and sets a session cookie, as a back office's framework might."""
    assert scope["type"] == "http"
    sent = dict(scope["headers"]).get(b"cookie", b"")
    headers = [(b"content-type", b"text/plain"), (b"set-cookie", b"session=resident-1; Path=/")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": sent})


async def test_the_back_office_client_sends_no_cookie_a_back_office_set(tmp_path) -> None:
    # One client calls every back office for every resident: a cookie set while answering for one must
    # not go with the next call, made for somebody else.
    settings = Settings.from_env({"C360_DATA_DIR": str(tmp_path)})
    async with serve_on_loopback(sets_a_cookie_and_echoes_any) as base, httpx.AsyncClient() as plain:
        async with back_office_client(settings, [base]) as client:
            answers = [(await client.get(f"{base}/requests.json")).text for _ in range(3)]
        control = [(await plain.get(f"{base}/requests.json")).text for _ in range(2)]  # httpx's own jar keeps it

    assert answers == ["", "", ""]
    assert control == ["", "session=resident-1"]


async def test_a_proxy_the_environment_names_carries_every_back_office_call(tmp_path, monkeypatch) -> None:
    # httpx reads HTTP_PROXY only when it is given no transport of ours: with one named, the back-office
    # client must still go through it (a council's egress proxy), not try the back office directly.
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head.split(b"\r\n", 1)[0])
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nproxied")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    office = "http://street-scene.council.internal/open311/v2"
    settings = Settings.from_env({"C360_DATA_DIR": str(tmp_path)})
    async with server:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        async with back_office_client(settings, [office]) as client:
            answer = await client.get(f"{office}/requests.json")
        monkeypatch.delenv("HTTP_PROXY")
        for name in ("http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        async with back_office_client(settings, [office]) as direct:
            assert isinstance(direct._transport, PoolPerBackOffice)  # no proxy: a pool per back office

    assert answer.text == "proxied"
    assert seen == [f"GET {office}/requests.json HTTP/1.1".encode()]
