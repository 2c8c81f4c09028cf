"""moderateAttachment and revokeAttachmentLinks as writes: two at once make one decision, a retry with the
same Idempotency-Key gets the same answer, and what was decided is appended to the audit, never rewritten."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from customer360.store.attachments import AttachmentStore
from customer360.store.database import create_engine
from customer360.store.tables import attachments, audit_log
from tests.attachment_support import photo
from tests.support import running_app
from tests.test_report_attachments import MODERATE, REPORT, litter_report, uploaded

REVOKE = """mutation($input: RevokeAttachmentLinksInput!) { revokeAttachmentLinks(input: $input) {
  attachment { id moderation } userErrors { field code } } }"""


async def audited(settings, action: str, attachment_id: str) -> list[tuple[int, dict]]:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(audit_log.c.id, audit_log.c.detail)
                    .where(audit_log.c.action == action)
                    .order_by(audit_log.c.id)
                )
            ).all()
    finally:
        await engine.dispose()
    return [(row.id, row.detail) for row in rows if row.detail.get("attachment") == attachment_id]


async def links_valid_after(settings, attachment_id: str) -> datetime | None:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(select(attachments.c.links_valid_after).where(attachments.c.id == attachment_id))
    finally:
        await engine.dispose()


async def reported_photo(client: httpx.AsyncClient, token: str, colour: str) -> str:
    attachment_id = await uploaded(client, token, photo("PNG", colour=colour))
    sent = await client.post(
        "/graphql",
        json={"query": REPORT, "variables": {"input": await litter_report(client, [attachment_id])}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert sent.json()["data"]["reportIssue"]["userErrors"] == []
    return attachment_id


def staff_call(client: httpx.AsyncClient, staff: str):
    async def call(query: str, variables: dict, key: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {staff}", "X-Access-Purpose": "moderating reports"}
        if key:
            headers["Idempotency-Key"] = key
        return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)

    return call


async def test_moderation_sent_twice_at_once_and_retried_is_one_decision(own_council, issuer, residents, staff_token):
    reporter = issuer.resident_token(residents[20]["email"])
    async with running_app(own_council) as (_, client):
        attachment_id = await reported_photo(client, reporter, "purple")
        call = staff_call(client, staff_token())
        publish = {"input": {"attachmentId": attachment_id, "decision": "PUBLISH", "reason": "No faces"}}
        key = str(uuid.uuid4())

        # A double click with one key: one call runs, the other gets its answer.
        first, second = await asyncio.gather(call(MODERATE, publish, key), call(MODERATE, publish, key))
        assert first.json() == second.json()
        assert first.json()["data"]["moderateAttachment"] == {
            "attachment": {"id": attachment_id, "moderation": "PUBLISHED"},
            "userErrors": [],
        }
        retry = await call(MODERATE, publish, key)
        assert retry.headers.get("idempotent-replayed") == "true" and retry.json() == first.json()
        once = await audited(own_council, "attachment.moderate", attachment_id)
        assert [(d["decision"], d["changed"]) for _, d in once] == [("PUBLISH", True)]

        # Two staff hide it at once (two keys): both are told it is hidden, one of them decided it.
        hide = {"input": {"attachmentId": attachment_id, "decision": "HIDE", "reason": "A face is visible"}}
        answers = await asyncio.gather(*(call(MODERATE, hide, str(uuid.uuid4())) for _ in range(2)))
        assert {a.json()["data"]["moderateAttachment"]["attachment"]["moderation"] for a in answers} == {"HIDDEN"}
        after = await audited(own_council, "attachment.moderate", attachment_id)
        assert after[: len(once)] == once  # what was audited stays as it was: appended to, never rewritten
        assert sorted((d["decision"], d["changed"]) for _, d in after[len(once) :]) == [
            ("HIDE", False),
            ("HIDE", True),
        ]
        assert [row_id for row_id, _ in after] == sorted({row_id for row_id, _ in after})


async def test_revoking_sent_twice_at_once_and_retried_is_one_revocation(own_council, issuer, residents, staff_token):
    reporter = issuer.resident_token(residents[21]["email"])
    async with running_app(own_council) as (_, client):
        attachment_id = await reported_photo(client, reporter, "orange")
        call = staff_call(client, staff_token())
        revoke = {"input": {"attachmentId": attachment_id}}
        key = str(uuid.uuid4())
        first, second = await asyncio.gather(call(REVOKE, revoke, key), call(REVOKE, revoke, key))
        assert first.json() == second.json()
        assert first.json()["data"]["revokeAttachmentLinks"] == {
            "attachment": {"id": attachment_id, "moderation": "PENDING"},
            "userErrors": [],
        }
        revoked_at = await links_valid_after(own_council, attachment_id)
        assert revoked_at is not None
        retry = await call(REVOKE, revoke, key)
        assert retry.headers.get("idempotent-replayed") == "true" and retry.json() == first.json()
        assert await links_valid_after(own_council, attachment_id) == revoked_at  # the retry revoked nothing more
        once = await audited(own_council, "attachment.revoke_links", attachment_id)
        assert [(d["reference"] is not None, d["purpose"]) for _, d in once] == [(True, "moderating reports")]

        # Another revocation later (a new key) is another event, appended after the first.
        await asyncio.sleep(0.01)
        assert (await call(REVOKE, revoke, str(uuid.uuid4()))).json()["data"]["revokeAttachmentLinks"][
            "userErrors"
        ] == []
        after = await audited(own_council, "attachment.revoke_links", attachment_id)
        assert len(after) == 2 and after[0] == once[0] and after[1][0] > after[0][0]
        later = await links_valid_after(own_council, attachment_id)
        assert later is not None and later > revoked_at


async def test_two_revocations_committing_out_of_order_keep_the_later_time(own_council, issuer, residents):
    """The UPDATE only moves the time on: a revocation whose `now` is older, committing last, does not
    let links signed between the two work again."""
    token = issuer.resident_token(residents[22]["email"])
    async with running_app(own_council) as (_, client):
        attachment_id = await reported_photo(client, token, "teal")
    engine = create_engine(own_council.gateway_database_url)
    try:
        store = AttachmentStore(engine, own_council.data_dir / "attachments")
        later = datetime.now(UTC)
        earlier = later - timedelta(seconds=30)
        first = await store.revoke_links(attachment_id, later)
        second = await store.revoke_links(attachment_id, earlier)
        assert first is not None and second is not None
        assert first.links_valid_after == later and second.links_valid_after == later
    finally:
        await engine.dispose()
