"""Report a problem: choose a service, say where it is and answer the service's own questions, check
your answers, confirmation with the reference.

The questions are drawn from the service's definition as the API gives it (`services`), so a service
staff define appears here as soon as it is defined. Street problems may be reported without signing
in (with an optional email for updates). Where: a UPRN from a list of addresses near the resident's
home (the council's gazetteer, at their postcode), or a latitude and longitude; no map, no script.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from customer360.domain.moving import ADDRESS_SEARCH_LENGTH
from customer360.domain.services import ATTACHMENT
from customer360.portal import journeys, payment
from customer360.portal.api import ApiRefused, ApiUnavailable, call, call_allowing_gaps
from customer360.portal.csrf import form_lists
from customer360.portal.rendering import page
from customer360.portal.sessions import Session, Sessions
from customer360.portal.web import not_found, resident_page, see_other, visitor_page

START = "/report-a-problem"
PAID = START + "/paid"
TITLE = "Report a problem"
JOURNEY = journeys.Journey(
    key="report",
    check="/report-a-problem/check-answers",
    done="/report-a-problem/confirmation",
    operation="PortalReportProblem",
    payload="reportIssue",
)
PLAIN = ("description", "uprn", "latitude", "longitude", "contact_email")
PHOTO_STEP = "/report-a-problem/photo"  # a signed-in resident's next page (`report_photo.py`)
KEPT_BY_PHOTO_STEP = ("photo_id", "photo")
# API field (last part of an error's path) -> the question page's element id.
ELEMENTS = {"uprn": "uprn", "latitude": "latitude", "longitude": "longitude", "description": "description"}
ELEMENTS |= {"contactEmail": "contact-email"}


def questions_for(code: str) -> str:
    return f"{START}/{code}"


async def _services(request: Request, session: Session) -> tuple[list[dict[str, Any]], bool]:
    """The services on offer now, and whether that is all of them (with a back office down that has
    never been listed, the others: the page still works)."""
    data, complete = await call_allowing_gaps(request, "PortalServices", token=session.token)
    return [service for service in data["services"] if offered_here(service)], complete


def offered_here(service: dict[str, Any]) -> bool:
    """Whether the portal offers this service: any that is not retired (one with a fee is paid for on
    the provider's page, after check your answers), except one that asks for evidence (an `attachment`
    question): the portal's only upload step is a photo of the problem."""
    return not service["retired"] and not any(
        attribute["datatype"] == ATTACHMENT for attribute in service["attributes"]
    )


async def _service(request: Request, session: Session, code: str) -> dict[str, Any] | None:
    """The service `code`, or None if there is no such service; a service problem while its back
    office cannot say."""
    services, complete = await _services(request, session)
    found = next((s for s in services if s["code"] == code), None)
    if found is None and not complete:
        raise ApiUnavailable("PortalServices")
    return found


@visitor_page
async def choose(request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    groups: dict[str, list[dict[str, Any]]] = {}
    services, complete = await _services(request, session)
    for service in services:
        groups.setdefault(service["group"], []).append(service)
    return page("report_choose.html", session, title=TITLE, back_link="/", groups=groups, complete=complete)


@visitor_page
async def question(request: Request, session: Session, sessions: Sessions, _fields: dict[str, str]) -> Response:
    service = await _service(request, session, request.path_params["code"])
    if service is None:
        return not_found(session)
    search = request.query_params.get("where", "").strip()[:100]
    addresses = await (_found_addresses(request, session, search) if search else _nearby_addresses(request, session))
    errors, field_errors = await journeys.take_refusal(session, sessions, JOURNEY, _element_for(service, addresses))
    draft = session.drafts.get(JOURNEY.key, {})
    answers = draft if draft.get("service") == service["code"] else {}
    return page(
        "report_question.html",
        session,
        title=service["name"],
        back_link=START,
        service=service,
        questions=_questions(service, answers),
        addresses=addresses,
        search=search,
        answers=answers,
        errors=errors,
        field_errors=field_errors,
    )


@visitor_page
async def answer(request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    service = await _service(request, session, request.path_params["code"])
    if service is None:
        return not_found(session)
    chosen = await form_lists(request)
    answers = {name: fields.get(name, "").strip() for name in PLAIN} | {"service": service["code"]}
    earlier = session.drafts.get(JOURNEY.key) or {}
    if earlier.get("service") == service["code"]:  # changing an answer keeps the photo already added
        answers |= {name: earlier[name] for name in KEPT_BY_PHOTO_STEP if name in earlier}
    for index, attribute in enumerate(service["attributes"]):
        # A group of checkboxes sends one value per box ticked; the API takes them joined by commas.
        answers["attribute:" + attribute["code"]] = ",".join(v for v in chosen.get(f"attribute-{index}", []) if v)
    problems = [
        {"field": ["input", "location", name], "message": f"Enter the {name} as a number, like {example}"}
        for name, example in (("latitude", "52.6339"), ("longitude", "-1.6950"))
        if answers[name] and _number(answers[name]) is None
    ]
    if problems:
        await journeys.refuse_answers(session, sessions, JOURNEY, answers, problems)
        return see_other(questions_for(service["code"]))
    await journeys.keep_answers(session, sessions, JOURNEY, answers)
    return see_other(PHOTO_STEP if session.signed_in else JOURNEY.check)


@visitor_page
async def check_answers(request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    answers = journeys.ready_to_send(session, JOURNEY)
    service = await _service(request, session, answers["service"]) if answers else None
    if answers is None or service is None:
        return see_other(START)
    address = _address_of(request, answers["uprn"]) if answers["uprn"] else None
    nearby = await _reported_near(request, session, answers)
    return page(
        "report_check.html",
        session,
        title="Check your answers",
        back_link=questions_for(service["code"]),
        service=service,
        questions=_questions(service, answers),
        answers=answers,
        address=address,
        nearby=nearby,
        form_token=session.form_tokens[JOURNEY.key],
    )


@visitor_page
async def send(request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    draft = session.drafts.get(JOURNEY.key)
    questions = questions_for(draft["service"]) if draft else START
    signed_in = session.signed_in
    # A service with a fee: the API starts its payment, and the provider's page sends the resident back here.
    public_url: str = request.app.state.runtime.settings.public_url.rstrip("/")
    return_url = public_url + PAID if signed_in else None
    return await journeys.send(
        request,
        session,
        sessions,
        fields,
        JOURNEY,
        questions,
        lambda answers: _variables(answers, signed_in=signed_in, return_url=return_url),
        lambda made: made["request"]["reference"],
        lambda made: (made.get("payment") or {}).get("reference"),
    )


@visitor_page
async def confirmation(request: Request, session: Session, sessions: Sessions, fields: dict[str, str]) -> Response:
    reference = session.references.get(JOURNEY.key)
    if reference is None:
        return see_other(START)
    fee = session.references.get(JOURNEY.key + journeys.ALSO)
    if fee and session.signed_in:  # on to the provider's page, until the fee is paid or refused
        return await payment.to_provider(request, session, fee, request_reference=reference)
    return page("report_confirmation.html", session, title="Report sent", reference=reference)


@resident_page
async def paid(request: Request, session: Session, _sessions: Sessions, _fields: dict[str, str]) -> Response:
    """Back from the provider's page: the fee's payment as the provider has it, and the request's reference."""
    reference, fee = session.references.get(JOURNEY.key), session.references.get(JOURNEY.key + journeys.ALSO)
    if reference is None or fee is None:
        return see_other(START)
    return await payment.outcome_page(request, session, fee, request_reference=reference)


def _variables(answers: dict[str, str], *, signed_in: bool, return_url: str | None) -> dict[str, Any]:
    location: dict[str, Any] | None = None
    if answers["uprn"]:
        location = {"uprn": answers["uprn"]}
    elif answers["latitude"] or answers["longitude"]:
        location = {"latitude": _number(answers["latitude"]), "longitude": _number(answers["longitude"])}
    return {
        "input": {
            "serviceCode": answers["service"],
            "description": answers["description"],
            "location": location,
            # Every question in the definition's order as the draft keeps it, unanswered ones blank: an error's
            # index is the question's. Sent from the draft alone, so a list that cannot be read now (its back
            # office down) does not stop the report: the API checks it against the list as last seen.
            "attributes": [
                {"code": key.removeprefix("attribute:"), "value": value}
                for key, value in answers.items()
                if key.startswith("attribute:")
            ],
            "contactEmail": None if signed_in else (answers["contact_email"] or None),
            "attachmentIds": [answers["photo_id"]] if answers.get("photo_id") else None,
            "returnUrl": return_url,
        }
    }


def _questions(service: dict[str, Any], answers: dict[str, str]) -> list[dict[str, Any]]:
    """The service's questions, each with its element id and the draft's answer (a list's as its items)."""
    questions = []
    for index, attribute in enumerate(service["attributes"]):
        given = answers.get("attribute:" + attribute["code"], "")
        chosen = [item for item in given.split(",") if item] if attribute["datatype"] == "multivaluelist" else [given]
        questions.append(attribute | {"id": f"attribute-{index}", "answer": given, "chosen": chosen})
    return questions


def _element_for(service: dict[str, Any], addresses: list[dict[str, str]]) -> journeys.ElementFor:
    def element(path: Sequence[str]) -> str | None:
        if list(path[:2]) == ["input", "attributes"] and len(path) > 2 and path[2].isdigit():
            index = int(path[2])
            return f"attribute-{index}" if index < len(service["attributes"]) else None
        if list(path) == ["input", "location"]:  # no place given, or one outside the borough
            return "uprn" if addresses else "latitude"
        return ELEMENTS.get(path[-1]) if path[0] == "input" and path[-1] != "attributes" else None

    return element


async def _nearby_addresses(request: Request, session: Session) -> list[dict[str, str]]:
    """Addresses at the signed-in resident's postcode, from the council's gazetteer (none without one)."""
    if not session.signed_in:
        return []
    me = (await call(request, "PortalHomePostcode", token=session.token))["me"]
    postcode = ((me or {}).get("address") or {}).get("postcode")
    return await _found_addresses(request, session, postcode) if postcode else []


async def _found_addresses(request: Request, session: Session, search: str) -> list[dict[str, str]]:
    """Addresses in the borough at a postcode or in a street named like `search` (the API's gazetteer);
    none for a search the API would refuse (one letter, a pasted page)."""
    if len(" ".join(search.split())) not in ADDRESS_SEARCH_LENGTH:
        return []
    found = (await call(request, "PortalFindAddresses", {"search": search}, token=session.token))["addresses"]
    return [{"value": a["uprn"], "text": _line(SimpleNamespace(**a))} for a in found if a["uprn"]]


async def _reported_near(request: Request, session: Session, answers: dict[str, str]) -> list[dict[str, Any]] | None:
    """Problems already reported within 200 m of the place given, so the resident need not report one
    twice (as FixMyStreet shows them); None when the place is not one the API can search near, or the
    street-scene system cannot say now (the report can still be sent)."""
    location = _variables(answers, signed_in=session.signed_in, return_url=None)["input"]["location"]
    if not location:
        return None
    try:
        data, complete = await call_allowing_gaps(request, "PortalNearbyRequests", {"location": location}, token=None)
    except (ApiRefused, ApiUnavailable):
        return None
    return data["nearbyRequests"] if complete else None


def _address_of(request: Request, uprn: str) -> str:
    found = request.app.state.runtime.services.addresses.by_uprn(uprn)
    return _line(found.address) if found else uprn


def _line(address: Any) -> str:
    return ", ".join(part for part in (address.line1, address.line2, address.postcode) if part)


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None  # not NaN, not infinite
