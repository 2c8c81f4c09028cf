"""One form journey as data: a question page, check your answers, and a confirmation with the reference.

Most journeys are the same four pages on the `journeys` machinery (one-time form token as the
Idempotency-Key, post/redirect/get refusals): a `FormJourney` names its templates, its fields, how the
API's error paths map to its inputs, and what it sends; `routes()` gives its pages. A journey that
needs more (a first question, a payment page) adds its own pages beside these.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from customer360.portal import journeys
from customer360.portal.rendering import page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import resident_page, see_other, visitor_page

# What a page adds to its template's context, read from the API (the resident's accounts, complaints).
Extra = Callable[[Request, Session], Awaitable[dict[str, Any]]]
# Answers the portal cannot send as typed (a date that does not exist): problems shaped as userErrors.
Check = Callable[[dict[str, str]], list[dict[str, Any]]]
# What the draft keeps beside the resident's answers (a payment's own key, where to come back to).
Prepare = Callable[[Request, dict[str, str]], dict[str, str]]


async def _nothing(_request: Request, _session: Session) -> dict[str, Any]:
    return {}


def _as_given(_request: Request, answers: dict[str, str]) -> dict[str, str]:
    return answers


def _no_problems(_answers: dict[str, str]) -> list[dict[str, Any]]:
    return []


@dataclass(frozen=True)
class FormJourney:
    journey: journeys.Journey
    start: str  # the question page
    title: str
    templates: tuple[str, str, str]  # question, check your answers, confirmation
    fields: Sequence[str]  # the question page's form fields, kept as the draft
    elements: Mapping[str, str]  # an API input field (the last part of an error's path) -> its element id
    variables: Callable[[dict[str, str]], dict[str, Any]]
    outcome: Callable[[dict[str, Any]], str]  # the mutation's payload -> the reference shown
    done_title: str
    back: str = "/"
    extra: Extra = _nothing
    check: Check = _no_problems
    anyone: bool = False  # no sign-in needed
    prepare: Prepare = _as_given
    # An error path the `elements` table cannot place (a list's n-th item): its element id, or None.
    locate: Callable[[Sequence[str]], str | None] | None = None

    def element(self, path: Sequence[str]) -> str | None:
        placed = self.locate(path) if self.locate else None
        return placed or (self.elements.get(path[-1]) if path else None)

    def routes(self) -> list[tuple[str, Callable[[Request], Awaitable[Response]], str]]:
        wrap = visitor_page if self.anyone else resident_page
        return [
            (self.start, wrap(self.question), "GET"),
            (self.start, wrap(self.answer), "POST"),
            (self.journey.check, wrap(self.check_answers), "GET"),
            (self.journey.check, wrap(self.send), "POST"),
            (self.journey.done, wrap(self.confirmation), "GET"),
        ]

    async def question(self, request: Request, session: Session, sessions: Sessions, _f: dict[str, str]) -> Response:
        extra = await self.extra(request, session)
        errors, field_errors = await journeys.take_refusal(session, sessions, self.journey, self.element)
        return page(
            self.templates[0],
            session,
            title=self.title,
            back_link=self.back,
            answers=session.drafts.get(self.journey.key, {}),
            errors=errors,
            field_errors=field_errors,
            **extra,
        )

    async def answer(self, request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
        kept = session.drafts.get(self.journey.key, {})
        answers = self.prepare(request, kept | {name: fields.get(name, "").strip() for name in self.fields})
        problems = self.check(answers)
        if problems:
            await journeys.refuse_answers(session, sessions, self.journey, answers, problems)
            return see_other(self.start)
        await journeys.keep_answers(session, sessions, self.journey, answers)
        return see_other(self.journey.check)

    async def check_answers(self, request: Request, session: Session, _s: Sessions, _f: dict[str, str]) -> Response:
        # Drawn from the draft each time: the back button from the next page finds it as it was sent.
        answers = journeys.ready_to_send(session, self.journey)
        if answers is None:
            return see_other(self.start)
        return page(
            self.templates[1],
            session,
            title="Check your answers",
            back_link=self.start,
            answers=answers,
            form_token=session.form_tokens[self.journey.key],
            **await self.extra(request, session),
        )

    async def send(self, request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
        return await journeys.send(
            request, session, sessions, fields, self.journey, self.start, self.variables, self.outcome
        )

    async def confirmation(self, _request: Request, session: Session, _s: Sessions, _f: dict[str, str]) -> Response:
        reference = session.references.get(self.journey.key)
        if reference is None:
            return see_other(self.start)
        return page(self.templates[2], session, title=self.done_title, reference=reference)
