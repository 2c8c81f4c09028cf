"""uploadAttachment and moderateAttachment, and the signed links an attachment is read through.

An upload is checked and cleaned (`attachment_cleaning.py`) before anything is kept, then kept as a
file named by its content plus a row naming its uploader. Nobody reads an attachment by its id: a
resolver that has checked who may see it hands out a link signed for a short while
(`/attachments/<id>?expires=...&for=...&signature=...`) signed for whom it is (`LinkAudience`); the
route serving it checks the signature, then the record again (`may_serve`): hiding a photo takes back
every link to it but its uploader's and staff's.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from aiodataloader import DataLoader

from customer360.auth.policy import PERSON_ROLES, acting_name, acting_role
from customer360.auth.principal import Principal, scope_of
from customer360.commands.attachment_cleaning import CleanFile, clean
from customer360.domain.attachments import (
    AttachmentCode,
    AttachmentPurpose,
    AttachmentRecord,
    LinkAudience,
    Moderation,
    ModerationDecision,
    ReceivedFile,
    is_cleaned_photo,
    link_audience,
    may_use,
    visible_to,
)
from customer360.domain.problems import CommonCode, Problem, optional_text
from customer360.store.attachments import AttachmentStore
from customer360.store.audit import AuditLog

# What a link handed to a resident or staff in an answer is good for: long enough to load the page.
LINK_SECONDS = 15 * 60
# A link sent on to a back office (a CRM case, a housing application) is opened by its staff whenever
# they look at the case, so it lasts as long as such a case is typically open.
BACK_OFFICE_LINK_SECONDS = 30 * 24 * 3600
MODERATION_REASON_LENGTH = 500
NOT_SIGNED_IN = Problem(None, CommonCode.NOT_SIGNED_IN, "Sign in to upload a file")
NO_SUCH_ATTACHMENT = Problem(("input", "attachmentId"), CommonCode.NOT_FOUND, "There is no such attachment")
STAFF_ONLY = Problem(None, CommonCode.FORBIDDEN, "Only council staff may moderate attachments")
PURPOSE_REQUIRED = Problem(
    None, AttachmentCode.PURPOSE_REQUIRED, "Say why you are looking: send the header X-Access-Purpose"
)
NOT_A_PHOTO = Problem(("input", "attachmentId"), AttachmentCode.WRONG_PURPOSE, "Only photos are moderated")


# A link whose lifetime is fixed tells when it was signed by its expiry; one whose lifetime is a setting
# (an Open311 `media_url`, C360_OPEN311_MEDIA_DAYS) has that time signed into it instead, so that
# revoking still finds every link signed before it after the setting has changed.
FIXED_LIFETIMES = {LinkAudience.BACK_OFFICE: BACK_OFFICE_LINK_SECONDS}
SIGNED_WHEN = frozenset({LinkAudience.OPEN311})


@dataclass(frozen=True)
class SignedLink:
    expires: int
    audience: LinkAudience
    issued: int | None = None  # when it was signed, for an audience in SIGNED_WHEN

    def revoked(self, record: AttachmentRecord) -> bool:
        """Signed before staff revoked the file's links. One signed in the same second as the revocation
        is refused too."""
        if record.links_valid_after is None:
            return False
        signed = self.issued
        if signed is None:
            signed = self.expires - FIXED_LIFETIMES.get(self.audience, LINK_SECONDS)
        return signed <= record.links_valid_after.timestamp()


def _digits(value: str | None) -> int | None:
    """A time as ASCII digits, else None: `'²'.isdigit()` is true but `int('²')` raises."""
    if value and value.isascii() and value.isdigit() and len(value) <= 12:
        return int(value)
    return None


@dataclass(frozen=True)
class SignedLinks:
    key: bytes
    base_url: str

    def url(
        self, attachment_id: str, audience: LinkAudience, seconds: int = LINK_SECONDS, *, now: float | None = None
    ) -> str:
        at = now if now is not None else time.time()
        expires = int(at + seconds)
        issued = int(at) if audience in SIGNED_WHEN else None
        signature = self._signature(attachment_id, expires, audience, issued)
        fields: dict[str, object] = {"expires": expires, "for": audience.value}
        if issued is not None:
            fields["issued"] = issued
        query = urlencode({**fields, "signature": signature})
        return f"{self.base_url}/attachments/{attachment_id}?{query}"

    def valid(
        self,
        attachment_id: str,
        expires: str | None,
        audience: str | None,
        signature: str | None,
        issued: str | None = None,
    ) -> SignedLink | None:
        """The link's expiry and audience when it is signed and not yet expired, else None."""
        until = _digits(expires)
        # compare_digest raises on a str that is not ASCII, so the signature is held to it too.
        if until is None or not (signature and signature.isascii()) or audience not in set(LinkAudience):
            return None
        whom = LinkAudience(audience)
        when = _digits(issued)
        # An audience in SIGNED_WHEN carries when it was signed; no other carries it.
        if (whom in SIGNED_WHEN) != (when is not None) or (issued is not None and when is None):
            return None
        if until < time.time():
            return None
        if not hmac.compare_digest(signature, self._signature(attachment_id, until, whom, when)):
            return None
        return SignedLink(until, whom, when)

    def _signature(self, attachment_id: str, expires: int, audience: LinkAudience, issued: int | None) -> str:
        message = f"{attachment_id}:{expires}:{audience.value}"
        if issued is not None:
            message += f":{issued}"
        return hmac.new(self.key, message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Attached:
    """What a submission takes of the attachments named in it: their ids, and the signed links a back
    office opens them by (in the same order)."""

    ids: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    # The first cleaned photo's link for the street-scene contractor (Open311 takes one `media_url`).
    media_url: str | None = None


@dataclass
class Attachments:
    store: AttachmentStore
    audit: AuditLog
    links: SignedLinks
    max_bytes: int
    max_pixels: int
    # How long an Open311 `media_url` works: long enough for the contractor to fetch and keep its copy.
    open311_media_seconds: int = 14 * 24 * 3600

    async def upload(
        self, principal: Principal, file: ReceivedFile, purpose: AttachmentPurpose
    ) -> AttachmentRecord | list[Problem]:
        if not (principal.is_resident or principal.is_staff) or principal.subject is None:
            return [NOT_SIGNED_IN]
        if len(file.data) > self.max_bytes:
            megabytes = self.max_bytes / (1024 * 1024)
            return [Problem(("file",), AttachmentCode.TOO_LARGE, f"The file must be {megabytes:g} MB or smaller")]
        cleaned = await asyncio.to_thread(clean, file.data, purpose, max_pixels=self.max_pixels)
        if isinstance(cleaned, Problem):
            return [cleaned]
        record = _record(principal, purpose, cleaned)
        await self.store.add(record, cleaned.data)
        return record

    async def usable(
        self,
        principal: Principal,
        ids: Sequence[str],
        purposes: frozenset[AttachmentPurpose],
        field: tuple[str, ...],
    ) -> tuple[list[AttachmentRecord], list[Problem]]:
        """The principal's own attachments, not yet used, for a submission: or why not."""
        if not ids:
            return [], []
        if principal.subject is None:
            return [], [Problem(field, CommonCode.NOT_SIGNED_IN, "Sign in to attach files")]
        found = await self.store.by_ids(ids)
        problems = may_use(scope_of(principal), ids, found.values(), purposes, field)
        return [found[i] for i in ids if i in found], problems

    async def attach(
        self,
        principal: Principal,
        ids: Sequence[str],
        purposes: frozenset[AttachmentPurpose],
        field: tuple[str, ...],
    ) -> Attached | list[Problem]:
        """For a command: the attachments it names, each checked as the principal's own and unused, with
        the links its back office gets; or why not. The claim itself is made as the submission is kept
        (`WritePath.keep`), where a submission sent at the same time may take one first (`AttachmentTaken`)."""
        records, problems = await self.usable(principal, ids, purposes, field)
        if problems:
            return problems
        photos = [r for r in records if is_cleaned_photo(r)]
        seconds = self.open311_media_seconds  # 0: the council sends the contractor no photo
        media_url = self.links.url(photos[0].id, LinkAudience.OPEN311, seconds) if photos and seconds else None
        return Attached(tuple(r.id for r in records), tuple(self.back_office_links(records)), media_url)

    async def moderate(
        self,
        principal: Principal,
        attachment_id: str,
        decision: ModerationDecision,
        reason: str | None,
        purpose: str | None,
    ) -> AttachmentRecord | list[Problem]:
        """Staff publish or hide a photo a submission used. Like any read of a person's record it needs a
        purpose, and every call that answers is audited (it hands back a link to the photo), a repeat
        too. Nothing is written before a refusal: the UPDATE only matches a used PHOTO."""
        if not (principal.is_staff and principal.roles & PERSON_ROLES):
            return [STAFF_ONLY]
        if purpose is None:
            return [PURPOSE_REQUIRED]
        if problems := optional_text(reason, ("input", "reason"), "the reason", MODERATION_REASON_LENGTH):
            return problems
        moderation = Moderation.PUBLISHED if decision is ModerationDecision.PUBLISH else Moderation.HIDDEN
        actor = acting_name(principal)
        done = await self.store.moderate(attachment_id, moderation, actor, reason, datetime.now(UTC))
        if done is None or done.record.used_by is None:  # an unused upload is nobody's business but its owner's
            return [NO_SUCH_ATTACHMENT]
        if done.record.purpose is not AttachmentPurpose.PHOTO:  # evidence is never published
            return [NOT_A_PHOTO]
        role = acting_role(principal)
        await self.audit.append(
            actor=actor,
            role=role.value if role else None,
            action="attachment.moderate",
            customer_id=done.record.customer_id,
            detail={
                "attachment": attachment_id,
                "reference": done.record.used_by,
                "decision": decision.value,
                "changed": done.changed,
                "purpose": purpose,
            },
        )
        return done.record

    async def revoke_links(
        self, principal: Principal, attachment_id: str, purpose: str | None
    ) -> AttachmentRecord | list[Problem]:
        """Staff take back every link to a used attachment handed out so far (a back office's 30-day links and
        an Open311 `media_url` too): a link forwarded or logged where it should not be. Audited; links made
        after it work."""
        if not (principal.is_staff and principal.roles & PERSON_ROLES):
            return [STAFF_ONLY]
        if purpose is None:
            return [PURPOSE_REQUIRED]
        record = await self.store.revoke_links(attachment_id, datetime.now(UTC))
        if record is None or record.used_by is None:
            return [NO_SUCH_ATTACHMENT]
        role = acting_role(principal)
        await self.audit.append(
            actor=acting_name(principal),
            role=role.value if role else None,
            action="attachment.revoke_links",
            customer_id=record.customer_id,
            detail={"attachment": attachment_id, "reference": record.used_by, "purpose": purpose},
        )
        return record

    async def visible(
        self, principal: Principal, references: Sequence[str], *, purpose: bool
    ) -> dict[str, list[AttachmentRecord]]:
        """Each submission's attachments this principal may see. Staff see ones not published only when
        they say why they are looking (`X-Access-Purpose`), as for any read of a person's record."""
        found = await self.store.by_references(references)
        viewer = scope_of(principal)
        staff = bool(principal.is_staff and principal.roles & PERSON_ROLES and purpose)
        return {ref: [a for a in records if visible_to(a, viewer, staff)] for ref, records in found.items()}

    async def delete_unused(self) -> int:
        return await self.store.delete_unused(datetime.now(UTC))

    def loader(self, principal: Principal, *, purpose: bool) -> DataLoader[str, list[AttachmentRecord]]:
        """Per request: each reference's attachments this principal may see, every reference asked for
        in one query (a page of My Requests is one read, not one per request)."""

        async def load(references: list[str]) -> list[list[AttachmentRecord]]:
            found = await self.visible(principal, references, purpose=purpose)
            return [found.get(reference, []) for reference in references]

        return DataLoader(load)

    def link(self, record: AttachmentRecord, principal: Principal, *, purpose: bool) -> str:
        """The link an answer shows `record` by, to a principal a resolver has let see it: signed for
        whom it is, so that moderation since can still refuse it when it is opened."""
        staff = bool(principal.is_staff and principal.roles & PERSON_ROLES and purpose)
        return self.links.url(record.id, link_audience(record, scope_of(principal), staff))

    def back_office_links(self, records: Sequence[AttachmentRecord]) -> list[str]:
        return [self.links.url(record.id, LinkAudience.BACK_OFFICE, BACK_OFFICE_LINK_SECONDS) for record in records]


def _record(principal: Principal, purpose: AttachmentPurpose, cleaned: CleanFile) -> AttachmentRecord:
    return AttachmentRecord(
        id=str(uuid.uuid4()),
        owner=scope_of(principal),
        customer_id=principal.customer_id,
        purpose=purpose,
        content_type=cleaned.content_type,
        bytes=len(cleaned.data),
        width=cleaned.width,
        height=cleaned.height,
        sha256=hashlib.sha256(cleaned.data).hexdigest(),
        created_at=datetime.now(UTC),
        used_by=None,
        moderation=Moderation.PENDING,
    )
