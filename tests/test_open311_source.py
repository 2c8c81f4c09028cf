"""The Open311 adapter against the demo street-scene back office, over real loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from customer360.demo import street_scene_db as db
from customer360.demo.backoffice_server import serve_on_loopback
from customer360.demo.open311_app import create_open311_app
from customer360.domain.requests import Location, RequestStatus
from customer360.domain.services import ServiceAttributeRecord
from customer360.domain.systems import SourceSystem
from customer360.sources.errors import SourceUnavailable
from customer360.sources.open311_http import Open311Http

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


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
    async with serve_on_loopback(create_open311_app(engine)) as url:
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
    return Open311Http(client, base_url)


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


async def test_requests_for_three_reporters_take_one_call(source: Open311Http, sent: list[httpx.Request]) -> None:
    by_reporter = await source.requests_by_reporter(["R1", "R2", "R3"])

    assert len(sent) == 1
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
    closed = (await client.get(f"{base_url}/requests.json", params={"status": "closed"})).json()
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
    response = await client.post(f"{base_url}/requests.json", data=form)

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
    form = {"service_code": "LITTER", "lat": "52.63", "long": "-1.69", "email": "New@Example.org", "last_name": "New"}
    [answer] = (await client.post(f"{base_url}/requests.json", data=form)).json()

    people = {p.record_id: p for p in await source.person_records()}
    assert people[answer["account_id"]].email == "new@example.org"


async def test_a_stopped_server_makes_the_source_unavailable(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    async with serve_on_loopback(create_open311_app(engine)) as url:
        source = Open311Http(client, url)
        await source.ping()

    with pytest.raises(SourceUnavailable) as raised:
        await source.requests_by_reporter(["R1"])
    assert raised.value.system is SourceSystem.STREET_SCENE
