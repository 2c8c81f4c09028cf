"""uploadAttachment, moderateAttachment, and the `Attachment` a request's photos are shown as."""

from __future__ import annotations

from typing import Any, Self

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from customer360.domain.attachments import AttachmentPurpose, AttachmentRecord, Moderation, ModerationDecision
from customer360.resolvers import attachments as resolve
from customer360.resolvers.attachments import ShownAttachment
from customer360.resolvers.context import Context
from customer360.schema.values import UserError, user_errors

strawberry.enum(AttachmentPurpose, description="PHOTO: an image (JPEG, PNG, WebP, HEIC). EVIDENCE: an image or a PDF.")
strawberry.enum(
    Moderation,
    description="A photo on a report is shown to people other than its uploader and staff only once PUBLISHED.",
)
strawberry.enum(ModerationDecision)


@strawberry.type(
    description="A photo or document, as customer360 keeps it: images re-encoded (no EXIF, so no GPS position), "
    "a PDF as it came. `url` is a link signed for a short while, for whoever was allowed to see it."
)
class Attachment:
    id: strawberry.ID
    purpose: AttachmentPurpose
    content_type: str = strawberry.field(description="Decided from the file's content, not its name.")
    bytes: int
    width: int | None
    height: int | None
    moderation: Moderation
    url: str = strawberry.field(
        description="Good for 15 minutes, and only while you may still see the file (a photo hidden since is "
        "refused). A PDF is always served as a download."
    )

    @classmethod
    def from_record(cls, record: AttachmentRecord, url: str) -> Self:
        return cls(
            id=strawberry.ID(record.id),
            purpose=record.purpose,
            content_type=record.content_type,
            bytes=record.bytes,
            width=record.width,
            height=record.height,
            moderation=record.moderation,
            url=url,
        )


@strawberry.type
class UploadAttachmentPayload:
    attachment: Attachment | None
    user_errors: list[UserError]


@strawberry.input
class ModerateAttachmentInput:
    attachment_id: strawberry.ID
    decision: ModerationDecision
    reason: str | None = strawberry.field(default=None, description="Why (a face, a number plate); audited.")


@strawberry.input
class RevokeAttachmentLinksInput:
    attachment_id: strawberry.ID


@strawberry.type
class RevokeAttachmentLinksPayload:
    attachment: Attachment | None = strawberry.field(description="With a new link for you (made after the revocation).")
    user_errors: list[UserError]


@strawberry.type
class ModerateAttachmentPayload:
    attachment: Attachment | None
    user_errors: list[UserError]


def shown(found: ShownAttachment) -> Attachment:
    return Attachment.from_record(found.record, found.url)


async def upload_attachment(
    info: Info[Context, Any], file: Upload, purpose: AttachmentPurpose
) -> UploadAttachmentPayload:
    outcome = await resolve.upload(info, file, purpose)
    if isinstance(outcome, list):
        return UploadAttachmentPayload(attachment=None, user_errors=user_errors(outcome))
    return UploadAttachmentPayload(attachment=shown(outcome), user_errors=[])


async def moderate_attachment(info: Info[Context, Any], input: ModerateAttachmentInput) -> ModerateAttachmentPayload:
    outcome = await resolve.moderate(info, str(input.attachment_id), input.decision, input.reason)
    if isinstance(outcome, list):
        return ModerateAttachmentPayload(attachment=None, user_errors=user_errors(outcome))
    return ModerateAttachmentPayload(attachment=shown(outcome), user_errors=[])


async def revoke_attachment_links(
    info: Info[Context, Any], input: RevokeAttachmentLinksInput
) -> RevokeAttachmentLinksPayload:
    outcome = await resolve.revoke_links(info, str(input.attachment_id))
    if isinstance(outcome, list):
        return RevokeAttachmentLinksPayload(attachment=None, user_errors=user_errors(outcome))
    return RevokeAttachmentLinksPayload(attachment=shown(outcome), user_errors=[])
