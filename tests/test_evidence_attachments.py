"""Evidence: documents on a housing application (HOUSING gets a link to each), and a staff-defined service
that asks for one as an `attachment` question (the CRM case gets the link as that question's answer)."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select

from customer360.auth.principal import Role
from customer360.demo import council
from customer360.domain.systems import SourceSystem
from customer360.sources.crm.sql import case_answers
from customer360.sources.housing.sql import applications
from customer360.store.database import create_engine
from tests.attachment_support import path_of, pdf, photo, upload
from tests.support import graphql, running_app

APPLY = """
mutation($input: SubmitHousingApplicationInput!) { submitHousingApplication(input: $input) {
  application { reference backOfficeReference } userErrors { field code message } } }
"""
APPLICATION = {
    "household": [{"relationship": "APPLICANT", "dateOfBirth": "1990-05-01"}],
    "currentTenure": "PRIVATE_RENTED",
    "reason": "Our landlord is selling the house",
    "incomeBand": "FROM_15K_TO_30K",
}
DEFINE = """mutation($input: DefineServiceInput!) { defineService(input: $input) {
  service { code } userErrors { field code message } } }"""
TAXI = {
    "code": "PRIVATE_HIRE_RENEWAL",
    "name": "Renew a taxi driver licence",
    "group": "Licensing",
    "attributes": [
        {"code": "BADGE", "description": "Your badge number", "datatype": "string", "required": True},
        {
            "code": "DVLA",
            "description": "Your DVLA licence (a photo or a PDF)",
            "datatype": "attachment",
            "required": True,
        },
    ],
    "signInRequired": True,
    "routeTo": "LICENSING",
}
MODERATE = """mutation($input: ModerateAttachmentInput!) { moderateAttachment(input: $input) {
  attachment { url } userErrors { code } } }"""
REPORT = """
mutation($input: ReportIssueInput!) { reportIssue(input: $input) {
  request { reference delivery { backOfficeReference } photos { id } } userErrors { field code message } } }
"""


async def evidence_id(client, token: str, data: bytes) -> str:
    body = (await upload(client, token, data, purpose="EVIDENCE", filename="evidence")).json()
    return str(body["data"]["uploadAttachment"]["attachment"]["id"])


async def housing_row(settings, reference: str):
    engine = create_engine(council.database_urls(settings)[SourceSystem.HOUSING])
    try:
        async with engine.connect() as conn:
            return (
                await conn.execute(select(applications).where(applications.c.external_reference == reference))
            ).first()
    finally:
        await engine.dispose()


async def test_housing_evidence_reaches_housing_as_links_once(own_council, issuer, residents, staff_token):
    applicant = issuer.resident_token(residents[5]["email"])
    stranger = issuer.resident_token(residents[6]["email"])
    async with running_app(own_council) as (_, client):
        letter = await evidence_id(client, applicant, pdf())
        tenancy = await evidence_id(client, applicant, photo("JPEG"))
        theirs = (await graphql(client, APPLY, stranger, {"input": {**APPLICATION, "attachmentIds": [letter]}})).json()
        assert [(e["field"], e["code"]) for e in theirs["data"]["submitHousingApplication"]["userErrors"]] == [
            (["input", "attachmentIds", "0"], "NOT_FOUND")
        ]

        application = {**APPLICATION, "attachmentIds": [letter, tenancy]}
        key = str(uuid.uuid4())

        async def apply(idempotency_key: str):
            return await client.post(
                "/graphql",
                json={"query": APPLY, "variables": {"input": application}},
                headers={"Authorization": f"Bearer {applicant}", "Idempotency-Key": idempotency_key},
            )

        answers = await asyncio.gather(*(apply(key) for _ in range(3)))
        references = {a.json()["data"]["submitHousingApplication"]["application"]["reference"] for a in answers}
        assert len(references) == 1
        retry = await apply(key)
        assert retry.headers.get("idempotent-replayed") == "true"
        sent = retry.json()["data"]["submitHousingApplication"]["application"]
        row = await housing_row(own_council, sent["reference"])
        assert row is not None and len(row.evidence_links) == 2
        assert (
            f"/attachments/{letter}?" in row.evidence_links[0] and f"/attachments/{tenancy}?" in row.evidence_links[1]
        )
        served = await client.get(path_of(row.evidence_links[0]))
        assert served.content == pdf() and served.headers["content-disposition"].startswith("attachment;")
        # A new application (another key) cannot take documents the first one has.
        again = (await apply(str(uuid.uuid4()))).json()["data"]["submitHousingApplication"]["userErrors"]
        assert {e["code"] for e in again} == {"ALREADY_USED"}
        # Evidence is never moderated (so never published, and never a way to a link for staff).
        publish = {"input": {"attachmentId": letter, "decision": "PUBLISH"}}
        moderated = (await graphql(client, MODERATE, staff_token(), publish)).json()["data"]["moderateAttachment"]
        assert moderated == {"attachment": None, "userErrors": [{"code": "WRONG_PURPOSE"}]}


async def test_a_defined_service_asks_for_evidence_as_an_attachment_question(
    own_council, issuer, residents, staff_token
):
    driver = issuer.resident_token(residents[8]["email"])
    other = issuer.resident_token(residents[9]["email"])
    async with running_app(own_council) as (_, client):
        defined = (await graphql(client, DEFINE, staff_token(Role.ADMIN), {"input": TAXI})).json()["data"]
        assert defined["defineService"]["userErrors"] == []
        licence = await evidence_id(client, driver, photo("PNG", size=(90, 60)))
        answers = [{"code": "BADGE", "value": "T1234"}, {"code": "DVLA", "value": licence}]
        report = {"serviceCode": "PRIVATE_HIRE_RENEWAL", "description": "Renewal due in May", "attributes": answers}

        not_theirs = (await graphql(client, REPORT, other, {"input": report})).json()["data"]["reportIssue"]
        assert [e["code"] for e in not_theirs["userErrors"]] == ["NOT_FOUND"]
        missing = {**report, "attributes": answers[:1]}
        refused = (await graphql(client, REPORT, driver, {"input": missing})).json()["data"]["reportIssue"]
        assert [e["code"] for e in refused["userErrors"]] == ["REQUIRED"]

        made = (await graphql(client, REPORT, driver, {"input": report})).json()["data"]["reportIssue"]
        assert made["userErrors"] == [] and [p["id"] for p in made["request"]["photos"]] == [licence]
        case = made["request"]["delivery"]["backOfficeReference"]
        engine = create_engine(council.database_urls(own_council)[SourceSystem.CRM])
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(select(case_answers).where(case_answers.c.case_reference == case))).all()
        finally:
            await engine.dispose()
        by_code = {row.code: row.answer for row in rows}
        assert by_code["BADGE"] == "T1234"
        assert f"/attachments/{licence}?" in by_code["DVLA"]  # the answer staff see is the link, not an id
        served = await client.get(path_of(by_code["DVLA"]))
        assert served.status_code == 200 and served.headers["content-type"] == "image/png"
