"""A portal upload step's shared part: the file a plain multipart form sent (with the session's CSRF
token, so it works without JavaScript) goes to the API's `uploadAttachment` as a GraphQL multipart
request; the step keeps the id in its draft until the submission is sent with it.

The step's own pages decide what to ask for (a photo of a problem, evidence for an application) and
where the ids wait; a refusal of the file (`UNSUPPORTED_TYPE`, `TOO_LARGE`, ...) comes back at the
API's path `file`, which the step shows beside its file input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from customer360.portal.api import call
from customer360.portal.csrf import multipart_form
from customer360.portal.journeys import ElementFor, refusal
from customer360.portal.sessions import Session, Sessions

KINDS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "application/pdf": "PDF"}


@dataclass(frozen=True)
class Uploaded:
    """What the API answered: the attachment (id, contentType, width, height), else its userErrors.
    Neither when the form carried no file at all."""

    attachment: dict[str, Any] | None
    user_errors: list[dict[str, Any]]

    @property
    def chosen(self) -> bool:
        return self.attachment is not None or bool(self.user_errors)


def file_element(field: str) -> ElementFor:
    """The API's error path for the file (`file`) -> the step's file input."""
    return lambda path: field if list(path) == ["file"] else None


async def upload(request: Request, session: Session, field: str, purpose: str) -> Uploaded:
    """The file in the form's `field`, uploaded for the signed-in resident as `purpose`."""
    chosen = (await multipart_form(request)).get(field)
    data = await chosen.read() if isinstance(chosen, UploadFile) else b""
    if not data:
        return Uploaded(None, [])
    payload = (
        await call(request, "PortalUploadAttachment", {"purpose": purpose}, token=session.token, files={"file": data})
    )["uploadAttachment"]
    return Uploaded(payload["attachment"], list(payload["userErrors"]))


def described(attachment: dict[str, Any]) -> str:
    """How the resident sees what they added: its kind, and an image's size in pixels."""
    kind = KINDS.get(attachment["contentType"], "File")
    if attachment.get("width") and attachment.get("height"):
        return f"{kind}, {attachment['width']} by {attachment['height']} pixels"
    return kind


async def refuse(session: Session, sessions: Sessions, key: str, user_errors: Sequence[dict[str, Any]]) -> None:
    """Keep the step's refusal (under the step's own `key`) for its page to show once."""
    session.refusals[key] = list(user_errors)
    await sessions.save(session)


async def take_refusal(
    session: Session, sessions: Sessions, key: str, element_for: ElementFor
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The step's last refusal as the error summary and inline messages, gone from the session after."""
    refused = session.refusals.pop(key, None)
    if refused is not None:
        await sessions.save(session)
    return refusal(refused or [], element_for)
