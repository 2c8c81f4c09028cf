"""Photos on reports: to Open311 as a `media_url` signed for the contractor, to the CRM as links, shown as
`ServiceRequest.photos` to the reporter and staff, to others only once staff publish them."""

from __future__ import annotations

import asyncio
import io
import uuid

import httpx
from PIL import Image
from sqlalchemy import select

from customer360.demo import council
from customer360.demo.street_scene_db import requests as street_requests
from customer360.domain.attachments import LinkAudience
from customer360.domain.systems import SourceSystem
from customer360.settings import Settings
from customer360.sources.crm.sql import case_answers
from customer360.store.database import create_engine
from customer360.store.tables import attachments, audit_log
from tests.attachment_support import has_gps, metadata_left, path_of, pdf, photo, upload
from tests.support import graphql, running_app, serving_app, settings_with
from tests.test_attachments import kept_bytes
from tests.test_report_issue import HERE, litter_answers

REPORT = """
mutation($input: ReportIssueInput!) { reportIssue(input: $input) {
  request { reference delivery { state system backOfficeReference } photos { id contentType moderation url } }
  userErrors { field code message } } }
"""
NEARBY = """
query($location: LocationInput!) { nearbyRequests(location: $location, radiusMetres: 50) {
  reference photos { id moderation url } } }
"""
MY_PHOTOS = "{ me { requests(first: 100) { edges { node { reference photos { id moderation } } } } } }"


async def moderation_of(settings, attachment_id: str) -> tuple[str, str | None]:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(attachments.c.moderation, attachments.c.moderated_by).where(
                        attachments.c.id == attachment_id
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    return row.moderation, row.moderated_by


MY_LINKS = "{ me { requests(first: 100) { edges { node { reference photos { url } } } } } }"
REVOKE = """mutation($input: RevokeAttachmentLinksInput!) { revokeAttachmentLinks(input: $input) {
  attachment { url } userErrors { code } } }"""
MODERATE = """
mutation($input: ModerateAttachmentInput!) { moderateAttachment(input: $input) {
  attachment { id moderation } userErrors { field code message } } }
"""


async def uploaded(client, token: str, data: bytes, purpose: str = "PHOTO") -> str:
    body = (await upload(client, token, data, purpose=purpose)).json()["data"]["uploadAttachment"]
    assert body["userErrors"] == []
    return str(body["attachment"]["id"])


async def litter_report(client, attachment_ids: list[str], description: str = "Fly-tipped mattress") -> dict:
    return {
        "serviceCode": "LITTER",
        "description": description,
        "location": HERE,
        "attributes": await litter_answers(client),
        "attachmentIds": attachment_ids,
    }


async def street_row(settings, reference: str):
    engine = create_engine(council.database_urls(settings)[SourceSystem.STREET_SCENE])
    try:
        async with engine.connect() as conn:
            return (
                await conn.execute(select(street_requests).where(street_requests.c.external_reference == reference))
            ).first()
    finally:
        await engine.dispose()


async def test_a_photo_reaches_open311_as_a_media_url_serving_only_the_cleaned_image(
    own_council, issuer, residents, staff_token
):
    """The contractor gets the photo as `media_url`: a link signed for it (not for the public), to the image
    Pillow re-encoded (no GPS), that staff can stop by hiding the photo or revoking its links. Publishing it
    here (`nearbyRequests`) still waits for staff."""
    token = issuer.resident_token(residents[10]["email"])
    neighbour = issuer.resident_token(residents[9]["email"])
    staff = staff_token()
    original = photo("JPEG", size=(80, 60))
    assert has_gps(original)
    async with serving_app(own_council) as (app, client), httpx.AsyncClient(timeout=30) as outsider:
        attachment_id = await uploaded(client, token, original)
        report = await litter_report(client, [attachment_id])
        payload = (await graphql(client, REPORT, token, {"input": report})).json()["data"]["reportIssue"]
        assert payload["userErrors"] == []
        request = payload["request"]
        assert request["delivery"]["state"] == "DELIVERED" and request["delivery"]["system"] == "STREET_SCENE"
        assert [(p["id"], p["moderation"]) for p in request["photos"]] == [(attachment_id, "PENDING")]

        # What the contractor's Open311 server (the demo's real one) took, and publishes to anyone.
        open311 = app.state.runtime.demo_backoffices["STREET_SCENE"]
        service_request_id = request["delivery"]["backOfficeReference"]
        feed = (await outsider.get(f"{open311}/requests/{service_request_id}.json")).json()
        media_url = feed[0]["media_url"]
        row = await street_row(app.state.runtime.settings, request["reference"])
        assert row is not None and row.media_url == media_url
        assert media_url.startswith(f"{app.state.runtime.settings.public_url}/attachments/{attachment_id}?")
        assert "for=open311" in media_url and "issued=" in media_url
        signed = dict(httpx.URL(media_url).params)
        assert int(signed["expires"]) - int(signed["issued"]) == 14 * 24 * 3600  # C360_OPEN311_MEDIA_DAYS

        # Opened by anyone holding it (no credentials): the cleaned image, never the original's bytes.
        served = await outsider.get(media_url)
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert served.headers["cache-control"] == "no-store"  # no cached copy outlives hiding or revoking
        assert served.content != original and served.content == await kept_bytes(own_council, attachment_id)
        with Image.open(io.BytesIO(served.content)) as image:
            assert image.size == (80, 60)
            assert not image.getexif() and not has_gps(served.content)
        assert metadata_left(served.content) == {}
        # Its audience is signed: it is no public link, and no uploader's or staff's either.
        for other in ("public", "uploader", "staff", "office"):
            assert (await outsider.get(media_url.replace("for=open311", f"for={other}"))).status_code == 403
        assert (await outsider.get(media_url.replace("issued=", "issued=1"))).status_code == 403

        async def photos_seen(viewer: str | None) -> list[str]:
            nearby = (await graphql(client, NEARBY, viewer, {"location": HERE})).json()["data"]["nearbyRequests"]
            return [p["id"] for r in nearby if r["reference"] == request["reference"] for p in r["photos"]]

        # Sent to the contractor, but not shown by the council to others until staff publish it.
        assert await photos_seen(neighbour) == [] and await photos_seen(None) == []
        assert await photos_seen(token) == [attachment_id]

        # Hidden (a face): the contractor's link stops at once, and nothing is shown publicly.
        hide = {"attachmentId": attachment_id, "decision": "HIDE", "reason": "A face is visible"}
        hidden = (await graphql(client, MODERATE, staff, {"input": hide})).json()["data"]["moderateAttachment"]
        assert hidden["attachment"]["moderation"] == "HIDDEN"
        assert (await outsider.get(media_url)).status_code == 403
        assert await photos_seen(neighbour) == [] and await photos_seen(None) == []
        # Published after all: shown to others, and the contractor's link works again.
        publish = {"attachmentId": attachment_id, "decision": "PUBLISH", "reason": "Cropped view, no faces"}
        await graphql(client, MODERATE, staff, {"input": publish})
        assert await photos_seen(neighbour) == [attachment_id]
        assert (await outsider.get(media_url)).status_code == 200

        # Revoked (say the feed was scraped): the contractor's link is refused for good, published or not.
        await asyncio.sleep(1.1)  # links are signed to the second; the revocation refuses its own second too
        revoke = {"input": {"attachmentId": attachment_id}}
        revoked = (await graphql(client, REVOKE, staff, revoke)).json()["data"]["revokeAttachmentLinks"]
        assert revoked["userErrors"] == []
        assert (await outsider.get(media_url)).status_code in (403, 410)
        await asyncio.sleep(1.1)
        nearby = (await graphql(client, NEARBY, neighbour, {"location": HERE})).json()["data"]["nearbyRequests"]
        fresh = next(p["url"] for r in nearby if r["reference"] == request["reference"] for p in r["photos"])
        assert (await outsider.get(fresh)).status_code == 200  # a public link made since works


async def test_a_council_that_sets_no_open311_media_days_sends_no_media_url(own_council, issuer, residents):
    assert Settings.from_env({"C360_OPEN311_MEDIA_DAYS": "2.5"}).open311_media_days == 2.5
    assert Settings.from_env({}).open311_media_days == 14
    token = issuer.resident_token(residents[7]["email"])
    async with running_app(settings_with(own_council, open311_media_days=0)) as (app, client):
        attachment_id = await uploaded(client, token, photo("JPEG", colour="yellow"))
        report = await litter_report(client, [attachment_id])
        payload = (await graphql(client, REPORT, token, {"input": report})).json()["data"]["reportIssue"]
        assert payload["userErrors"] == [] and payload["request"]["delivery"]["state"] == "DELIVERED"
        row = await street_row(app.state.runtime.settings, payload["request"]["reference"])
        assert row is not None and row.media_url is None
        assert [p["id"] for p in payload["request"]["photos"]] == [attachment_id]  # still on the report


async def test_an_open311_link_never_serves_evidence(own_council, issuer, residents):
    """A PDF is kept as it came: whatever a link is signed for, the contractor's audience never gets one."""
    token = issuer.resident_token(residents[8]["email"])
    async with running_app(own_council) as (app, client):
        evidence = await uploaded(client, token, pdf(), purpose="EVIDENCE")
        report = {"serviceCode": "SERVICE_SHORTFALL", "description": "Missed again", "attachmentIds": [evidence]}
        payload = (await graphql(client, REPORT, token, {"input": report})).json()["data"]["reportIssue"]
        assert payload["userErrors"] == []
        links = app.state.runtime.services.attachments.links
        assert (await client.get(path_of(links.url(evidence, LinkAudience.OPEN311, 3600)))).status_code == 403
        assert (await client.get(path_of(links.url(evidence, LinkAudience.BACK_OFFICE, 3600)))).status_code == 200


async def test_evidence_on_a_crm_case_goes_as_a_link(own_council, issuer, residents, staff_token):
    token = issuer.resident_token(residents[11]["email"])
    async with running_app(own_council) as (_, client):
        evidence = await uploaded(client, token, pdf(), purpose="EVIDENCE")
        report = {"serviceCode": "SERVICE_SHORTFALL", "description": "Missed again", "attachmentIds": [evidence]}
        payload = (await graphql(client, REPORT, token, {"input": report})).json()["data"]["reportIssue"]
        assert payload["userErrors"] == []
        case = payload["request"]["delivery"]["backOfficeReference"]
        reference = payload["request"]["reference"]
        engine = create_engine(council.database_urls(own_council)[SourceSystem.CRM])
        try:
            async with engine.connect() as conn:
                answers = (await conn.execute(select(case_answers).where(case_answers.c.case_reference == case))).all()
        finally:
            await engine.dispose()
        links = [a.answer for a in answers if a.code == "attachment_1"]
        assert len(links) == 1 and f"/attachments/{evidence}?" in links[0]
        served = await client.get(path_of(links[0]))
        assert served.content == pdf() and served.headers["content-disposition"].startswith("attachment;")
        assert served.headers["cache-control"] == "no-store"  # a personal document: kept by no browser or proxy

        # Staff revoke its links (one was forwarded where it should not be): the case's 30-day link stops.
        revoke = {"input": {"attachmentId": evidence}}
        refused = (await graphql(client, REVOKE, token, revoke)).json()["data"]["revokeAttachmentLinks"]
        assert refused == {"attachment": None, "userErrors": [{"code": "FORBIDDEN"}]}
        assert (await client.get(path_of(links[0]))).status_code == 200
        await asyncio.sleep(1.1)  # links are signed to the second; the revocation refuses its own second too
        revoked = (await graphql(client, REVOKE, staff_token(), revoke)).json()["data"]["revokeAttachmentLinks"]
        assert revoked["userErrors"] == []
        assert (await client.get(path_of(links[0]))).status_code == 403
        await asyncio.sleep(1.1)
        mine = (await graphql(client, MY_LINKS, token)).json()["data"]["me"]["requests"]["edges"]
        fresh = next(p["url"] for e in mine if e["node"]["reference"] == reference for p in e["node"]["photos"])
        assert (await client.get(path_of(fresh))).status_code == 200  # a link made since works


async def test_another_residents_attachment_is_refused_as_unknown(own_council, issuer, residents):
    owner = issuer.resident_token(residents[12]["email"])
    other = issuer.resident_token(residents[13]["email"])
    async with running_app(own_council) as (_, client):
        theirs = await uploaded(client, owner, photo())
        for attempt in (theirs, str(uuid.uuid4())):  # someone else's and one that never existed: the same answer
            report = await litter_report(client, [attempt])
            payload = (await graphql(client, REPORT, other, {"input": report})).json()["data"]["reportIssue"]
            assert payload["request"] is None
            assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
                (["input", "attachmentIds", "0"], "NOT_FOUND")
            ]
        anonymous = (await graphql(client, REPORT, None, {"input": await litter_report(client, [theirs])})).json()
        assert [e["code"] for e in anonymous["data"]["reportIssue"]["userErrors"]] == ["NOT_SIGNED_IN"]
        # The owner's own photo is still theirs to use.
        mine = (await graphql(client, REPORT, owner, {"input": await litter_report(client, [theirs])})).json()
        assert mine["data"]["reportIssue"]["userErrors"] == []


async def test_concurrent_duplicate_reports_with_a_photo_and_a_retry_make_one_request(own_council, issuer, residents):
    token = issuer.resident_token(residents[14]["email"])
    async with running_app(own_council) as (_, client):
        attachment_id = await uploaded(client, token, photo("PNG"))
        report = await litter_report(client, [attachment_id])
        key = str(uuid.uuid4())

        async def send(idempotency_key: str, body: dict) -> httpx.Response:
            return await client.post(
                "/graphql",
                json={"query": REPORT, "variables": {"input": body}},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": idempotency_key},
            )

        answers = await asyncio.gather(*(send(key, report) for _ in range(4)))
        references = {a.json()["data"]["reportIssue"]["request"]["reference"] for a in answers}
        assert len(references) == 1
        retry = await send(key, report)
        assert retry.headers.get("idempotent-replayed") == "true"
        assert retry.json()["data"]["reportIssue"]["request"]["reference"] in references
        # A new report (a new key) cannot take the photo the first one has.
        again = (await send(str(uuid.uuid4()), {**report, "description": "Another one"})).json()
        assert [e["code"] for e in again["data"]["reportIssue"]["userErrors"]] == ["ALREADY_USED"]
        mine = (await graphql(client, MY_PHOTOS, token)).json()["data"]["me"]["requests"]["edges"]
        with_photo = [e["node"] for e in mine if e["node"]["photos"]]
        assert [(n["reference"], [p["id"] for p in n["photos"]]) for n in with_photo] == [
            (references.pop(), [attachment_id])
        ]


async def test_two_different_reports_racing_for_one_photo_only_one_gets_it(own_council, issuer, residents):
    token = issuer.resident_token(residents[15]["email"])
    async with running_app(own_council) as (_, client):
        evidence = await uploaded(client, token, pdf(), purpose="EVIDENCE")
        reports = [
            {"serviceCode": "SERVICE_SHORTFALL", "description": f"Missed collection {n}", "attachmentIds": [evidence]}
            for n in range(3)
        ]
        answers = await asyncio.gather(*(graphql(client, REPORT, token, {"input": r}) for r in reports))
        payloads = [a.json()["data"]["reportIssue"] for a in answers]
        kept = [p for p in payloads if p["request"] is not None]
        assert len(kept) == 1
        assert sorted(e["code"] for p in payloads for e in p["userErrors"]) == ["ALREADY_USED", "ALREADY_USED"]


async def test_a_photo_on_a_public_report_is_shown_to_others_only_once_staff_publish_it(
    own_council, issuer, residents, staff_token
):
    reporter = issuer.resident_token(residents[16]["email"])
    neighbour = issuer.resident_token(residents[17]["email"])
    staff = staff_token()
    async with running_app(own_council) as (_, client):
        attachment_id = await uploaded(client, reporter, photo("WEBP"))
        sent = await graphql(client, REPORT, reporter, {"input": await litter_report(client, [attachment_id])})
        reference = sent.json()["data"]["reportIssue"]["request"]["reference"]

        async def photos_seen(token: str | None) -> list[str]:
            nearby = (await graphql(client, NEARBY, token, {"location": HERE})).json()["data"]["nearbyRequests"]
            return [p["id"] for r in nearby if r["reference"] == reference for p in r["photos"]]

        assert await photos_seen(reporter) == [attachment_id]  # the reporter always sees their own
        assert await photos_seen(neighbour) == []
        assert await photos_seen(None) == []
        assert await photos_seen(staff) == [attachment_id]  # with a purpose (tests.support.graphql sends one)
        without_purpose = await client.post(
            "/graphql",
            json={"query": NEARBY, "variables": {"location": HERE}},
            headers={"Authorization": f"Bearer {staff}"},
        )
        nearby = without_purpose.json()["data"]["nearbyRequests"]
        assert [p for r in nearby if r["reference"] == reference for p in r["photos"]] == []

        refused = (
            await graphql(
                client, MODERATE, neighbour, {"input": {"attachmentId": attachment_id, "decision": "PUBLISH"}}
            )
        ).json()
        assert [e["code"] for e in refused["data"]["moderateAttachment"]["userErrors"]] == ["FORBIDDEN"]
        decision = {"attachmentId": attachment_id, "decision": "PUBLISH", "reason": "No faces or number plates"}
        # Staff moderate only saying why (as for any read of a person): refused, and nothing changed.
        no_purpose = await client.post(
            "/graphql",
            json={"query": MODERATE, "variables": {"input": decision}},
            headers={"Authorization": f"Bearer {staff}"},
        )
        assert [e["code"] for e in no_purpose.json()["data"]["moderateAttachment"]["userErrors"]] == [
            "PURPOSE_REQUIRED"
        ]
        assert await photos_seen(neighbour) == []
        published = (await graphql(client, MODERATE, staff, {"input": decision})).json()["data"]["moderateAttachment"]
        assert published == {"attachment": {"id": attachment_id, "moderation": "PUBLISHED"}, "userErrors": []}
        assert await photos_seen(neighbour) == [attachment_id]
        assert await photos_seen(None) == [attachment_id]
        nearby = (await graphql(client, NEARBY, neighbour, {"location": HERE})).json()["data"]["nearbyRequests"]
        public_link = path_of(next(p["url"] for r in nearby if r["reference"] == reference for p in r["photos"]))
        assert (await client.get(public_link)).status_code == 200
        nearby = (await graphql(client, NEARBY, reporter, {"location": HERE})).json()["data"]["nearbyRequests"]
        own_link = path_of(next(p["url"] for r in nearby if r["reference"] == reference for p in r["photos"]))

        hide = {"attachmentId": attachment_id, "decision": "HIDE", "reason": "A face is visible"}
        await graphql(client, MODERATE, staff, {"input": hide})
        await graphql(client, MODERATE, staff, {"input": hide})  # a double click: one decision, audited once
        assert await photos_seen(neighbour) == []
        assert await photos_seen(reporter) == [attachment_id]
        # Hiding takes back the links already handed out, but the uploader's (checked as each is opened).
        assert (await client.get(public_link)).status_code == 403
        assert (await client.get(own_link)).status_code == 200

        # An upload no report used is nobody's to moderate.
        unused = await uploaded(client, reporter, photo("PNG", colour="green"))
        unknown = (
            await graphql(client, MODERATE, staff, {"input": {"attachmentId": unused, "decision": "PUBLISH"}})
        ).json()
        assert [e["code"] for e in unknown["data"]["moderateAttachment"]["userErrors"]] == ["NOT_FOUND"]
        assert (await moderation_of(own_council, unused)) == ("PENDING", None)  # refused, and not written either

    engine = create_engine(own_council.gateway_database_url)
    try:
        async with engine.connect() as conn:
            audited = (
                await conn.execute(
                    select(audit_log.c.actor, audit_log.c.detail)
                    .where(audit_log.c.action == "attachment.moderate")
                    .order_by(audit_log.c.id)
                )
            ).all()
    finally:
        await engine.dispose()
    assert [(row.actor, row.detail["decision"], row.detail["reference"], row.detail["changed"]) for row in audited] == [
        ("Sam Staff", "PUBLISH", reference, True),
        ("Sam Staff", "HIDE", reference, True),
        ("Sam Staff", "HIDE", reference, False),  # the repeat changed nothing, but it handed out a link
    ]
    assert {row.detail["purpose"] for row in audited} == {"automated test"}
