"""reportIssue and nearbyRequests end to end: validation, routing to Open311 or the CRM, no loss."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from customer360.demo import council
from customer360.demo.gazetteer import demo_gazetteer
from customer360.demo.street_scene_db import requests as street_requests
from customer360.domain.geography import TAMWORTH_CENTRE, distance_metres
from customer360.domain.systems import SourceSystem
from customer360.sources.crm.sql import cases as crm_cases
from customer360.store.database import create_engine
from customer360.store.tables import listed_services
from tests.support import graphql, running_app

REPORT = """
mutation($input: ReportIssueInput!) { reportIssue(input: $input) {
  request { id reference serviceCode serviceName status location { latitude longitude }
            delivery { state system backOfficeReference attempts } history { description } }
  userErrors { field code message } } }
"""
MY_REQUESTS = """
{ me { requests(first: 100) { edges { node { reference serviceCode status
  delivery { state backOfficeReference } history { description } } } } } }
"""
NEARBY = """
query($location: LocationInput!, $radius: Int, $code: String) {
  nearbyRequests(location: $location, radiusMetres: $radius, serviceCode: $code) { reference serviceCode } }
"""
# The demo gazetteer's address nearest the town centre: well inside the borough.
SPOT = min(
    (a for a in demo_gazetteer() if a.in_borough),
    key=lambda a: distance_metres(a.latitude, a.longitude, *TAMWORTH_CENTRE),
)
HERE = {"latitude": SPOT.latitude, "longitude": SPOT.longitude, "address": "By the bus stop"}


async def litter_answers(client) -> list[dict[str, str]]:
    """A valid answer for each of LITTER's required attributes, read from the live catalogue."""
    body = (await graphql(client, "{ services { code attributes { code required datatype values } } }")).json()
    litter = next(s for s in body["data"]["services"] if s["code"] == "LITTER")
    return [{"code": a["code"], "value": a["values"][0]} for a in litter["attributes"] if a["required"]]


async def rows(settings, system: SourceSystem, table, external_reference: str) -> int:
    engine = create_engine(council.database_urls(settings)[system])
    try:
        async with engine.connect() as conn:
            query = select(func.count()).where(table.c.external_reference == external_reference)
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def test_litter_reported_with_attributes_reaches_street_scene_and_my_requests(own_council, issuer, residents):
    token = issuer.resident_token(residents[4]["email"])
    async with running_app(own_council) as (_, client):
        attributes = await litter_answers(client)
        body = (
            await graphql(
                client,
                REPORT,
                token,
                {
                    "input": {
                        "serviceCode": "LITTER",
                        "description": "Bags split",
                        "location": HERE,
                        "attributes": attributes,
                    }
                },
            )
        ).json()
        payload = body["data"]["reportIssue"]
        assert payload["userErrors"] == []
        request = payload["request"]
        assert request["reference"].startswith("C360-")
        assert request["serviceName"] == "Litter"
        assert request["delivery"]["state"] == "DELIVERED" and request["delivery"]["system"] == "STREET_SCENE"
        mine = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
        listed = next(e["node"] for e in mine if e["node"]["reference"] == request["reference"])
        assert listed["delivery"]["backOfficeReference"] == request["delivery"]["backOfficeReference"]
        assert listed["history"], "the back office's history comes with it"
        near = (await graphql(client, NEARBY, None, {"location": HERE, "radius": 50, "code": "LITTER"})).json()
        # On the map too, it is the reference its reporter was given.
        assert request["reference"] in {r["reference"] for r in near["data"]["nearbyRequests"]}
    assert await rows(own_council, SourceSystem.STREET_SCENE, street_requests, request["reference"]) == 1


async def test_the_same_report_twice_nearby_is_refused_with_the_first_reference(own_council, issuer, residents):
    token = issuer.resident_token(residents[5]["email"])
    async with running_app(own_council) as (_, client):
        attributes = await litter_answers(client)
        report = {"serviceCode": "LITTER", "description": "Litter", "location": HERE, "attributes": attributes}
        first = (await graphql(client, REPORT, token, {"input": report})).json()["data"]["reportIssue"]
        nudged = {**HERE, "latitude": HERE["latitude"] + 0.0002}  # about 22 m north
        second = (await graphql(client, REPORT, token, {"input": {**report, "location": nudged}})).json()
        (error,) = second["data"]["reportIssue"]["userErrors"]
        assert error["code"] == "DUPLICATE_NEARBY"
        assert first["request"]["reference"] in error["message"]
        elsewhere = {**HERE, "latitude": HERE["latitude"] + 0.002}  # about 220 m north
        third = (await graphql(client, REPORT, token, {"input": {**report, "location": elsewhere}})).json()
        assert (
            third["data"]["reportIssue"]["userErrors"] == []
            or third["data"]["reportIssue"]["userErrors"][0]["code"] == "OUTSIDE_BOROUGH"
        )


async def test_an_anonymous_street_report_is_accepted_with_a_contact_email(own_council):
    async with running_app(own_council) as (_, client):
        attributes = await litter_answers(client)
        body = (
            await graphql(
                client,
                REPORT,
                None,
                {
                    "input": {
                        "serviceCode": "LITTER",
                        "description": "Overflowing bin",
                        "location": HERE,
                        "attributes": attributes,
                        "contactEmail": "passer.by@example.net",
                    }
                },
            )
        ).json()
    assert body["data"]["reportIssue"]["userErrors"] == []
    assert body["data"]["reportIssue"]["request"]["delivery"]["state"] == "DELIVERED"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        pytest.param({"serviceCode": "NO_SUCH_THING"}, ["input", "serviceCode"], "UNKNOWN_SERVICE", id="unknown"),
        pytest.param({"description": ""}, ["input", "description"], "REQUIRED", id="no-description"),
        pytest.param({"description": "x" * 2001}, ["input", "description"], "TOO_LONG", id="oversized"),
        pytest.param({"attributes": []}, ["input", "attributes"], "REQUIRED", id="missing-attribute"),
        pytest.param({"location": None}, ["input", "location"], "LOCATION_REQUIRED", id="nowhere"),
        pytest.param(
            {"location": {"latitude": 52.4862, "longitude": -1.8904}},
            ["input", "location"],
            "OUTSIDE_BOROUGH",
            id="birmingham",
        ),
        pytest.param(
            {"location": {"uprn": "999999999999"}}, ["input", "location", "uprn"], "UNKNOWN_UPRN", id="bad-uprn"
        ),
        pytest.param({"contactEmail": "not an email"}, ["input", "contactEmail"], "INVALID_EMAIL", id="bad-email"),
    ],
)
async def test_bad_reports_get_user_errors_and_write_nothing(own_council, change, field, code):
    async with running_app(own_council) as (app, client):
        attributes = await litter_answers(client)
        report = {"serviceCode": "LITTER", "description": "Litter", "location": HERE, "attributes": attributes}
        body = (await graphql(client, REPORT, None, {"input": {**report, **change}})).json()
        payload = body["data"]["reportIssue"]
        assert payload["request"] is None
        assert (payload["userErrors"][0]["field"], payload["userErrors"][0]["code"]) == (field, code)
        assert await app.state.runtime.outbox.pending_count() == 0


async def test_a_value_outside_the_list_is_refused_at_its_path(own_council):
    async with running_app(own_council) as (_, client):
        attributes = await litter_answers(client)
        attributes[0] = {**attributes[0], "value": "Plutonium"}
        report = {"serviceCode": "LITTER", "description": "Litter", "location": HERE, "attributes": attributes}
        payload = (await graphql(client, REPORT, None, {"input": report})).json()["data"]["reportIssue"]
    assert payload["userErrors"][0]["field"] == ["input", "attributes", "0", "value"]
    assert payload["userErrors"][0]["code"] == "INVALID_VALUE"


async def test_a_shortfall_in_service_opens_a_crm_case_for_a_signed_in_resident(own_council, issuer, residents):
    token = issuer.resident_token(residents[6]["email"])
    report = {"serviceCode": "SERVICE_SHORTFALL", "description": "The assisted bin collection was missed"}
    async with running_app(own_council) as (_, client):
        anonymous = (await graphql(client, REPORT, None, {"input": report})).json()["data"]["reportIssue"]
        assert anonymous["userErrors"][0]["code"] == "NOT_SIGNED_IN"
        payload = (await graphql(client, REPORT, token, {"input": report})).json()["data"]["reportIssue"]
        assert payload["userErrors"] == []
        assert payload["request"]["delivery"]["system"] == "CRM"
        assert payload["request"]["delivery"]["backOfficeReference"].startswith("CAS")
        mine = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
        assert payload["request"]["reference"] in {e["node"]["reference"] for e in mine}
    assert await rows(own_council, SourceSystem.CRM, crm_cases, payload["request"]["reference"]) == 1


async def test_when_street_scene_goes_down_a_report_waits_and_is_delivered_once(own_council, issuer, residents):
    token = issuer.resident_token(residents[7]["email"])
    async with running_app(replace(own_council, cache_enabled=True)) as (app, client):
        attributes = await litter_answers(client)  # the catalogue is now in the cache
        report = {"serviceCode": "LITTER", "description": "Glass and cans", "location": HERE, "attributes": attributes}
        app.state.runtime.faults.down.add(SourceSystem.STREET_SCENE)
        payload = (await graphql(client, REPORT, token, {"input": report})).json()["data"]["reportIssue"]
        assert payload["userErrors"] == []
        reference = payload["request"]["reference"]
        assert payload["request"]["delivery"]["state"] == "PENDING"
        mine = (await graphql(client, MY_REQUESTS, token)).json()
        listed = {e["node"]["reference"]: e["node"] for e in mine["data"]["me"]["requests"]["edges"]}
        assert listed[reference]["status"] == "SUBMITTED"
        assert await rows(own_council, SourceSystem.STREET_SCENE, street_requests, reference) == 0

        app.state.runtime.faults.down.clear()
        later = datetime.now(UTC) + timedelta(hours=1)
        deliverer = app.state.runtime.services.writes.deliverer
        await asyncio.gather(deliverer.run_due(now=later), deliverer.run_due(now=later))
        await deliverer.run_due(now=later)
        mine = (await graphql(client, MY_REQUESTS, token)).json()
        listed = {e["node"]["reference"]: e["node"] for e in mine["data"]["me"]["requests"]["edges"]}
        assert listed[reference]["delivery"]["state"] == "DELIVERED"
    assert await rows(own_council, SourceSystem.STREET_SCENE, street_requests, reference) == 1


async def test_with_street_scene_down_and_no_catalogue_a_report_is_refused_not_lost(own_council):
    # Never listed: whatever list an earlier test left in the copied store is forgotten.
    engine = create_engine(own_council.gateway_database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(delete(listed_services))
    finally:
        await engine.dispose()
    down = replace(own_council, demo_sources_down=frozenset({SourceSystem.STREET_SCENE}))
    async with running_app(down) as (_, client):
        report = {"serviceCode": "LITTER", "description": "Litter", "location": HERE}
        payload = (await graphql(client, REPORT, None, {"input": report})).json()["data"]["reportIssue"]
    assert payload["userErrors"][0]["code"] == "SOURCE_UNAVAILABLE"


async def test_nearby_requests_refuses_silly_searches(api):
    _, client = api
    body = (await graphql(client, NEARBY, None, {"location": HERE, "radius": 50_000})).json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
