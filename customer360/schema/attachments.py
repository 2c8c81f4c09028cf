"""uploadAttachment, moderateAttachment, and the `Attachment` a request's photos are shown as."""

from __future__ import annotations

from typing import Any, Self

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from customer360.commands.attachments import ReceivedFile
from customer360.domain.attachments import AttachmentPurpose, AttachmentRecord, Moderation, ModerationDecision
from customer360.domain.problems import CommonCode, Problem
from customer360.resolvers.context import Context
from customer360.schema.values import UserError, user_errors

strawberry.enum(AttachmentPurpose, description="PHOTO: an image (JPEG, PNG, WebP, HEIC). EVIDENCE: an image or a PDF.")
strawberry.enum(
    Moderation,
    description="A photo on a report is shown to people other than its uploader and staff only once PUBLISHED.",
)
strawberry.enum(ModerationDecision)

NOT_A_FILE = Problem(("file",), CommonCode.INVALID, "Send the file as a GraphQL multipart request")


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
    url: str = strawberry.field(description="Good for 15 minutes. A PDF is always served as a download.")

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


@strawberry.type
class ModerateAttachmentPayload:
    attachment: Attachment | None
    user_errors: list[UserError]


def shown(info: Info[Context, Any], record: AttachmentRecord) -> Attachment:
    return Attachment.from_record(record, info.context.attachments.links.url(record.id))


async def upload_attachment(
    info: Info[Context, Any], file: Upload, purpose: AttachmentPurpose
) -> UploadAttachmentPayload:
    if not isinstance(file, ReceivedFile):  # a JSON request with a string where the file should be
        return UploadAttachmentPayload(attachment=None, user_errors=user_errors([NOT_A_FILE]))
    outcome = await info.context.attachments.upload(info.context.principal, file, purpose)
    if isinstance(outcome, list):
        return UploadAttachmentPayload(attachment=None, user_errors=user_errors(outcome))
    return UploadAttachmentPayload(attachment=shown(info, outcome), user_errors=[])


async def moderate_attachment(info: Info[Context, Any], input: ModerateAttachmentInput) -> ModerateAttachmentPayload:
    context = info.context
    outcome = await context.attachments.moderate(
        context.principal, str(input.attachment_id), input.decision, input.reason
    )
    if isinstance(outcome, list):
        return ModerateAttachmentPayload(attachment=None, user_errors=user_errors(outcome))
    return ModerateAttachmentPayload(attachment=shown(info, outcome), user_errors=[])
