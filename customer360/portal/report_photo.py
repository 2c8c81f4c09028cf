"""Report a problem, the photo step: a signed-in resident may add a photo between the questions and
check your answers. A plain form (`multipart/form-data`, with the session's CSRF token like every
portal form), so it works without JavaScript; the photo goes to the API's `uploadAttachment` as a
GraphQL multipart request, and its id waits in the draft until the report is sent with it.

A visitor who is not signed in is not offered the step: an upload belongs to whoever made it, and an
anonymous visitor is nobody the API could hold it for.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from customer360.portal import journeys
from customer360.portal.api import call
from customer360.portal.csrf import multipart_form
from customer360.portal.rendering import page
from customer360.portal.report import JOURNEY, PHOTO_STEP, START, questions_for
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import see_other, visitor_page

PHOTO = PHOTO_STEP
REFUSAL = "report_photo"  # the session's name for the step's own refusal, shown once
FIELD = "photo"
KINDS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP"}
CHOOSE_ONE = [{"field": ["file"], "message": "Select a photo, or continue without one"}]


def photo_element(path: Sequence[str]) -> str | None:
    return FIELD if list(path) == ["file"] else None


@visitor_page
async def photo_page(_request: Request, session: Session, sessions: Sessions, _fields: dict[str, str]) -> Response:
    answers = journeys.ready_to_send(session, JOURNEY)
    if answers is None or not session.signed_in:
        return see_other(START if answers is None else JOURNEY.check)
    refused = session.refusals.pop(REFUSAL, None)
    if refused is not None:
        await sessions.save(session)
    errors, field_errors = journeys.refusal(refused or [], photo_element)
    return page(
        "report_photo.html",
        session,
        title="Add a photo (optional)",
        back_link=questions_for(answers["service"]),
        answers=answers,
        errors=errors,
        field_errors=field_errors,
    )


@visitor_page
async def add_photo(request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    answers = journeys.ready_to_send(session, JOURNEY)
    if answers is None or not session.signed_in:
        return see_other(START)
    if fields.get("action") == "remove":
        await journeys.keep_answers(session, sessions, JOURNEY, _without_photo(answers))
        return see_other(PHOTO)
    chosen = (await multipart_form(request)).get(FIELD)
    data = await chosen.read() if isinstance(chosen, UploadFile) else b""
    if not data:
        if fields.get("action") == "skip" or answers.get("photo_id"):
            return see_other(JOURNEY.check)
        session.refusals[REFUSAL] = CHOOSE_ONE
        await sessions.save(session)
        return see_other(PHOTO)
    payload = (
        await call(request, "PortalUploadAttachment", {"purpose": "PHOTO"}, token=session.token, files={"file": data})
    )["uploadAttachment"]
    if payload["userErrors"]:
        session.refusals[REFUSAL] = payload["userErrors"]
        await sessions.save(session)
        return see_other(PHOTO)
    attachment = payload["attachment"]
    described = (
        f"{KINDS.get(attachment['contentType'], 'Image')}, {attachment['width']} by {attachment['height']} pixels"
    )
    await journeys.keep_answers(
        session, sessions, JOURNEY, answers | {"photo_id": attachment["id"], "photo": described}
    )
    return see_other(JOURNEY.check)


def _without_photo(answers: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in answers.items() if name not in ("photo_id", "photo")}
