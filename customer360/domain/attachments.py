"""Photos and documents a resident attaches to a report or an application: who may use and see them.

An attachment belongs to whoever uploaded it (a hash of their token's subject, as idempotency keys
are scoped) until a submission uses it; from then on it is that submission's, by its reference, for
ever. A photo on a street report is public only once staff publish it (faces and number plates are
why a council hides one); its uploader always sees it, and so do staff.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from customer360.domain.problems import CommonCode, Problem

# An attachment no submission used within this long is deleted (a background pass).
UNUSED_LIFETIME = timedelta(days=1)


class AttachmentPurpose(StrEnum):
    PHOTO = "PHOTO"  # a picture of a problem: an image only
    EVIDENCE = "EVIDENCE"  # proof for an application or a licence: an image or a PDF


class Moderation(StrEnum):
    PENDING = "PENDING"  # not yet looked at: its uploader and staff see it, nobody else
    PUBLISHED = "PUBLISHED"  # shown to anyone who sees the report
    HIDDEN = "HIDDEN"  # its uploader and staff only, for good (or until published)


class ModerationDecision(StrEnum):
    PUBLISH = "PUBLISH"
    HIDE = "HIDE"


class LinkAudience(StrEnum):
    """Whom a signed link was made for: signed into the link, and checked again when it is served."""

    UPLOADER = "uploader"  # in an answer to the person who uploaded it
    STAFF = "staff"  # in an answer to staff who gave a purpose
    PUBLIC = "public"  # in an answer to anyone else (a published photo only)
    BACK_OFFICE = "office"  # sent on to a back office's case (a CRM case, a housing application)
    # Sent to the street-scene contractor as a report's Open311 `media_url`, which GeoReport v2 servers
    # publish in their feed: it serves a cleaned photo only, and none once staff hide it.
    OPEN311 = "open311"


class AttachmentCode(StrEnum):
    UNSUPPORTED_TYPE = "UNSUPPORTED_TYPE"  # by its content, whatever its name or header say
    TOO_LARGE = "TOO_LARGE"  # bytes over C360_MAX_UPLOAD_BYTES
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"  # a decompression bomb, or just an enormous image
    UNREADABLE = "UNREADABLE"  # claims to be an image but does not decode
    ALREADY_USED = "ALREADY_USED"  # another submission has it
    WRONG_PURPOSE = "WRONG_PURPOSE"  # evidence where a photo was asked for, or the other way round
    TOO_MANY = "TOO_MANY"  # more attachments on one submission than it takes
    PURPOSE_REQUIRED = "PURPOSE_REQUIRED"  # staff moderating without saying why (X-Access-Purpose)


IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
PDF = "application/pdf"
# How many attachments one submission takes (the portal asks for one photo at a time).
MAX_PER_SUBMISSION = 5


@dataclass(frozen=True, slots=True)
class AttachmentRecord:
    id: str
    owner: str  # the uploader: their principal kind and a hash of their subject
    customer_id: str | None  # the uploader's golden record, when a resident tied to one
    purpose: AttachmentPurpose
    content_type: str
    bytes: int
    width: int | None
    height: int | None
    sha256: str  # of the stored (cleaned) file: its name in the store
    created_at: datetime
    used_by: str | None  # the reference of the submission that used it
    moderation: Moderation
    moderation_reason: str | None = None
    links_valid_after: datetime | None = None  # staff revoked the links signed before this


@dataclass(frozen=True)
class ReceivedFile:
    """A file as it arrived in a multipart request: its bytes only (its name and type are not trusted)."""

    data: bytes

    def __str__(self) -> str:
        # What an Idempotency-Key's fingerprint sees of it: the same bytes are the same request.
        return f"file:sha256:{hashlib.sha256(self.data).hexdigest()}"


def may_use(
    owner: str,
    ids: Sequence[str],
    found: Iterable[AttachmentRecord],
    purposes: frozenset[AttachmentPurpose],
    field: tuple[str, ...],
    reference: str | None = None,
) -> list[Problem]:
    """Whether `owner` may attach these to a submission (`reference`, when a retry of it is being kept).

    Another person's attachment is answered as not found, exactly as one that never existed, so an id
    tells a prober nothing."""
    if len(ids) > MAX_PER_SUBMISSION:
        return [Problem(field, AttachmentCode.TOO_MANY, f"Attach {MAX_PER_SUBMISSION} files or fewer")]
    by_id = {record.id: record for record in found}
    problems: list[Problem] = []
    for index, attachment_id in enumerate(ids):
        at = (*field, str(index))
        record = by_id.get(attachment_id)
        if record is None or record.owner != owner:
            problems.append(Problem(at, CommonCode.NOT_FOUND, "We cannot find that file: upload it again"))
        elif record.used_by is not None and record.used_by != reference:
            problems.append(Problem(at, AttachmentCode.ALREADY_USED, "That file is already attached to a request"))
        elif record.purpose not in purposes:
            problems.append(Problem(at, AttachmentCode.WRONG_PURPOSE, "That file was uploaded for something else"))
    if len(set(ids)) != len(ids):
        problems.append(Problem(field, CommonCode.INVALID, "The same file is attached twice"))
    return problems


def visible_to(record: AttachmentRecord, viewer: str, staff: bool) -> bool:
    """Its uploader and staff always see an attachment; anyone else a published photo only."""
    return staff or record.owner == viewer or record.moderation is Moderation.PUBLISHED


def link_audience(record: AttachmentRecord, viewer: str, staff: bool) -> LinkAudience:
    """Whom a link in an answer to this viewer is for (the viewer has been let see the record)."""
    if record.owner == viewer:
        return LinkAudience.UPLOADER
    return LinkAudience.STAFF if staff else LinkAudience.PUBLIC


def is_cleaned_photo(record: AttachmentRecord) -> bool:
    """A photo whose stored bytes are the image Pillow re-encoded (no EXIF): never a PDF kept as it came."""
    return record.purpose is AttachmentPurpose.PHOTO and record.content_type in IMAGE_TYPES


def may_serve(record: AttachmentRecord, audience: LinkAudience) -> bool:
    """Checked each time a link is opened, not only when it was made, so moderation takes a link back:
    a hidden photo is its uploader's and staff's only, and a public link serves a published photo only.
    An Open311 `media_url` may be read by anyone who reads the contractor's feed, so it serves a cleaned
    photo not (yet) hidden, and nothing else, whatever a link was signed for."""
    if audience in (LinkAudience.UPLOADER, LinkAudience.STAFF):
        return True
    if record.moderation is Moderation.HIDDEN:
        return False
    if audience is LinkAudience.OPEN311:
        return is_cleaned_photo(record)
    return audience is LinkAudience.BACK_OFFICE or record.moderation is Moderation.PUBLISHED


def never_cached(record: AttachmentRecord, audience: LinkAudience) -> bool:
    """Personal documents, and anything opened from a back office's case or its feed, are kept by no
    browser or proxy (a cached copy would outlive hiding the photo or revoking its links)."""
    return record.purpose is AttachmentPurpose.EVIDENCE or audience in (LinkAudience.BACK_OFFICE, LinkAudience.OPEN311)


def unused_since(created_at: datetime, now: datetime) -> bool:
    """True once an attachment nobody used is old enough to delete."""
    return now - created_at >= UNUSED_LIFETIME
