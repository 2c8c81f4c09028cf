"""Who each signed link serves (`may_serve`, table-driven) and which links a revocation takes back."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from customer360.commands.attachments import BACK_OFFICE_LINK_SECONDS, LINK_SECONDS, SignedLinks
from customer360.domain.attachments import (
    AttachmentPurpose,
    AttachmentRecord,
    LinkAudience,
    Moderation,
    may_serve,
    never_cached,
)

PHOTO = AttachmentRecord(
    id="a1",
    owner="resident:abc",
    customer_id=None,
    purpose=AttachmentPurpose.PHOTO,
    content_type="image/jpeg",
    bytes=100,
    width=8,
    height=6,
    sha256="0" * 64,
    created_at=datetime(2026, 1, 1, tzinfo=UTC),
    used_by="C360-ABC",
    moderation=Moderation.PENDING,
)
EVIDENCE_PDF = replace(PHOTO, purpose=AttachmentPurpose.EVIDENCE, content_type="application/pdf")
EVIDENCE_IMAGE = replace(PHOTO, purpose=AttachmentPurpose.EVIDENCE)
U, S, P = LinkAudience.UPLOADER, LinkAudience.STAFF, LinkAudience.PUBLIC
B, O311 = LinkAudience.BACK_OFFICE, LinkAudience.OPEN311


@pytest.mark.parametrize(
    ("record", "moderation", "served_to"),
    [
        (PHOTO, Moderation.PENDING, {U, S, B, O311}),  # the contractor fetches it before anyone moderates
        (PHOTO, Moderation.PUBLISHED, {U, S, P, B, O311}),
        (PHOTO, Moderation.HIDDEN, {U, S}),  # hiding stops the contractor's media_url too
        (EVIDENCE_PDF, Moderation.PENDING, {U, S, B}),  # a PDF kept as it came: never on an Open311 link
        (EVIDENCE_IMAGE, Moderation.PENDING, {U, S, B}),  # evidence is never a street report's photo
    ],
)
def test_which_audiences_a_link_serves(record, moderation, served_to):
    record = replace(record, moderation=moderation)
    assert {audience for audience in LinkAudience if may_serve(record, audience)} == served_to


def test_links_that_may_be_public_or_are_a_back_offices_are_never_cached():
    assert [a for a in LinkAudience if never_cached(PHOTO, a)] == [B, O311]
    assert all(never_cached(EVIDENCE_IMAGE, a) for a in LinkAudience)


def test_revoking_takes_back_an_open311_link_by_when_it_was_signed_whatever_its_lifetime():
    """Its lifetime is a setting: a link signed for 14 days, revoked after the setting became 7, is still
    found to be older than the revocation (when it was signed is signed into it)."""
    links = SignedLinks(b"k" * 32, "https://council.example")
    now = time.time()

    def opened(url: str):
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        return links.valid("a1", query["expires"], query["for"], query["signature"], query.get("issued"))

    before = opened(links.url("a1", O311, 14 * 86400, now=now - 3600))
    after = opened(links.url("a1", O311, 7 * 86400, now=now + 5))
    revoked_at = replace(PHOTO, links_valid_after=datetime.fromtimestamp(now, UTC))
    assert before is not None and after is not None
    assert before.revoked(revoked_at) and not after.revoked(revoked_at)
    # Links of a fixed lifetime tell when they were signed by their expiry, as before.
    for audience, seconds in ((B, BACK_OFFICE_LINK_SECONDS), (U, LINK_SECONDS)):
        old, new = (
            opened(links.url("a1", audience, seconds, now=now - 2)),
            opened(links.url("a1", audience, seconds, now=now + 2)),
        )
        assert old is not None and new is not None and old.revoked(revoked_at) and not new.revoked(revoked_at)
    # An Open311 link must say when it was signed, and another audience's may not add it.
    url = links.url("a1", O311, 3600, now=now)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert links.valid("a1", query["expires"], "open311", query["signature"], None) is None
    assert links.valid("a1", query["expires"], "open311", query["signature"], "²") is None
    office = {k: v[0] for k, v in parse_qs(urlsplit(links.url("a1", B, 3600, now=now)).query).items()}
    assert links.valid("a1", office["expires"], "office", office["signature"], str(int(now))) is None
    assert links.valid("a1", office["expires"], "office", office["signature"]) is not None
