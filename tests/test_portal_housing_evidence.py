"""Apply for housing's evidence step, as a browser without JavaScript sends it: one file per multipart
form with the session's CSRF token, each to the API's uploadAttachment as EVIDENCE, each removable, the
ids kept in the draft (and in the application saved for later) and sent once as attachmentIds."""

from __future__ import annotations

import re
from datetime import date

import httpx

from customer360.auth.tokens import DemoIssuer
from customer360.portal.housing_evidence import MOST_FILES
from customer360.settings import Settings
from tests.attachment_support import path_of, pdf, photo
from tests.portal_support import csrf_of, sign_in
from tests.support import graphql, running_app
from tests.test_evidence_attachments import housing_row
from tests.test_portal_more_journeys import HOUSING, answer, date_fields, sent_once

START = "/apply-for-housing"
EVIDENCE = "/apply-for-housing/evidence"
CHECK = "/apply-for-housing/check-answers"
DONE = "/apply-for-housing/confirmation"
COMPLETE = {
    **date_fields("dob", date(1990, 6, 15)),
    "tenure": "PRIVATE_RENTED",
    "reason": "Damp in every room",
    "income": "UNDER_15K",
    "action": "continue",
}


async def without_applications(client: httpx.AsyncClient, issuer: DemoIssuer, residents, first: int) -> str:
    """The email of a resident (from `first` on) with no housing application yet."""
    for resident in residents[first:]:
        token = issuer.resident_token(resident["email"])
        if not (await graphql(client, HOUSING, token)).json()["data"]["me"]["housingApplications"]:
            return resident["email"]
    raise AssertionError("every resident has applied")


async def uploaded(client: httpx.AsyncClient, token: str, name: str, data: bytes, action: str = "upload") -> str:
    sent = await client.post(EVIDENCE, data={"csrf_token": token, "action": action}, files={"evidence": (name, data)})
    return sent.headers["location"]


def files_listed(html: str) -> list[str]:
    return re.findall(r'<dd class="govuk-summary-list__value">\s*([^<]+?)\s*</dd>', html)


async def test_evidence_is_uploaded_refused_removed_saved_and_reaches_housing_once(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        email = await without_applications(client, issuer, residents, 30)
        await sign_in(client, email)
        assert (await client.get(EVIDENCE)).headers["location"] == START, "nothing answered yet"
        assert (await answer(client, START, COMPLETE)).headers["location"] == EVIDENCE
        step = await client.get(EVIDENCE)
        assert step.status_code == 200 and 'enctype="multipart/form-data"' in step.text
        token = csrf_of(step.text)

        # Without the session's CSRF token (a form on another site): refused, nothing uploaded.
        forged = await client.post(EVIDENCE, data={"csrf_token": "forged"}, files={"evidence": ("a.pdf", pdf())})
        assert forged.status_code == 403

        # Neither a PDF nor an image: the API's refusal, in the summary and beside the field, once.
        assert await uploaded(client, token, "notes.pdf", b"just some words, not a PDF") == EVIDENCE
        refused = (await client.get(EVIDENCE)).text
        assert "govuk-error-summary" in refused and 'href="#evidence"' in refused
        assert 'id="evidence-error"' in refused
        assert "The file must be a JPEG, PNG, WebP or HEIC photo, or a PDF" in refused
        assert "govuk-error-summary" not in (await client.get(EVIDENCE)).text, "shown once"

        # Upload with no file chosen: say so.
        await client.post(EVIDENCE, data={"csrf_token": token, "action": "upload"})
        assert "Select a file to upload" in (await client.get(EVIDENCE)).text

        # A PDF, then a photo (named .pdf: its content decides), listed in order; the photo removed.
        assert await uploaded(client, token, "letter.pdf", pdf()) == EVIDENCE
        assert await uploaded(client, token, "tenancy.pdf", photo("PNG", size=(40, 30))) == EVIDENCE
        assert files_listed((await client.get(EVIDENCE)).text) == ["PDF", "PNG, 40 by 30 pixels"]
        removed = await client.post(EVIDENCE, data={"csrf_token": token, "remove": "2"})
        assert removed.headers["location"] == EVIDENCE
        assert files_listed((await client.get(EVIDENCE)).text) == ["PDF"]

        # Saved for later with the answers, it comes back after signing out.
        saved = await client.post(EVIDENCE, data={"csrf_token": token, "action": "save"})
        assert saved.headers["location"] == "/apply-for-housing/saved"
        await client.post("/sign-out", data={"csrf_token": csrf_of((await client.get("/")).text)})
        await sign_in(client, email)
        assert (await answer(client, START, COMPLETE)).headers["location"] == EVIDENCE
        again = await client.get(EVIDENCE)
        assert files_listed(again.text) == ["PDF"], "the saved draft kept the evidence"

        # Continue (no file chosen) to check your answers, which lists it; sent twice at once and again.
        going_on = await client.post(EVIDENCE, data={"csrf_token": csrf_of(again.text), "action": "continue"})
        assert going_on.headers["location"] == CHECK
        check = (await client.get(CHECK)).text
        assert "Evidence 1" in check and "PDF" in check
        reference = await sent_once(client, CHECK, DONE)
        row = await housing_row(own_council, reference)
        assert row is not None and len(row.evidence_links) == 1
        served = await client.get(path_of(row.evidence_links[0]))
        assert served.content == pdf() and served.headers["content-disposition"].startswith("attachment;")


async def test_the_step_takes_as_many_files_as_one_application_may_carry(
    own_council: Settings, issuer: DemoIssuer, residents: list[dict[str, str]]
):
    async with running_app(own_council) as (_app, client):
        await sign_in(client, await without_applications(client, issuer, residents, 40))
        await answer(client, START, COMPLETE)
        token = csrf_of((await client.get(EVIDENCE)).text)
        for n in range(MOST_FILES):
            assert await uploaded(client, token, f"page-{n}.pdf", pdf()) == EVIDENCE
        full = (await client.get(EVIDENCE)).text
        assert len(files_listed(full)) == MOST_FILES and 'type="file"' not in full
        assert await uploaded(client, token, "one-more.pdf", pdf()) == EVIDENCE
        assert f"You can upload up to {MOST_FILES} files" in (await client.get(EVIDENCE)).text
        # A file chosen with Continue is uploaded on the way (after one is removed).
        await client.post(EVIDENCE, data={"csrf_token": token, "remove": "1"})
        assert await uploaded(client, token, "last.pdf", pdf(), action="continue") == CHECK
        assert "Evidence 5" in (await client.get(CHECK)).text
