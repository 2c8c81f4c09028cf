"""What every portal form journey shares: question page -> check your answers -> confirmation.

The answers wait in the session until the resident sends them. The check-answers form carries a
one-time token kept with the draft: it is taken atomically when the form is sent, and becomes the
request's `Idempotency-Key`, so a double click or a resent page makes one request, and the second
submission is shown the first one's confirmation. A refusal (the API's userErrors, or an answer the
portal cannot even send, such as a date that does not exist) is kept in the session and shown once
on the question page, in the error summary and beside each field (post/redirect/get).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal.api import ApiUnavailable, call, time_limit
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import see_other

# A refusal that says only "a back office cannot answer now": nothing was done, and the same form sent
# again later can succeed, so it is a service problem to try again, not the resident's answers to fix.
TRY_AGAIN_CODES = {"SOURCE_UNAVAILABLE"}
ALSO = ":also"  # the session's key (after the journey's) for what else a sending made
DUPLICATE_WAIT_SECONDS = 10.0  # how long a second submission waits for the first one's outcome (at most)
# An error's field path (as the API gives it) -> the id of the input it is about, or None (summary only).
ElementFor = Callable[[Sequence[str]], str | None]


@dataclass(frozen=True)
class Journey:
    key: str  # the session's name for the journey's draft, form token, refusal and outcome
    check: str  # the check-answers page, which sends
    done: str  # the confirmation page
    operation: str  # the mutation document it sends
    payload: str  # the mutation's field in `data`


def refusal(
    user_errors: Sequence[Mapping[str, Any]], element_for: ElementFor
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """userErrors as the error summary's items (each linked to its field) and each field's inline
    message, keyed by the field's element id (the first message for a field wins)."""
    summary: list[dict[str, str]] = []
    inline: dict[str, str] = {}
    for error in user_errors:
        path = error.get("field") or []
        message = str(error["message"])
        element = element_for([str(part) for part in path]) if isinstance(path, list) and path else None
        if element is None:
            summary.append({"text": message})
            continue
        inline.setdefault(element, message)
        summary.append({"text": message, "href": f"#{element}"})
    return summary, inline


async def take_refusal(
    session: Session, sessions: Sessions, journey: Journey, element_for: ElementFor
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The last sending's refusal, shown once: it is gone from the session after this page."""
    refused = session.refusals.pop(journey.key, None)
    if refused is not None:
        await sessions.save(session)
    return refusal(refused or [], element_for)


async def keep_answers(session: Session, sessions: Sessions, journey: Journey, answers: dict[str, str]) -> None:
    """The draft, with a one-time token for sending it (the same token on every render of its check page)."""
    session.drafts[journey.key] = answers
    if journey.key not in session.form_tokens:
        await sessions.issue_form_token(session, journey.key)
    await sessions.save(session)


async def refuse_answers(
    session: Session, sessions: Sessions, journey: Journey, answers: dict[str, str], problems: list[dict[str, Any]]
) -> None:
    """Answers the portal cannot send as they are (not a number, not a real date): kept as typed, and the
    problems shown on the question page as the API's own would be. The draft loses its form token:
    answers that cannot be sent are never on a check-answers page (a back button finds the questions)."""
    session.drafts[journey.key] = answers
    session.form_tokens.pop(journey.key, None)
    session.refusals[journey.key] = problems
    await sessions.save(session)


def ready_to_send(session: Session, journey: Journey) -> dict[str, str] | None:
    """The draft, if it has answers and a token to send them with."""
    answers = session.drafts.get(journey.key)
    return answers if answers is not None and journey.key in session.form_tokens else None


async def send(
    request: Request,
    session: Session,
    sessions: Sessions,
    fields: dict[str, str],
    journey: Journey,
    questions: str,
    variables: Callable[[dict[str, str]], dict[str, Any]],
    outcome_of: Callable[[dict[str, Any]], str],
    also_made: Callable[[dict[str, Any]], str | None] = lambda _payload: None,
) -> Response:
    """Sends the draft once, with the form's one-time token as its idempotency key; to the confirmation,
    or back to `questions` (the question page) showing the API's refusal. `outcome_of` names what was
    made (a reference) from the mutation's payload; `also_made` anything else it made that the
    confirmation needs (a fee's payment), kept under the journey's key + ":also"."""
    token = fields.get("form_token", "")
    answers = session.drafts.get(journey.key)
    if not token or answers is None or not await sessions.take_form_token(session, token):
        return await _after_duplicate(request, session, sessions, token, journey, questions)
    if session.form_tokens.get(journey.key) != token:
        # A check page drawn for answers since changed (and refused): its token is spent, nothing is sent,
        # and the check page now shows the answers as they are (or the questions, if they cannot be sent).
        return see_other(journey.check)
    try:
        payload = (
            await call(
                request,
                journey.operation,
                variables(answers),
                token=session.token,
                idempotency_key=hashlib.sha256(f"portal:{journey.key}:{token}".encode()).hexdigest(),
            )
        )[journey.payload]
        if payload["userErrors"] and {error["code"] for error in payload["userErrors"]} <= TRY_AGAIN_CODES:
            raise ApiUnavailable(journey.operation)
    except BaseException:
        # Whatever stopped it (the API unavailable or slow, the page's own time limit, a bug), the outcome
        # is unknown: the token goes back, and a retry sends the same Idempotency-Key (derived from it),
        # which the API answers as the first attempt, so giving it back never makes a second request.
        await sessions.restore_form_token(session, token)
        raise
    # The session as it is now, not as this page found it: another tab may have saved a draft of its own
    # while the API answered (seconds), and saving the copy loaded before would undo it.
    session = await sessions.reload(session) or session
    if payload["userErrors"]:
        session.refusals[journey.key] = payload["userErrors"]
        await sessions.issue_form_token(session, journey.key)  # the taken one is spent; the corrected answers need one
        await sessions.save(session)
        await sessions.keep_result(token, "")
        return see_other(questions)
    outcome = outcome_of(payload)
    session.references[journey.key] = outcome
    also = also_made(payload)
    if also:
        session.references[journey.key + ALSO] = also
    else:
        session.references.pop(journey.key + ALSO, None)
    session.drafts.pop(journey.key, None)
    session.form_tokens.pop(journey.key, None)
    await sessions.save(session)
    await sessions.keep_result(token, outcome)  # after the session: a duplicate finds both in place
    return see_other(journey.done)


async def _after_duplicate(
    request: Request, session: Session, sessions: Sessions, token: str, journey: Journey, questions: str
) -> Response:
    """A form sent again (double click, back button, retry): once the first sending has an outcome, its
    confirmation, or the questions if the API refused the answers. A first sending that never came to an
    outcome (its process stopped mid-way) leaves the draft's token spent: it is given back, once, so the
    check page sends again (with the same Idempotency-Key) rather than waiting on nothing for ever."""
    loop = asyncio.get_running_loop()
    # No longer than one API call may take: the first sending's outcome is known by then, and this page
    # ends within its own time limit.
    deadline = loop.time() + min(DUPLICATE_WAIT_SECONDS, time_limit(request) or DUPLICATE_WAIT_SECONDS)
    while token:
        outcome = await sessions.result(token)
        if outcome is not None:
            return see_other(journey.done if outcome else questions)
        if loop.time() >= deadline:
            current = await sessions.reload(session)  # as the first sending may have left it
            if current is not None and current.form_tokens.get(journey.key) == token:
                await sessions.restore_form_token(current, token)
            break
        await asyncio.sleep(0.1)
    return see_other(journey.check)
