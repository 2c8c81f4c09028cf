"""Staff-defined services keep their word: codes as the admin wrote them, declared limits enforced,
no-sign-in services open to anyone, and every answer (with its question) and the queue reach the case."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from customer360.auth.principal import Role
from customer360.demo import council
from customer360.domain.reporting import ReportCode, validate_attributes
from customer360.domain.services import ServiceAttributeRecord, ServiceDefinitionRecord, attribute_design_problems
from customer360.domain.systems import SourceSystem
from customer360.sources.crm.sql import case_answers
from customer360.sources.crm.sql import cases as crm_cases
from customer360.store.database import create_engine
from tests.support import graphql, running_app

DEFINE = """
mutation($input: DefineServiceInput!) { defineService(input: $input) {
  service { code attributes { code min max maxLength } } userErrors { field code message } } }
"""
REPORT = """
mutation($input: ReportIssueInput!) { reportIssue(input: $input) {
  request { reference delivery { state } } userErrors { field code message } } }
"""
SERVICES = "{ services { code attributes { code datatype min max maxLength } } }"

BADGE = {
    "code": "EVENT_BADGE",
    "name": "Apply for an event stall badge",
    "group": "Licensing",
    "attributes": [
        {
            "code": "badge_name",
            "description": "Name on the badge",
            "datatype": "string",
            "required": True,
            "maxLength": 20,
        },
        {
            "code": "Stalls",
            "description": "How many stalls (up to 3)?",
            "datatype": "number",
            "required": True,
            "min": 1,
            "max": 3,
        },
    ],
    "signInRequired": False,
    "routeTo": "LICENSING",
}


def answers(name: str, stalls: str) -> list[dict[str, str]]:
    return [{"code": "badge_name", "value": name}, {"code": "Stalls", "value": stalls}]


async def _case(settings, reference: str) -> tuple[object, list[tuple[str, str, str]]]:
    engine = create_engine(council.database_urls(settings)[SourceSystem.CRM])
    try:
        async with engine.connect() as conn:
            case = (await conn.execute(select(crm_cases).where(crm_cases.c.external_reference == reference))).one()
            given = (
                await conn.execute(
                    select(case_answers.c.code, case_answers.c.question, case_answers.c.answer)
                    .where(case_answers.c.case_reference == case.reference)
                    .order_by(case_answers.c.id)
                )
            ).all()
        return case, [tuple(row) for row in given]
    finally:
        await engine.dispose()


async def test_codes_round_trip_as_defined_and_every_answer_reaches_the_case_with_its_question(
    own_council, staff_token, issuer, residents
):
    async with running_app(own_council) as (_, client):
        defined = (await graphql(client, DEFINE, staff_token(Role.ADMIN), {"input": BADGE})).json()
        assert defined["data"]["defineService"]["userErrors"] == []
        offered = {s["code"]: s for s in (await graphql(client, SERVICES)).json()["data"]["services"]}
        assert offered["EVENT_BADGE"]["attributes"] == [
            {"code": "badge_name", "datatype": "string", "min": None, "max": None, "maxLength": 20},
            {"code": "Stalls", "datatype": "number", "min": 1.0, "max": 3.0, "maxLength": None},
        ]
        token = issuer.resident_token(residents[1]["email"])
        report = {
            "serviceCode": "EVENT_BADGE",
            "description": "Craft fair, May",
            "attributes": answers("Ann's Jams", "2"),
        }
        made = (await graphql(client, REPORT, token, {"input": report})).json()["data"]["reportIssue"]
        assert made["userErrors"] == []
        case, given = await _case(own_council, made["request"]["reference"])
        assert case.queue == "LICENSING"
        assert given == [
            ("badge_name", "Name on the badge", "Ann's Jams"),
            ("Stalls", "How many stalls (up to 3)?", "2"),
        ]


@pytest.mark.parametrize(
    ("stalls", "name", "field", "code"),
    [
        ("7", "Ann", ["input", "attributes", "1", "value"], "OUT_OF_RANGE"),
        ("-2", "Ann", ["input", "attributes", "1", "value"], "OUT_OF_RANGE"),
        ("0.5", "Ann", ["input", "attributes", "1", "value"], "OUT_OF_RANGE"),
        ("2", "A" * 21, ["input", "attributes", "0", "value"], "TOO_LONG"),
    ],
)
async def test_declared_limits_are_enforced_on_submission(
    own_council, staff_token, issuer, residents, stalls, name, field, code
):
    async with running_app(own_council) as (_, client):
        await graphql(client, DEFINE, staff_token(Role.ADMIN), {"input": BADGE})
        token = issuer.resident_token(residents[1]["email"])
        report = {"serviceCode": "EVENT_BADGE", "description": "Fair", "attributes": answers(name, stalls)}
        refused = (await graphql(client, REPORT, token, {"input": report})).json()["data"]["reportIssue"]
        assert refused["request"] is None
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(field, code)]


async def test_a_no_sign_in_service_takes_an_anonymous_submission_once_even_when_sent_twice_at_once(
    own_council, staff_token
):
    async with running_app(own_council) as (_, client):
        await graphql(client, DEFINE, staff_token(Role.ADMIN), {"input": BADGE})
        report = {"serviceCode": "EVENT_BADGE", "description": "Fair stall", "attributes": answers("Bob", "1")}
        first, second = await asyncio.gather(*(graphql(client, REPORT, None, {"input": report}) for _ in range(2)))
        made = [body.json()["data"]["reportIssue"] for body in (first, second)]
        assert [m["userErrors"] for m in made] == [[], []]
        for m in made:  # each submission is its own case, filed once whatever the retries
            case, given = await _case(own_council, m["request"]["reference"])
            assert case.contact_id is None and given[0][2] == "Bob"
        retried = (await graphql(client, REPORT, None, {"input": report})).json()["data"]["reportIssue"]
        assert retried["userErrors"] == []


async def test_a_sign_in_service_tells_an_anonymous_resident_which_service_needs_it(own_council, staff_token):
    async with running_app(own_council) as (_, client):
        await graphql(client, DEFINE, staff_token(Role.ADMIN), {"input": {**BADGE, "signInRequired": True}})
        report = {"serviceCode": "EVENT_BADGE", "description": "Fair", "attributes": answers("Bob", "1")}
        refused = (await graphql(client, REPORT, None, {"input": report})).json()["data"]["reportIssue"]
        assert refused["userErrors"][0]["code"] == "NOT_SIGNED_IN"
        assert "Apply for an event stall badge" in refused["userErrors"][0]["message"]
        assert "complaint" not in refused["userErrors"][0]["message"]


NUMBER = ServiceAttributeRecord("Stalls", "How many?", "number", True, min=1, max=3)
TEXT = ServiceAttributeRecord("badge_name", "Name", "string", False, max_length=5)
SERVICE = ServiceDefinitionRecord("EVENT_BADGE", "Badge", "Licensing", attributes=(NUMBER, TEXT))


@pytest.mark.parametrize(
    ("given", "codes"),
    [
        ([("Stalls", "1")], []),
        ([("Stalls", "3")], []),  # both ends of the range are allowed
        ([("Stalls", "3.01")], [ReportCode.OUT_OF_RANGE]),
        ([("Stalls", "0")], [ReportCode.OUT_OF_RANGE]),
        ([("stalls", "2")], []),  # another case of a defined code is the same question
        ([("Stalls", "2"), ("STALLS", "2")], [ReportCode.DUPLICATE_ATTRIBUTE]),
        ([("Stalls", "2"), ("badge_name", "Alice")], []),
        ([("Stalls", "2"), ("badge_name", "Alicia")], [ReportCode.TOO_LONG]),
        ([("Stalls", "two")], [ReportCode.INVALID_NUMBER]),
        ([("Sheds", "2")], [ReportCode.UNKNOWN_ATTRIBUTE, ReportCode.REQUIRED]),
    ],
)
def test_attribute_rules(given, codes):
    assert [p.code for p in validate_attributes(SERVICE, given)] == codes


@pytest.mark.parametrize(
    ("attribute", "codes"),
    [
        (ServiceAttributeRecord("badge_name", "Name", "string", False, max_length=20), []),
        (ServiceAttributeRecord("n", "N", "number", False, min=5, max=1), ["INVALID_LIMIT"]),
        (ServiceAttributeRecord("n", "N", "string", False, min=1), ["INVALID_LIMIT"]),
        (ServiceAttributeRecord("n", "N", "number", False, max_length=3), ["INVALID_LIMIT"]),
        (ServiceAttributeRecord("n", "N", "text", False, max_length=0), ["INVALID_LIMIT"]),
        (ServiceAttributeRecord("bad code", "N", "text", False), ["INVALID_CODE"]),
    ],
)
def test_attribute_design_rules(attribute, codes):
    assert [p.code for p in attribute_design_problems([attribute])] == codes


def test_codes_differing_only_in_case_are_one_code():
    twins = [
        ServiceAttributeRecord("size", "Size", "string", False),
        ServiceAttributeRecord("SIZE", "S", "text", False),
    ]
    assert [p.code for p in attribute_design_problems(twins)] == ["DUPLICATE_ATTRIBUTE"]
