"""Apply for housing, the evidence step: between the form and check your answers, the resident may
upload documents that back their application (a letter from a doctor, a tenancy agreement, a notice
to leave), each a PDF or an image, one per form so it works without JavaScript, each removable.

The upload is the shared step's (`uploads`): the file goes to the API's `uploadAttachment` as
`EVIDENCE`, and its id waits in the draft (`evidence-<n>-id`, with `evidence-<n>` describing it) until
`submitHousingApplication` is sent with the ids as `attachmentIds`. The draft is what "Save and come
back later" keeps, so the evidence is saved with the answers.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal import journeys
from customer360.portal.housing import EVIDENCE, FORM, START, evidence_of, save_for_later, with_evidence
from customer360.portal.rendering import page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.uploads import described, file_element, refuse, take_refusal, upload
from customer360.portal.web import resident_page, see_other

# The most `attachmentIds` one submission takes (the API refuses more): so the most the step keeps.
MOST_FILES = 5
REFUSAL = "housing_evidence"  # the session's name for the step's own refusal, shown once
FIELD = "evidence"
CHOOSE_ONE = [{"field": ["file"], "message": "Select a file to upload"}]
TOO_MANY = [{"field": ["file"], "message": f"You can upload up to {MOST_FILES} files: remove one to add another"}]
evidence_element = file_element(FIELD)


@resident_page
async def evidence_page(_request: Request, session: Session, sessions: Sessions, _fields: dict[str, str]) -> Response:
    answers = journeys.ready_to_send(session, FORM.journey)
    if answers is None:
        return see_other(START)
    errors, field_errors = await take_refusal(session, sessions, REFUSAL, evidence_element)
    return page(
        "housing_evidence.html",
        session,
        title="Upload evidence (optional)",
        back_link=START,
        evidence=evidence_of(answers),
        room=len(evidence_of(answers)) < MOST_FILES,
        most_files=MOST_FILES,
        errors=errors,
        field_errors=field_errors,
    )


@resident_page
async def add_evidence(request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    answers = journeys.ready_to_send(session, FORM.journey)
    if answers is None:
        return see_other(START)
    kept = evidence_of(answers)
    if fields.get("remove", "").isdigit():
        gone = int(fields["remove"]) - 1
        await journeys.keep_answers(
            session, sessions, FORM.journey, with_evidence(answers, [item for n, item in enumerate(kept) if n != gone])
        )
        return see_other(EVIDENCE)
    if fields.get("action") == "save":
        return await save_for_later(request, session, sessions, answers)
    going_on = fields.get("action") == "continue"  # a file chosen with Continue is uploaded first
    if len(kept) >= MOST_FILES:
        if going_on:
            return see_other(FORM.journey.check)
        await refuse(session, sessions, REFUSAL, TOO_MANY)
        return see_other(EVIDENCE)
    uploaded = await upload(request, session, FIELD, "EVIDENCE")
    if uploaded.attachment is None:
        if going_on and not uploaded.chosen:
            return see_other(FORM.journey.check)
        await refuse(session, sessions, REFUSAL, uploaded.user_errors or CHOOSE_ONE)
        return see_other(EVIDENCE)
    added = [*kept, (str(uploaded.attachment["id"]), described(uploaded.attachment))]
    await journeys.keep_answers(session, sessions, FORM.journey, with_evidence(answers, added))
    return see_other(FORM.journey.check if going_on else EVIDENCE)


ROUTES = [
    (EVIDENCE, evidence_page, "GET"),
    (EVIDENCE, add_evidence, "POST"),
]
