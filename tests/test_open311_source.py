"""The Open311 adapter against the demo street-scene back office with its extensions on, over real loopback HTTP.

The same adapter against the server as plain GeoReport v2: tests/test_open311_standard.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from math import cos, degrees, radians
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from customer360.demo import street_scene_db as db
from customer360.demo.backoffice_server import serve_on_loopback
from customer360.demo.open311_app import create_open311_app
from customer360.domain.geography import EARTH_RADIUS_METRES
from customer360.domain.reporting import AttributeAnswer, StreetReportSubmission
from customer360.domain.requests import Location, RequestStatus
from customer360.domain.services import ServiceAttributeRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.errors import SourceRejected, SourceUnavailable
from customer360.sources.street_scene.open311_http import API_KEY_HEADER, Open311Http

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
KEY = "council-open311-key"


def at(hours: int) -> datetime:
    return T0.replace(hour=9 + hours)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'street_scene.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(db.metadata.create_all)
        await conn.execute(
            insert(db.services),
            [
                {
                    "service_code": "LITTER",
                    "service_name": "Litter",
                    "group_name": "Green & Clean",
                    "keywords": "rubbish",
                },
                {
                    "service_code": "GRAFFITI",
                    "service_name": "Graffiti",
                    "group_name": "Green & Clean",
                    "keywords": None,
                },
            ],
        )
        await conn.execute(
            insert(db.service_attributes),
            [
                {
                    "service_code": "GRAFFITI",
                    "code": "OFFENSIVE",
                    "description": "Is it offensive?",
                    "datatype": "singlevaluelist",
                    "required": True,
                    "position": 2,
                    "values": ["yes", "no"],
                },
                {
                    "service_code": "GRAFFITI",
                    "code": "SURFACE",
                    "description": "What is it on?",
                    "datatype": "string",
                    "required": False,
                    "position": 1,
                    "values": None,
                },
            ],
        )
        await conn.execute(
            insert(db.reporters),
            [
                {
                    "reporter_id": f"R{n}",
                    "first_name": f"First{n}",
                    "last_name": f"Last{n}",
                    "email": f"r{n}@example.org",
                }
                for n in range(1, 5)
            ],
        )
        await conn.execute(
            insert(db.requests),
            [
                request_row("SS-1", "R1", "open", at(0), lat=52.6339, long=-1.695, address_string="Market St"),
                request_row("SS-2", "R1", "closed", at(1), expected_datetime=at(5)),
                request_row("SS-3", "R2", "open", at(2)),
                request_row("SS-4", "R4", "open", at(3)),  # a reporter nobody asks about
            ],
        )
        await conn.execute(
            insert(db.request_updates),
            [
                {"service_request_id": "SS-2", "at": at(3), "status": "closed", "description": "Cleared"},
                {"service_request_id": "SS-2", "at": at(1), "status": "open", "description": "Report received"},
            ],
        )
    yield engine
    await engine.dispose()


def request_row(request_id: str, reporter_id: str, status: str, requested: datetime, **extra: object) -> dict:
    return {
        "service_request_id": request_id,
        "service_code": "LITTER",
        "reporter_id": reporter_id,
        "description": f"about {request_id}",
        "status": status,
        "requested_datetime": requested,
        "updated_datetime": requested,
        # executemany needs every row to name the same columns
        **{"lat": None, "long": None, "address_string": None, "expected_datetime": None, **extra},
    }


@pytest.fixture
async def base_url(engine: AsyncEngine) -> AsyncIterator[str]:
    async with serve_on_loopback(create_open311_app(engine, api_key=KEY, extensions=True)) as url:
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
async def source(client: httpx.AsyncClient, base_url: str, sent: list[httpx.Request]) -> Open311Http:
    source = Open311Http(client, base_url, api_key=KEY)
    # It learns the extensions from the server's discovery.json once; the tests count the calls after.
    assert await source.extensions() == {"account_id", "external_reference", "history", "search", "reporters"}
    sent.clear()
    return source


async def test_services_and_their_attributes_round_trip(source: Open311Http, sent: list[httpx.Request]) -> None:
    services = {service.code: service for service in await source.services()}

    assert services["LITTER"].name == "Litter"
    assert services["LITTER"].group == "Green & Clean"
    assert services["LITTER"].attributes == ()
    assert services["GRAFFITI"].attributes == (
        ServiceAttributeRecord("SURFACE", "What is it on?", "string", required=False),
        ServiceAttributeRecord("OFFENSIVE", "Is it offensive?", "singlevaluelist", required=True, values=("yes", "no")),
    )
    # The list, then a definition only for the service whose `metadata` says it has attributes.
    assert [request.url.path for request in sent] == ["/services.json", "/services/GRAFFITI.json"]


async def test_one_service_is_read_live_with_its_attributes_or_none_when_gone(
    source: Open311Http, sent: list[httpx.Request]
) -> None:
    graffiti = await source.service("GRAFFITI")
    assert graffiti is not None and graffiti.name == "Graffiti"
    assert [attribute.code for attribute in graffiti.attributes] == ["SURFACE", "OFFENSIVE"]
    sent.clear()
    litter = await source.service("LITTER")
    assert litter is not None and litter.attributes == ()
    assert [request.url.path.rsplit("/", 1)[-1] for request in sent] == ["services.json"], (
        "a service without metadata asks nothing: its definition is not fetched"
    )
    assert await source.service("NO_SUCH_SERVICE") is None


async def test_requests_for_three_reporters_take_one_call(source: Open311Http, sent: list[httpx.Request]) -> None:
    by_reporter = await source.requests_by_reporter(["R1", "R2", "R3"])

    assert len(sent) == 1
    # The council's key in a header, never in the URL that access logs and proxies keep.
    assert sent[0].headers[API_KEY_HEADER] == KEY and "api_key" not in sent[0].url.params
    assert {reporter: [r.reference for r in requests] for reporter, requests in by_reporter.items()} == {
        "R1": ["SS-2", "SS-1"],
        "R2": ["SS-3"],
    }
    assert by_reporter["R3"] == []


async def test_request_records_map_status_location_and_history(source: Open311Http) -> None:
    requests = {r.reference: r for r in (await source.requests_by_reporter(["R1"]))["R1"]}

    opened, closed = requests["SS-1"], requests["SS-2"]
    assert opened.system is SourceSystem.STREET_SCENE
    assert opened.owner_record_id == "R1"
    assert opened.service_name == "Litter"
    assert opened.status is RequestStatus.IN_PROGRESS
    assert opened.submitted_at == at(0)
    assert opened.location == Location(latitude=52.6339, longitude=-1.695, address="Market St")
    assert closed.status is RequestStatus.RESOLVED
    assert closed.expected_by == at(5)
    assert closed.location is None
    assert [(event.at, event.status, event.description) for event in closed.history] == [
        (at(1), RequestStatus.IN_PROGRESS, "Report received"),
        (at(3), RequestStatus.RESOLVED, "Cleared"),
    ]


async def test_reporters_are_the_people_feed(source: Open311Http) -> None:
    people = await source.person_records()

    assert [(p.record_id, p.forenames, p.surname, p.email) for p in people][:2] == [
        ("R1", "First1", "Last1", "r1@example.org"),
        ("R2", "First2", "Last2", "r2@example.org"),
    ]
    assert {p.system for p in people} == {SourceSystem.STREET_SCENE}


async def test_requests_filter_by_status_and_id(client: httpx.AsyncClient, base_url: str) -> None:
    closed = (
        await client.get(f"{base_url}/requests.json", params={"status": "closed", "start_date": "2025-03-01T00:00:00Z"})
    ).json()
    picked = (await client.get(f"{base_url}/requests.json", params={"service_request_id": "SS-1,SS-3"})).json()
    single = await client.get(f"{base_url}/requests/SS-2.json")

    assert [r["service_request_id"] for r in closed] == ["SS-2"]
    assert [r["service_request_id"] for r in picked] == ["SS-3", "SS-1"]
    assert single.json()[0]["requested_datetime"] == "2025-03-03T10:00:00+00:00"
    assert (await client.get(f"{base_url}/requests/NOPE.json")).status_code == 404


async def test_unknown_service_definition_is_404(client: httpx.AsyncClient, base_url: str) -> None:
    response = await client.get(f"{base_url}/services/NOPE.json")

    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "service_code NOPE not found"}]


@pytest.mark.parametrize(
    ("form", "description"),
    [
        ({"service_code": "NOPE", "lat": "52.6", "long": "-1.7"}, "service_code NOPE not found"),
        ({"service_code": "GRAFFITI", "lat": "52.6", "long": "-1.7"}, "attribute OFFENSIVE is required"),
        (
            {"service_code": "GRAFFITI", "lat": "52.6", "long": "-1.7", "attribute[OFFENSIVE]": "maybe"},
            "attribute OFFENSIVE must be one of yes, no",
        ),
        ({"service_code": "LITTER"}, "a location is required: lat and long, address_string or address_id"),
        ({"service_code": "LITTER", "lat": "52.6"}, "lat and long must both be given in decimal degrees"),
    ],
)
async def test_post_validation_errors_answer_400_in_spec_format(
    client: httpx.AsyncClient, base_url: str, form: dict[str, str], description: str
) -> None:
    response = await client.post(f"{base_url}/requests.json", data={**form, "api_key": KEY})

    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": description}]


async def test_post_files_a_report_under_its_account(
    client: httpx.AsyncClient, base_url: str, source: Open311Http
) -> None:
    form = {
        "service_code": "GRAFFITI",
        "account_id": "R3",
        "address_string": "Ankerside",
        "description": "Tags on the wall",
        "attribute[OFFENSIVE]": "no",
        "api_key": KEY,
    }
    response = await client.post(f"{base_url}/requests.json", data=form)

    assert response.status_code == 201
    [answer] = response.json()
    assert answer["account_id"] == "R3"
    [filed] = (await source.requests_by_reporter(["R3"]))["R3"]
    assert filed.reference == answer["service_request_id"]
    assert filed.service_name == "Graffiti"
    assert [event.description for event in filed.history] == ["Report received"]


async def test_post_with_a_new_email_creates_a_reporter(
    client: httpx.AsyncClient, base_url: str, source: Open311Http
) -> None:
    form = {"service_code": "LITTER", "lat": "52.63", "long": "-1.69", "email": "New@Example.org", "api_key": KEY}
    [answer] = (await client.post(f"{base_url}/requests.json", data=form)).json()

    people = {p.record_id: p for p in await source.person_records()}
    assert people[answer["account_id"]].email == "new@example.org"


async def test_a_stopped_server_makes_the_source_unavailable(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    async with serve_on_loopback(create_open311_app(engine, api_key=KEY, extensions=True)) as url:
        source = Open311Http(client, url, api_key=KEY)
        await source.ping()
        await source.extensions()

    with pytest.raises(SourceUnavailable) as raised:
        await source.requests_by_reporter(["R1"])
    assert raised.value.system is SourceSystem.STREET_SCENE


REPORT = StreetReportSubmission(
    external_reference="C360-7K3M9Q2P",
    service_code="GRAFFITI",
    description="Tags on the underpass",
    latitude=52.6339,
    longitude=-1.695,
    attributes=(AttributeAnswer("OFFENSIVE", ("no",)), AttributeAnswer("SURFACE", ("Brick",))),
)


def report(**changes: Any) -> StreetReportSubmission:
    return replace(REPORT, **changes)


async def count_requests(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(db.requests)) or 0)


async def test_submitting_twice_with_one_external_reference_files_one_request(
    source: Open311Http, engine: AsyncEngine
) -> None:
    before = await count_requests(engine)

    first = await source.submit_request(report(account_id="R3"))
    again = await source.submit_request(report(account_id="R3"))

    assert again == first
    assert await count_requests(engine) == before + 1
    [filed] = (await source.requests_by_reporter(["R3"]))["R3"]
    assert first.account_id == "R3"
    assert (filed.reference, filed.external_reference, filed.service_code) == (
        first.service_request_id,
        "C360-7K3M9Q2P",
        "GRAFFITI",
    )
    assert filed.location == Location(latitude=52.6339, longitude=-1.695)
    assert [event.description for event in filed.history] == ["Report received"]


async def test_a_repeated_post_answers_200_with_the_first_filing(client: httpx.AsyncClient, base_url: str) -> None:
    form = {
        "service_code": "LITTER",
        "lat": "52.63",
        "long": "-1.69",
        "external_reference": "C360-AAAA2222",
        "api_key": KEY,
    }

    first = await client.post(f"{base_url}/requests.json", data=form)
    again = await client.post(f"{base_url}/requests.json", data={**form, "description": "edited"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()[0]["service_request_id"] == first.json()[0]["service_request_id"]


async def test_an_anonymous_report_with_a_multivaluelist_and_an_email(
    source: Open311Http, engine: AsyncEngine, sent: list[httpx.Request]
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(db.services).values(
                service_code="FLY_TIPPING", service_name="Fly-tipping", group_name="Green & Clean"
            )
        )
        await conn.execute(
            insert(db.service_attributes).values(
                service_code="FLY_TIPPING",
                code="WASTE",
                description="What has been dumped?",
                datatype="multivaluelist",
                required=True,
                position=1,
                values=["Household", "Tyres"],
            )
        )
    submission = report(
        service_code="FLY_TIPPING",
        attributes=(AttributeAnswer("WASTE", ("Household", "Tyres"), is_list=True),),
        email="new.reporter@example.org",
        first_name="Nia",
        address="Behind 12 Lichfield Street",
        uprn="100000000012",
    )

    receipt = await source.submit_request(submission)

    body = httpx.QueryParams(sent[-1].content.decode())
    assert body.get_list("attribute[WASTE][]") == ["Household", "Tyres"]
    assert body["api_key"] == KEY
    assert (body["address_id"], body["external_reference"]) == ("100000000012", "C360-7K3M9Q2P")
    assert "account_id" not in body
    reporter = {p.email: p.record_id for p in await source.person_records()}["new.reporter@example.org"]
    assert receipt.account_id == reporter, "the new reporter's id comes back, so the gateway can link it"
    [filed] = (await source.requests_by_reporter([reporter]))[reporter]
    assert filed.reference == receipt.service_request_id
    assert filed.location == Location(52.6339, -1.695, "Behind 12 Lichfield Street", "100000000012")


@pytest.mark.parametrize(
    ("submission", "reason"),
    [
        (report(service_code="NOPE"), "service_code NOPE not found"),
        (report(attributes=()), "attribute OFFENSIVE is required"),
        (report(account_id="R99"), "account_id R99 not found"),
    ],
)
async def test_a_refusal_raises_open311_rejected(
    source: Open311Http, submission: StreetReportSubmission, reason: str
) -> None:
    with pytest.raises(SourceRejected) as raised:
        await source.submit_request(submission)

    assert raised.value.reason == reason


@pytest.mark.parametrize(
    ("status", "error"), [(400, SourceRejected), (429, SourceUnavailable), (503, SourceUnavailable)]
)
async def test_client_errors_are_refusals_and_the_rest_outages(status: int, error: type[Exception]) -> None:
    answer = httpx.Response(status, json=[{"code": status, "description": "no"}])
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _request: answer)) as client:
        with pytest.raises(error):
            source = Open311Http(client, "http://street-scene.test", extensions=["external_reference"])
            await source.submit_request(report())


@pytest.mark.parametrize(
    "body", [b"<html><body>Bad gateway</body></html>", b'[{"service_request_id": "SR-1", ', b'["\xff\xfe"]']
)
async def test_an_answer_that_is_not_json_makes_the_source_unavailable(body: bytes) -> None:
    """A 200 that is not a JSON answer: a proxy's error page, an answer cut short, bytes that are not UTF-8."""
    answer = httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _request: answer)) as client:
        source = Open311Http(client, "http://street-scene.test", api_key=KEY, extensions=["account_id"])
        with pytest.raises(SourceUnavailable) as raised:
            await source.requests_by_reporter(["R-1"])
    assert raised.value.reason.startswith("GET requests.json: ") and "DecodeError(" in raised.value.reason


ANSWERED_ITEM = (
    '[{"service_request_id": "SR-1", "account_id": "R-1", "service_code": "LITTER", "status": "open",'
    ' "requested_datetime": "2026-12-01T09:00:00+00:00", "updated_datetime": "2026-12-01T09:00:00+00:00",'
    ' "lat": %s}]'
)


@pytest.mark.parametrize(
    "body",
    [
        b"\xef\xbb\xbf" + (ANSWERED_ITEM % "52.6").encode(),  # a UTF-8 byte order mark (.NET servers send one)
        (ANSWERED_ITEM % "NaN").encode(),  # Python's json.dumps for a missing latitude
        (ANSWERED_ITEM % "52.6").encode("utf-16"),
    ],
    ids=["utf-8 bom", "nan", "utf-16"],
)
async def test_an_answer_json_allows_but_a_strict_decoder_refuses_is_still_answered(body: bytes) -> None:
    """A faster, stricter decoder (orjson) once refused these, making a working back office look down for
    every resident; they are decoded as JSON's own rules allow (RFC 8259 lets a parser skip a BOM)."""
    answer = httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda _request: answer)) as client:
        source = Open311Http(client, "http://street-scene.test", api_key=KEY, extensions=["account_id"])
        found = await source.requests_by_reporter(["R-1"])
    assert [record.reference for record in found["R-1"]] == ["SR-1"]


async def test_an_outage_message_quotes_neither_the_query_nor_the_answer() -> None:
    """SourceUnavailable's reason is logged: no key or reporter from a URL's query (whatever the httpx
    error), and no reporter id from an answer that lacks its service_request_id."""

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(unreachable)) as client:
        source = Open311Http(client, "http://street-scene.test", api_key=KEY, extensions=["reporters", "account_id"])
        with pytest.raises(SourceUnavailable) as raised:
            await source.requests_by_reporter(["R-SECRET-7"])
    assert "street-scene.test/requests.json" in raised.value.reason
    assert "R-SECRET-7" not in raised.value.reason and KEY not in raised.value.reason

    def leaky(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json=[{"account_id": "R-SECRET-7", "service_notice": "Thanks"}])

    async with httpx.AsyncClient(transport=httpx.MockTransport(leaky)) as client:
        source = Open311Http(client, "http://street-scene.test", api_key=KEY, extensions=["external_reference"])
        with pytest.raises(SourceUnavailable) as raised:
            await source.submit_request(report())
    assert "R-SECRET-7" not in raised.value.reason
    assert raised.value.reason == (
        "POST requests.json answered no service_request_id: a list of 1, the first an object with keys "
        "['account_id', 'service_notice']"
    )


async def test_a_report_to_a_stopped_server_is_an_outage(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    async with serve_on_loopback(create_open311_app(engine, api_key=KEY, extensions=True)) as url:
        source = Open311Http(client, url, api_key=KEY)

    with pytest.raises(SourceUnavailable):
        await source.submit_request(report())


def from_centre(north_metres: float, east_metres: float) -> dict[str, float]:
    latitude = 52.6339 + degrees(north_metres / EARTH_RADIUS_METRES)
    longitude = -1.695 + degrees(east_metres / (EARTH_RADIUS_METRES * cos(radians(52.6339))))
    return {"lat": latitude, "long": longitude}


async def test_requests_near_a_point_are_those_inside_the_radius(
    source: Open311Http, engine: AsyncEngine, sent: list[httpx.Request]
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(db.requests),
            [
                request_row("SS-N150", "R2", "open", at(4), **from_centre(150, 0)),
                request_row("SS-E190", "R2", "closed", at(4), **from_centre(0, 190)),
                request_row("SS-S250", "R2", "open", at(4), **from_centre(-250, 0)),
                # inside the bounding box, outside the circle: 180 m north and 180 m east is 255 m away
                request_row("SS-NE", "R2", "open", at(4), **from_centre(180, 180)),
                request_row("SS-G", "R2", "open", at(4), service_code="GRAFFITI", **from_centre(0, -100)),
            ],
        )

    near = await source.requests_near(52.6339, -1.695, 200, None)
    litter = await source.requests_near(52.6339, -1.695, 200, "LITTER")

    assert sorted(r.reference for r in near) == ["SS-1", "SS-E190", "SS-G", "SS-N150"]
    assert sorted(r.reference for r in litter) == ["SS-1", "SS-E190", "SS-N150"]
    assert len(sent) == 2


@pytest.mark.parametrize(
    "params",
    [{"lat": "52.63", "long": "-1.69"}, {"lat": "52.63", "radius": "100"}, {"lat": "91", "long": "0", "radius": "1"}],
)
async def test_a_search_needs_lat_long_and_radius_together(
    client: httpx.AsyncClient, base_url: str, params: dict[str, str]
) -> None:
    assert (await client.get(f"{base_url}/requests.json", params=params)).status_code == 400


async def test_concurrent_retries_of_one_report_file_it_once(source: Open311Http, engine: AsyncEngine) -> None:
    before = await count_requests(engine)

    receipts = await asyncio.gather(*(source.submit_request(report()) for _ in range(5)))

    assert len({receipt.service_request_id for receipt in receipts}) == 1
    assert await count_requests(engine) == before + 1
