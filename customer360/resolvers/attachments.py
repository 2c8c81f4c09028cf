"""uploadAttachment, moderateAttachment and a request's photos: each attachment with the link it is
read by, signed by the command (`commands/attachments.py`) for the principal asking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry.types import Info

from customer360.auth.principal import scope_of
from customer360.auth.purpose import access_purpose
from customer360.domain.attachments import (
    AttachmentPurpose,
    AttachmentRecord,
    ModerationDecision,
    ReceivedFile,
    visible_to,
)
from customer360.domain.problems import CommonCode, Problem
from customer360.resolvers.context import Context

NOT_A_FILE = Problem(("file",), CommonCode.INVALID, "Send the file as a GraphQL multipart request")


@dataclass(frozen=True)
class ShownAttachment:
    record: AttachmentRecord
    url: str


async def upload(info: Info[Context, Any], file: object, purpose: AttachmentPurpose) -> ShownAttachment | list[Problem]:
    if not isinstance(file, ReceivedFile):  # a JSON request with a string where the file should be
        return [NOT_A_FILE]
    context = info.context
    outcome = await context.services.attachments.upload(context.principal, file, purpose)
    if isinstance(outcome, list):
        return outcome
    return ShownAttachment(outcome, context.services.attachments.link(outcome, context.principal, purpose=False))


async def moderate(
    info: Info[Context, Any], attachment_id: str, decision: ModerationDecision, reason: str | None
) -> ShownAttachment | list[Problem]:
    context = info.context
    purpose = access_purpose(context.request)
    outcome = await context.services.attachments.moderate(context.principal, attachment_id, decision, reason, purpose)
    if isinstance(outcome, list):
        return outcome
    # The same check as a request's photos: staff with a purpose may see it, and the call was audited.
    if not visible_to(outcome, scope_of(context.principal), staff=purpose is not None):
        return [Problem(("input", "attachmentId"), CommonCode.NOT_FOUND, "There is no such attachment")]
    return ShownAttachment(outcome, context.services.attachments.link(outcome, context.principal, purpose=True))


async def photos(info: Info[Context, Any], reference: str) -> list[ShownAttachment]:
    """A request's attachments this principal may see (the request's loader checked each)."""
    context = info.context
    attachments, purpose = context.services.attachments, access_purpose(context.request) is not None
    return [
        ShownAttachment(record, attachments.link(record, context.principal, purpose=purpose))
        for record in await info.context.visible_attachments.load(reference)
    ]


async def revoke_links(info: Info[Context, Any], attachment_id: str) -> ShownAttachment | list[Problem]:
    context = info.context
    purpose = access_purpose(context.request)
    outcome = await context.services.attachments.revoke_links(context.principal, attachment_id, purpose)
    if isinstance(outcome, list):
        return outcome
    return ShownAttachment(outcome, context.services.attachments.link(outcome, context.principal, purpose=True))
