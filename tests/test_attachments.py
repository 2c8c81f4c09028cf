"""uploadAttachment: the type decided by content, images cleaned of EXIF (GPS), limits, CSRF, signed links."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from customer360.domain.attachments import LinkAudience
from customer360.store.attachments import AttachmentStore
from customer360.store.database import create_engine
from customer360.store.tables import attachments, audit_log
from tests.attachment_support import has_gps, metadata_left, path_of, pdf, photo, png_bomb, upload
from tests.support import running_app, settings_with


async def kept_bytes(settings, attachment_id: str) -> bytes:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            digest = await conn.scalar(select(attachments.c.sha256).where(attachments.c.id == attachment_id))
    finally:
        await engine.dispose()
    assert digest, "no row for the attachment"
    path = settings.data_dir / "attachments" / digest[:2] / digest
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest  # content-addressed: the name is the hash of what is kept
    return data


async def count_rows(settings) -> int:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(attachments)) or 0)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("format", "sent_as", "kept_as"),
    [
        ("JPEG", "image/jpeg", "image/jpeg"),
        ("PNG", "image/png", "image/png"),
        ("WEBP", "image/webp", "image/webp"),
        ("HEIF", "image/heic", "image/jpeg"),  # an iPhone's photo, kept as a JPEG every browser shows
    ],
)
async def test_a_photo_with_a_gps_position_is_kept_without_it(own_council, issuer, residents, format, sent_as, kept_as):
    original = photo(format, size=(64, 48))
    assert has_gps(original)  # the test file really carries the position
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(own_council) as (_, client):
        response = await upload(client, token, original, content_type=sent_as, filename="IMG_0001")
        payload = response.json()["data"]["uploadAttachment"]
        assert payload["userErrors"] == []
        attachment = payload["attachment"]
        assert (attachment["contentType"], attachment["width"], attachment["height"]) == (kept_as, 64, 48)
        assert attachment["purpose"] == "PHOTO" and attachment["moderation"] == "PENDING"
        kept = await kept_bytes(own_council, attachment["id"])
        assert attachment["bytes"] == len(kept)
        assert not has_gps(kept) and metadata_left(kept) == {}
        assert b"PhoneCo" not in kept and b"Hidden Lane" not in kept
        with Image.open(io.BytesIO(kept)) as image:  # the picture itself survives
            assert image.convert("RGB").getpixel((10, 10))[0] > 200
        served = await client.get(path_of(attachment["url"]))
        assert served.status_code == 200 and served.content == kept
        assert served.headers["content-type"] == kept_as
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in served.headers["content-security-policy"]


async def test_the_type_is_decided_by_content_not_name_or_header(own_council, issuer, residents):
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(own_council) as (_, client):
        # A PNG called a PDF is a PNG: decoded and re-encoded like any image.
        png = photo("PNG")
        body = (
            await upload(client, token, png, purpose="EVIDENCE", filename="licence.pdf", content_type="application/pdf")
        ).json()["data"]["uploadAttachment"]
        assert body["userErrors"] == [] and body["attachment"]["contentType"] == "image/png"
        assert not has_gps(await kept_bytes(own_council, body["attachment"]["id"]))
        # A PDF is evidence, never a photo; and HTML called a JPEG is nothing we take.
        refused = (await upload(client, token, pdf(), filename="x.jpg")).json()["data"]["uploadAttachment"]
        assert refused["attachment"] is None
        assert refused["userErrors"] == [
            {
                "field": ["file"],
                "code": "UNSUPPORTED_TYPE",
                "message": "The file must be a JPEG, PNG, WebP or HEIC photo",
            }
        ]
        html = b"<html><script>alert(document.cookie)</script></html>"
        refused = (await upload(client, token, html, purpose="EVIDENCE")).json()["data"]["uploadAttachment"]
        assert [e["code"] for e in refused["userErrors"]] == ["UNSUPPORTED_TYPE"]
        # A JPEG's signature with rubbish after it does not decode.
        broken = (await upload(client, token, b"\xff\xd8\xff\xe0" + os.urandom(2000))).json()
        assert [e["code"] for e in broken["data"]["uploadAttachment"]["userErrors"]] == ["UNREADABLE"]


async def test_a_pdf_is_kept_as_it_came_and_only_ever_downloaded(own_council, issuer, residents):
    token = issuer.resident_token(residents[0]["email"])
    document = pdf()
    async with running_app(own_council) as (_, client):
        body = (
            await upload(client, token, document, purpose="EVIDENCE", filename="tenancy.pdf", content_type="text/html")
        ).json()["data"]["uploadAttachment"]
        attachment = body["attachment"]
        assert (attachment["contentType"], attachment["width"], attachment["height"]) == ("application/pdf", None, None)
        assert await kept_bytes(own_council, attachment["id"]) == document
        served = await client.get(path_of(attachment["url"]))
        assert served.status_code == 200 and served.content == document
        assert served.headers["content-disposition"] == f'attachment; filename="{attachment["id"]}.pdf"'
        assert served.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in served.headers["content-security-policy"]


async def test_a_decompression_bomb_is_refused_before_it_is_decoded(own_council, issuer, residents):
    bomb = png_bomb()
    assert len(bomb) < 200  # tiny on the wire, 2.5 gigapixels once decoded
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(own_council) as (_, client):
        rows_before = await count_rows(own_council)
        body = (await upload(client, token, bomb, filename="bomb.png")).json()["data"]["uploadAttachment"]
        assert body["attachment"] is None
        assert [(e["field"], e["code"]) for e in body["userErrors"]] == [(["file"], "TOO_MANY_PIXELS")]
        assert await count_rows(own_council) == rows_before


async def test_an_oversize_file_is_refused_and_a_body_past_the_upload_limit_is_never_read(
    own_council, issuer, residents
):
    settings = settings_with(own_council, max_upload_bytes=1024 * 1024, max_uploads_per_request=1)
    token = issuer.resident_token(residents[0]["email"])
    big = photo("PNG", size=(64, 48)) + os.urandom(1024 * 1024)  # a valid PNG with 1 MB trailing
    async with running_app(settings) as (_, client):
        body = (await upload(client, token, big, filename="big.png")).json()["data"]["uploadAttachment"]
        assert [(e["field"], e["code"], e["message"]) for e in body["userErrors"]] == [
            (["file"], "TOO_LARGE", "The file must be 1 MB or smaller")
        ]
        # Past one file's limit plus the multipart allowance: refused from Content-Length, unread.
        huge = await upload(client, token, os.urandom(1200 * 1024), filename="huge.jpg")
        assert huge.status_code == 413
        assert huge.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        # More files in one request than allowed: 400, nothing kept.
        two = await client.post(
            "/graphql",
            data={"operations": "{}", "map": "{}"},
            files={"0": ("a.png", photo("PNG"), "image/png"), "1": ("b.png", photo("PNG"), "image/png")},
            headers={"Apollo-Require-Preflight": "true", "Authorization": f"Bearer {token}"},
        )
        assert two.status_code == 400


async def test_only_a_signed_in_upload_may_send_a_body_larger_than_the_ordinary_limit(own_council, issuer, residents):
    settings = settings_with(own_council, max_body_bytes=64 * 1024)
    token = issuer.resident_token(residents[0]["email"])
    big = photo("PNG", size=(64, 48)) + os.urandom(200 * 1024)  # past the ordinary limit, well inside an upload's
    async with running_app(settings) as (_, client):
        signed_in = (await upload(client, token, big, filename="big.png")).json()["data"]["uploadAttachment"]
        assert signed_in["userErrors"] == [] and signed_in["attachment"]["contentType"] == "image/png"
        anonymous = await upload(client, None, big, filename="big.png")
        assert anonymous.status_code == 413  # refused from its Content-Length: nothing buffered
        elsewhere = await client.post(
            "/graphql/other",
            files={"0": ("a.png", big, "image/png")},
            headers={"Apollo-Require-Preflight": "true", "Authorization": f"Bearer {token}"},
        )
        assert elsewhere.status_code == 413


async def test_a_cross_site_multipart_post_without_a_preflight_header_is_refused(own_council, issuer, residents):
    """A form on another site can POST multipart/form-data to /graphql with no CORS preflight; the API
    takes bearer tokens, but refusing it outright keeps a future cookie from ever becoming a CSRF hole."""
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(own_council) as (_, client):
        rows_before = await count_rows(own_council)
        refused = await upload(client, token, photo(), preflight=False, headers={"Origin": "https://evil.example"})
        assert refused.status_code == 415
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
        assert await count_rows(own_council) == rows_before
        # X-Requested-With forces a preflight too (as Apollo Server's CSRF prevention accepts).
        accepted = await upload(client, token, photo(), preflight=False, headers={"X-Requested-With": "fetch"})
        assert accepted.json()["data"]["uploadAttachment"]["userErrors"] == []


async def test_uploads_need_a_signed_in_person_and_a_file(own_council, issuer, residents):
    async with running_app(own_council) as (_, client):
        anonymous = await upload(client, None, photo())
        assert anonymous.status_code == 401  # refused before any part of the body is read
        token = issuer.resident_token(residents[0]["email"])
        as_json = await client.post(
            "/graphql",
            json={"query": 'mutation { uploadAttachment(file: "x", purpose: PHOTO) { userErrors { code } } }'},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert as_json.json()["data"]["uploadAttachment"]["userErrors"] == [{"code": "INVALID"}]
        malformed = await client.post(
            "/graphql",
            data={"operations": "{}", "map": '{"0": ["variables.nothing.here"]}'},
            files={"0": ("a.png", photo("PNG"), "image/png")},
            headers={"Apollo-Require-Preflight": "true", "Authorization": f"Bearer {token}"},
        )
        assert malformed.status_code == 400


async def test_a_link_works_only_as_signed_and_until_it_expires(own_council, issuer, residents):
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(own_council) as (app, client):
        attachment = (await upload(client, token, photo())).json()["data"]["uploadAttachment"]["attachment"]
        good = path_of(attachment["url"])
        assert (await client.get(good)).status_code == 200
        other = str(uuid.uuid4())
        assert (await client.get(good.replace(attachment["id"], other))).status_code == 403  # signature is per id
        assert (await client.get(good[:-4] + "0000")).status_code == 403  # tampered signature
        assert "for=uploader" in good  # whom it is for is signed: changing it breaks the signature
        assert (await client.get(good.replace("for=uploader", "for=staff"))).status_code == 403
        links = app.state.runtime.services.attachments.links
        expired = path_of(links.url(attachment["id"], LinkAudience.UPLOADER, 60, now=time.time() - 120))
        assert (await client.get(expired)).status_code == 403
        base = f"/attachments/{attachment['id']}"
        for query in ("expires=%C2%B2&signature=a", "expires=%D9%A3%D9%A3&signature=a", "expires=9&signature=%C3%A9"):
            assert (await client.get(f"{base}?{query}")).status_code == 403  # Unicode digits: refused, not a 500


async def test_concurrent_duplicate_uploads_and_a_retry_with_the_same_key_keep_one_attachment(
    own_council, issuer, residents
):
    token = issuer.resident_token(residents[0]["email"])
    key = {"Idempotency-Key": str(uuid.uuid4())}
    original = photo("JPEG", colour="blue")
    async with running_app(own_council) as (_, client):
        rows_before = await count_rows(own_council)
        answers = await asyncio.gather(*(upload(client, token, original, headers=key) for _ in range(4)))
        ids = {a.json()["data"]["uploadAttachment"]["attachment"]["id"] for a in answers}
        assert len(ids) == 1
        retry = await upload(client, token, original, headers=key)
        assert retry.headers.get("idempotent-replayed") == "true"
        assert retry.json()["data"]["uploadAttachment"]["attachment"]["id"] in ids
        # The same key with another file is another request: refused, nothing kept.
        conflict = (await upload(client, token, photo("JPEG", colour="green"), headers=key)).json()
        assert [e["code"] for e in conflict["data"]["uploadAttachment"]["userErrors"]] == ["IDEMPOTENCY_CONFLICT"]
        assert await count_rows(own_council) == rows_before + 1
    # Recorded like every mutation, from what the command did: one row, for the one call that ran (the
    # duplicates and the retry were its replays; the conflict ran nothing).
    engine = create_engine(own_council.gateway_database_url)
    try:
        async with engine.connect() as conn:
            outcomes = (
                (
                    await conn.execute(
                        select(audit_log.c.detail["outcome"].as_string()).where(
                            audit_log.c.action == "mutation.uploadAttachment"
                        )
                    )
                )
                .scalars()
                .all()
            )
    finally:
        await engine.dispose()
    assert outcomes == ["OK"]


async def test_unused_attachments_are_deleted_after_a_day_and_their_files_with_them(own_council, issuer, residents):
    token = issuer.resident_token(residents[0]["email"])
    async with running_app(own_council) as (app, client):
        attachment = (await upload(client, token, photo("PNG", colour="yellow"))).json()["data"]["uploadAttachment"][
            "attachment"
        ]
        kept = await kept_bytes(own_council, attachment["id"])
        digest = hashlib.sha256(kept).hexdigest()
        path = own_council.data_dir / "attachments" / digest[:2] / digest
        store: AttachmentStore = app.state.runtime.services.attachments.store
        now = datetime.now(UTC)
        assert await store.delete_unused(now) == 0  # not a day old yet
        two_hours_ago = time.time() - 7200
        os.utime(path, (two_hours_ago, two_hours_ago))
        assert await store.delete_unused(now + timedelta(days=1, minutes=1)) == 1
        assert (await store.by_ids([attachment["id"]])) == {}
        assert not path.exists()
        assert (await client.get(path_of(attachment["url"]))).status_code == 404
