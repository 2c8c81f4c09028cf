"""Standard Open311: the demo server as plain GeoReport v2, the adapter against it, and a third-party client.

The server with its extensions on, and the adapter using them: tests/test_open311_source.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from georeport import GeoReport
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from customer360.demo import street_scene_db as db
from customer360.demo.backoffice_server import serve_on_loopback
from customer360.demo.open311_app import create_open311_app
from customer360.domain.reporting import AttributeAnswer, StreetReportSubmission
from customer360.domain.requests import RequestStatus
from customer360.sources.street_scene.open311_http import Open311Http, reference_line

# The server's own clock: a retried report is looked for from when the gateway kept it, which is now.
NOW = datetime.now(UTC).replace(microsecond=0)
KEY = "council-open311-key"


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'street_scene.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(db.metadata.create_all)
        await conn.execute(
            insert(db.services),
            [
                {"service_code": "LITTER", "service_name": "Litter", "group_name": "Green & Clean"},
                {"service_code": "GRAFFITI", "service_name": "Graffiti", "group_name": "Green & Clean"},
            ],
        )
        await conn.execute(
            insert(db.service_attributes).values(
                service_code="GRAFFITI",
                code="OFFENSIVE",
                description="Is it offensive?",
                datatype="singlevaluelist",
                required=True,
                position=1,
                values=["yes", "no"],
            )
        )
        await conn.execute(
            insert(db.reporters).values(reporter_id="R1", first_name="Ann", last_name="Lee", email="ann@example.org")
        )
        await conn.execute(
            insert(db.requests),
            [
                row("SS-NEW", days_ago(1), status="open", lat=52.6339, long=-1.695),
                row("SS-80", days_ago(80), status="closed", updated=days_ago(70), notes="Cleared"),
                row("SS-100", days_ago(100), status="closed", lat=52.6339, long=-1.695),
                row("SS-FAR", days_ago(2), status="open", lat=52.70, long=-1.695),
            ],
        )
    yield engine
    await engine.dispose()


def row(
    request_id: str,
    requested: datetime,
    *,
    status: str,
    updated: datetime | None = None,
    notes: str | None = None,
    lat: float | None = None,
    long: float | None = None,
) -> dict[str, object]:
    return {
        "service_request_id": request_id,
        "service_code": "LITTER",
        "reporter_id": "R1",
        "description": f"about {request_id}",
        "status": status,
        "status_notes": notes,
        "requested_datetime": requested,
        "updated_datetime": updated or requested,
        "lat": lat,
        "long": long,
        "external_reference": f"C360-{request_id}",
    }


@pytest.fixture
async def base_url(engine: AsyncEngine) -> AsyncIterator[str]:
    async with serve_on_loopback(create_open311_app(engine, api_key=KEY)) as url:
        yield url


@pytest.fixture
async def sent() -> list[httpx.Request]:
    return []


@pytest.fixture
async def client(sent: list[httpx.Request]) -> AsyncIterator[httpx.AsyncClient]:
    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as client:
        yield client


@pytest.fixture
def source(client: httpx.AsyncClient, base_url: str) -> Open311Http:
    return Open311Http(client, base_url, api_key=KEY)


REPORT = StreetReportSubmission(
    external_reference="C360-7K3M9Q2P",
    service_code="GRAFFITI",
    description="Tags on the underpass",
    latitude=52.6339,
    longitude=-1.695,
    attributes=(AttributeAnswer("OFFENSIVE", ("no",)),),
    email="new.reporter@example.org",
    kept_at=datetime.now(UTC),
)


async def count_requests(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(db.requests)) or 0)


def paths(sent: list[httpx.Request]) -> list[str]:
    return [request.url.path.rsplit("/", 1)[-1] for request in sent]


# --- the adapter against a plain GeoReport v2 server ---------------------------------------------


async def test_a_plain_server_offers_no_extensions_and_the_adapter_asks_for_none(
    source: Open311Http, sent: list[httpx.Request]
) -> None:
    assert await source.extensions() == frozenset()
    assert await source.person_records() == []
    assert await source.requests_by_reporter(["R1"]) == {}
    assert paths(sent) == ["discovery.json"], "discovery once; no reporters.json, no account_id filter"


async def test_configured_extensions_skip_discovery(client: httpx.AsyncClient, base_url: str, sent: list) -> None:
    source = Open311Http(client, base_url, api_key=KEY, extensions=[])

    assert await source.requests_by_reporter(["R1"]) == {}
    assert sent == []


async def test_requests_are_read_by_the_ids_the_gateway_kept_whatever_their_age(
    source: Open311Http, sent: list[httpx.Request]
) -> None:
    found = await source.requests_by_id(["SS-100", "SS-80", "SS-GONE"])

    assert sorted(found) == ["SS-100", "SS-80"], "service_request_id overrides the 90-day window"
    assert httpx.QueryParams(sent[-1].url.query)["service_request_id"] == "SS-100,SS-80,SS-GONE"
    cleared = found["SS-80"]
    assert cleared.status is RequestStatus.RESOLVED
    assert cleared.owner_record_id is None and cleared.external_reference is None, "not in the public feed"
    # No history extension: the filing, then its status now with the contractor's notes.
    assert [(e.at, e.status, e.description) for e in cleared.history] == [
        (days_ago(80), RequestStatus.SUBMITTED, "Report received"),
        (days_ago(70), RequestStatus.RESOLVED, "Cleared"),
    ]


async def test_nearby_requests_are_judged_by_the_adapter_within_the_default_window(
    source: Open311Http, sent: list[httpx.Request]
) -> None:
    near = await source.requests_near(52.6339, -1.695, 200, "LITTER")

    # SS-100 is at the spot but 100 days old; SS-FAR is recent but 7 km away.
    assert [r.reference for r in near] == ["SS-NEW"]
    assert {"lat", "long", "radius"}.isdisjoint(httpx.QueryParams(sent[-1].url.query))


async def test_a_report_is_filed_with_the_key_and_our_reference_in_its_description(
    source: Open311Http, engine: AsyncEngine, sent: list[httpx.Request]
) -> None:
    receipt = await source.submit_request(REPORT)

    post = sent[-1]
    body = httpx.QueryParams(post.content.decode())
    assert (post.method, body["api_key"]) == ("POST", KEY)
    assert "external_reference" not in body
    assert body["description"] == f"Tags on the underpass\n\n{reference_line('C360-7K3M9Q2P')}"
    [filed] = (await source.requests_by_id([receipt.service_request_id])).values()
    assert filed.service_code == "GRAFFITI"
    # Read back, the reference is ours again and the description the resident's.
    assert (filed.external_reference, filed.description) == ("C360-7K3M9Q2P", "Tags on the underpass")
    assert receipt.account_id is not None, "the standard's POST answer names the reporter"


async def test_a_retry_after_a_lost_answer_finds_the_first_filing(source: Open311Http, engine: AsyncEngine) -> None:
    before = await count_requests(engine)

    first = await source.submit_request(REPORT)
    again = await source.submit_request(REPORT)  # the first answer never reached the gateway

    assert again.service_request_id == first.service_request_id
    assert await count_requests(engine) == before + 1
    other = await source.submit_request(replace(REPORT, external_reference="C360-2"))
    assert other.service_request_id != first.service_request_id, "another report is filed"


async def test_a_refused_report_names_every_invalid_field(client: httpx.AsyncClient, base_url: str) -> None:
    form = {
        "api_key": KEY,
        "service_code": "GRAFFITI",
        "lat": "95",
        "long": "0",
        "email": "not an address",
        "attribute[COLOUR]": "red",
    }
    response = await client.post(f"{base_url}/requests.json", data=form)

    assert response.status_code == 400
    assert [error["description"] for error in response.json()] == [
        "lat and long are out of range",
        "email is not a valid address",
        "unknown attribute: COLOUR",
        "attribute OFFENSIVE is required",
    ]


async def test_posting_needs_the_councils_key(client: httpx.AsyncClient, base_url: str, engine: AsyncEngine) -> None:
    form = {"service_code": "LITTER", "lat": "52.6", "long": "-1.7"}

    missing = await client.post(f"{base_url}/requests.json", data=form)
    wrong = await client.post(f"{base_url}/requests.json", data={**form, "api_key": "guess"})

    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert wrong.json() == [{"code": 403, "description": "api_key is missing or not valid"}]
    assert await count_requests(engine) == 4


async def test_reporters_and_account_ids_are_never_public(client: httpx.AsyncClient, base_url: str) -> None:
    feed = (await client.get(f"{base_url}/requests.json")).json()

    assert (await client.get(f"{base_url}/reporters.json", params={"api_key": KEY})).status_code == 404
    assert feed and all({"account_id", "external_reference", "history"}.isdisjoint(item) for item in feed)
    by_account = (await client.get(f"{base_url}/requests.json", params={"account_id": "R1"})).json()
    assert by_account == feed, "a plain server ignores the extension's filter"


async def test_reporters_and_who_reported_what_need_the_key_even_with_extensions(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    async with serve_on_loopback(create_open311_app(engine, api_key=KEY, extensions=True)) as url:
        anyone = await client.get(f"{url}/reporters.json")
        council = await client.get(f"{url}/reporters.json", params={"api_key": KEY})
        public_feed = (await client.get(f"{url}/requests.json")).json()
        councils_feed = (await client.get(f"{url}/requests.json", params={"api_key": KEY})).json()
        search_by_reporter = await client.get(f"{url}/requests.json", params={"account_id": "R1"})

    assert anyone.status_code == 403
    assert [person["reporter_id"] for person in council.json()] == ["R1"]
    assert public_feed and all("account_id" not in item for item in public_feed), "who reported what is private"
    assert {item["account_id"] for item in councils_feed} == {"R1"}
    assert search_by_reporter.status_code == 403


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["SS-NEW", "SS-FAR", "SS-80"]),  # the most recent 90 days
        ({"start_date": days_ago(110).isoformat()}, ["SS-80", "SS-100"]),  # 90 days from the start
        ({"end_date": days_ago(75).isoformat()}, ["SS-80", "SS-100"]),  # 90 days up to the end
        ({"end_date": days_ago(95).isoformat()}, ["SS-100"]),
        ({"start_date": days_ago(160).isoformat(), "end_date": days_ago(9).isoformat()}, None),  # 151 days
        ({"start_date": days_ago(5).isoformat(), "end_date": days_ago(6).isoformat()}, None),  # backwards
        ({"start_date": "yesterday"}, None),
    ],
)
async def test_the_default_window_is_90_days_and_no_range_spans_more(
    client: httpx.AsyncClient, base_url: str, params: dict[str, str], expected: list[str] | None
) -> None:
    response = await client.get(f"{base_url}/requests.json", params=params)

    if expected is None:
        assert response.status_code == 400
        assert response.json()[0]["code"] == 400
    else:
        assert [item["service_request_id"] for item in response.json()] == expected


async def test_discovery_names_the_endpoint_its_formats_and_no_extensions(
    client: httpx.AsyncClient, base_url: str
) -> None:
    document = (await client.get(f"{base_url}/discovery.json")).json()

    [endpoint] = document["endpoints"]
    assert endpoint["url"] == base_url
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    assert endpoint["extensions"] == []


async def test_every_answer_comes_as_xml_too(client: httpx.AsyncClient, base_url: str) -> None:
    services = ElementTree.fromstring((await client.get(f"{base_url}/services.xml")).content)
    definition = ElementTree.fromstring((await client.get(f"{base_url}/services/GRAFFITI.xml")).content)
    posted = await client.post(
        f"{base_url}/requests.xml",
        data={"api_key": KEY, "service_code": "GRAFFITI", "address_string": "Ankerside", "attribute[OFFENSIVE]": "no"},
    )
    refused = await client.post(f"{base_url}/requests.xml", data={"api_key": KEY})

    assert [s.findtext("service_code") for s in services.iter("service")] == ["GRAFFITI", "LITTER"]
    assert [s.findtext("metadata") for s in services.iter("service")] == ["true", "false"]
    assert [v.findtext("key") for v in definition.iter("value")] == ["yes", "no"]
    assert posted.status_code == 201 and posted.headers["content-type"].startswith("text/xml")
    receipt = ElementTree.fromstring(posted.content).find("request")
    assert receipt is not None and receipt.findtext("service_request_id", "").startswith("SS-")
    errors = ElementTree.fromstring(refused.content)
    assert (refused.status_code, errors.tag) == (400, "errors")
    assert errors.findtext("error/description") == "service_code is required"


# --- a third-party GeoReport v2 client (PyPI `georeport`) ------------------------------------------


@pytest.mark.parametrize("output_format", ["json", "xml"])
async def test_the_georeport_client_reads_the_server(base_url: str, output_format: str) -> None:
    client = GeoReport(base_url, output_format=output_format)

    services = await asyncio.to_thread(client.get_service_list)
    definition = await asyncio.to_thread(client.get_service_definition, "GRAFFITI")
    recent = await asyncio.to_thread(client.get_service_requests, status="open")
    picked = await asyncio.to_thread(client.get_service_requests, service_request_id="SS-80,SS-100")
    one = await asyncio.to_thread(client.get_service_request, "SS-100")

    assert [service["service_code"] for service in services] == ["GRAFFITI", "LITTER"]
    attributes = definition["attributes"]
    # xmltodict gives a lone element as a dict, several as a list: the XML is the same tree as the JSON.
    attribute = attributes[0] if output_format == "json" else attributes["attribute"]
    assert attribute["code"] == "OFFENSIVE"
    assert [item["service_request_id"] for item in recent] == ["SS-NEW", "SS-FAR"]
    assert [item["service_request_id"] for item in picked] == ["SS-80", "SS-100"]
    assert one["service_request_id"] == "SS-100"
    assert one["status"] == "closed"
