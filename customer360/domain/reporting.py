"""Reporting a street problem: the rules a report must pass before it is accepted, and its Open311 shape.

Service definitions follow Open311 GeoReport v2: each attribute has a datatype (`string`, `text`,
`number`, `datetime`, `singlevaluelist`, `multivaluelist`) and may be required. Every rule answers
with `Problem`s whose field path is the GraphQL input's (`("input", "attributes", "2", "value")`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from customer360.domain.geography import distance_metres, inside_borough
from customer360.domain.people import normalise_email
from customer360.domain.problems import Problem, required_text
from customer360.domain.services import ATTACHMENT, MAX_ANSWER, ServiceAttributeRecord, ServiceDefinitionRecord

# Crews read reports on a handheld at the roadside: about a page says what and where, and anything
# longer is a letter, better made as a complaint. Well inside the demo back office's 4,000.
MAX_DESCRIPTION = 2000
# The same person reporting the same kind of problem within 50 m (a stretch of street a crew
# clears in one visit; also about the accuracy of a phone's position in town) and 24 hours
# (the crews' shortest cleansing round) is almost always reporting the same thing again.
DUPLICATE_RADIUS_METRES = 50
DUPLICATE_WINDOW = timedelta(hours=24)

_DECIMAL_NUMBER = re.compile(r"[+-]?(\d+(\.\d+)?|\.\d+)")  # no exponents, NaN or infinity
_LIST_DATATYPES = frozenset({"singlevaluelist", "multivaluelist"})


class ReportCode(StrEnum):
    UNKNOWN_SERVICE = "UNKNOWN_SERVICE"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_VALUE = "INVALID_VALUE"  # not one of the attribute's listed values
    INVALID_NUMBER = "INVALID_NUMBER"
    OUT_OF_RANGE = "OUT_OF_RANGE"  # a number outside the range the service declares
    INVALID_DATETIME = "INVALID_DATETIME"
    UNKNOWN_ATTRIBUTE = "UNKNOWN_ATTRIBUTE"
    DUPLICATE_ATTRIBUTE = "DUPLICATE_ATTRIBUTE"
    LOCATION_REQUIRED = "LOCATION_REQUIRED"
    OUTSIDE_BOROUGH = "OUTSIDE_BOROUGH"
    UNKNOWN_UPRN = "UNKNOWN_UPRN"
    INVALID_LOCATION = "INVALID_LOCATION"  # latitude or longitude out of range, or only one of them given
    INVALID_EMAIL = "INVALID_EMAIL"
    DUPLICATE_NEARBY = "DUPLICATE_NEARBY"


@dataclass(frozen=True, slots=True)
class AttributeAnswer:
    """One attribute's answer as Open311 posts it: a multivaluelist's choices go one by one."""

    code: str
    values: tuple[str, ...]
    is_list: bool = False  # posted as `attribute[CODE][]` (multivaluelist) rather than `attribute[CODE]`


@dataclass(frozen=True, slots=True)
class StreetReportSubmission:
    """A report for the street-scene back office; `external_reference` makes a retried post a no-op."""

    external_reference: str
    service_code: str
    description: str
    latitude: float
    longitude: float
    address: str | None = None
    uprn: str | None = None
    attributes: tuple[AttributeAnswer, ...] = field(default=())
    account_id: str | None = None  # the reporter's id in the back office, when the resident is known there
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    # When the gateway kept the report: where a back office without `external_reference` may hold an
    # earlier filing of it (a post whose answer was lost), to be found instead of filed twice.
    kept_at: datetime | None = None
    media_url: str | None = None  # a signed link to the report's cleaned photo, for the contractor (open311 audience)


@dataclass(frozen=True, slots=True)
class StreetReportReceipt:
    """What the street-scene back office answers: its id for the report, and its id for the reporter."""

    service_request_id: str
    account_id: str | None


@dataclass(frozen=True, slots=True)
class ReportSketch:
    """What the duplicate rule needs to know of a report."""

    reference: str
    service_code: str
    latitude: float
    longitude: float
    submitted_at: datetime


def find_service(
    code: str, definitions: Sequence[ServiceDefinitionRecord]
) -> tuple[ServiceDefinitionRecord | None, list[Problem]]:
    for definition in definitions:
        if definition.code == code:
            return definition, []
    return None, [Problem(("input", "serviceCode"), ReportCode.UNKNOWN_SERVICE, f"There is no service {code!r}")]


def validate_description(description: str | None) -> list[Problem]:
    return required_text(description, ("input", "description"), "a description of the problem", MAX_DESCRIPTION)


def validate_contact_email(email: str | None) -> list[Problem]:
    """An anonymous reporter may leave an email for updates; if given, it must be an address."""
    if email is None or not email.strip() or normalise_email(email) is not None:
        return []
    return [
        Problem(("input", "contactEmail"), ReportCode.INVALID_EMAIL, "Enter an email address like name@example.com")
    ]


def validate_attributes(definition: ServiceDefinitionRecord, values: Sequence[tuple[str, str]]) -> list[Problem]:
    """Each `(code, value)` in input order: known, given once, of its datatype; every required one answered."""
    problems: list[Problem] = []
    answered: set[str] = set()
    for index, (code, value) in enumerate(values):
        path = ("input", "attributes", str(index))
        attribute = asked(definition, code)
        if attribute is None:
            problems.append(Problem((*path, "code"), ReportCode.UNKNOWN_ATTRIBUTE, f"{code!r} is not asked here"))
        elif attribute.code in answered:
            problems.append(Problem((*path, "code"), ReportCode.DUPLICATE_ATTRIBUTE, f"{code!r} is answered twice"))
        else:
            answered.add(attribute.code)
            problems.extend(_answer_problems(attribute, value, (*path, "value")))
    problems.extend(
        Problem(("input", "attributes"), ReportCode.REQUIRED, f"Answer {attribute.code!r}: {attribute.description}")
        for attribute in definition.attributes
        if attribute.required and attribute.code not in answered
    )
    return problems


def attached_in_answers(definition: ServiceDefinitionRecord, values: Sequence[tuple[str, str]]) -> list[str]:
    """The attachment ids given as answers to the definition's `attachment` questions (evidence)."""
    found = []
    for code, value in values:
        attribute = asked(definition, code)
        if attribute is not None and attribute.datatype == ATTACHMENT and value.strip():
            found.append(value.strip())
    return found


def asked(definition: ServiceDefinitionRecord, code: str) -> ServiceAttributeRecord | None:
    """The attribute a resident's answer is for: by its code exactly as defined, or (codes are unique
    whatever their case) by the same code in another case."""
    wanted = code.strip()
    exact = next((a for a in definition.attributes if a.code == wanted), None)
    return exact or next((a for a in definition.attributes if a.code.casefold() == wanted.casefold()), None)


def attribute_answers(
    definition: ServiceDefinitionRecord, values: Sequence[tuple[str, str]]
) -> tuple[AttributeAnswer, ...]:
    """Validated `(code, value)` pairs as Open311 wants them: under the code as defined, trimmed,
    blanks left out, lists split."""
    answers = []
    for code, value in values:
        attribute = asked(definition, code)
        if attribute is None:
            continue
        is_list = attribute.datatype == "multivaluelist"
        parts = _list_items(value) if is_list else (value.strip(),)
        if any(parts):
            answers.append(AttributeAnswer(attribute.code, parts, is_list))
    return tuple(answers)


def resolve_location(
    latitude: float | None,
    longitude: float | None,
    uprn: str | None,
    lookup_uprn: Callable[[str], tuple[float, float] | None],
) -> tuple[tuple[float, float] | None, list[Problem]]:
    """Where a street problem is: a UPRN's position when one is given (it wins over coordinates), else
    latitude and longitude together; either way inside the borough, whose streets the council cleans."""
    if uprn is not None and uprn.strip():
        position = lookup_uprn(uprn.strip())
        if position is None:
            return None, [
                Problem(("input", "location", "uprn"), ReportCode.UNKNOWN_UPRN, "We have no address with that UPRN")
            ]
        return _in_borough(position, ("input", "location", "uprn"))
    if latitude is None and longitude is None:
        return None, [
            Problem(("input", "location"), ReportCode.LOCATION_REQUIRED, "Say where the problem is: a point or a UPRN")
        ]
    problems = [
        *_coordinate_problems(latitude, "latitude", 90),
        *_coordinate_problems(longitude, "longitude", 180),
    ]
    if problems or latitude is None or longitude is None:
        return None, problems
    return _in_borough((latitude, longitude), ("input", "location"))


def find_duplicate(new: ReportSketch, earlier: Sequence[ReportSketch], now: datetime) -> ReportSketch | None:
    """The most recent of the same person's `earlier` reports that `new` repeats, if any.

    A repeat has the same service code, lies at most `DUPLICATE_RADIUS_METRES` away and was submitted at
    most `DUPLICATE_WINDOW` before `now`: both edges are inclusive, so exactly 50 m or exactly 24 hours
    is still a repeat. The caller passes only the reporter's own reports: the rule is per person.
    """
    repeats = [report for report in earlier if _repeats(new, report, now)]
    return max(repeats, key=lambda report: report.submitted_at, default=None)


def duplicate_problem(existing: ReportSketch) -> Problem:
    return Problem(
        ("input", "location"),
        ReportCode.DUPLICATE_NEARBY,
        f"You reported this here within the last day: reference {existing.reference}",
    )


def _repeats(new: ReportSketch, report: ReportSketch, now: datetime) -> bool:
    if report.reference == new.reference or report.service_code != new.service_code:
        return False
    if now - report.submitted_at > DUPLICATE_WINDOW:
        return False
    apart = distance_metres(new.latitude, new.longitude, report.latitude, report.longitude)
    # To the millimetre, so float noise (about 1e-10 m) cannot push a report made exactly 50 m away outside.
    return round(apart, 3) <= DUPLICATE_RADIUS_METRES


def _answer_problems(attribute: ServiceAttributeRecord, value: str, path: tuple[str, ...]) -> list[Problem]:
    answer = value.strip()
    if not answer:
        if attribute.required:
            return [Problem(path, ReportCode.REQUIRED, f"Answer {attribute.code!r}: {attribute.description}")]
        return []
    longest = min(attribute.max_length or MAX_ANSWER, MAX_ANSWER)
    if len(answer) > longest:
        return [Problem(path, ReportCode.TOO_LONG, f"Answers must be {longest} characters or fewer")]
    if attribute.datatype in _LIST_DATATYPES:
        return _list_problems(attribute, answer, path)
    if attribute.datatype == "number":
        return _number_problems(attribute, answer, path)
    if attribute.datatype == "datetime" and not _is_iso_datetime(answer):
        return [Problem(path, ReportCode.INVALID_DATETIME, "Enter a date and time, like 2025-03-03T09:30")]
    return []


def _number_problems(attribute: ServiceAttributeRecord, answer: str, path: tuple[str, ...]) -> list[Problem]:
    """A decimal number, within the range the service declares (both ends included)."""
    if not _DECIMAL_NUMBER.fullmatch(answer):
        return [Problem(path, ReportCode.INVALID_NUMBER, "Enter a number, like 3 or 2.5")]
    number = float(answer)
    low, high = attribute.min, attribute.max
    if (low is not None and number < low) or (high is not None and number > high):
        return [Problem(path, ReportCode.OUT_OF_RANGE, f"Enter a number {_range_text(low, high)}")]
    return []


def _range_text(low: float | None, high: float | None) -> str:
    def shown(limit: float) -> str:
        return f"{limit:g}"

    if low is not None and high is not None:
        return f"from {shown(low)} to {shown(high)}"
    if low is not None:
        return f"of {shown(low)} or more"
    return f"of {shown(high)} or less" if high is not None else ""


def _list_problems(attribute: ServiceAttributeRecord, answer: str, path: tuple[str, ...]) -> list[Problem]:
    allowed = attribute.values or ()
    chosen = _list_items(answer) if attribute.datatype == "multivaluelist" else (answer,)
    if all(item in allowed for item in chosen):
        return []
    many = "one or more of" if attribute.datatype == "multivaluelist" else "one of"
    return [Problem(path, ReportCode.INVALID_VALUE, f"Choose {many}: {', '.join(allowed)}")]


def _list_items(answer: str) -> tuple[str, ...]:
    # A multivaluelist arrives as one comma-separated string in AttributeValueInput.value.
    return tuple(item.strip() for item in answer.split(","))


def _is_iso_datetime(answer: str) -> bool:
    try:
        datetime.fromisoformat(answer)
    except ValueError:
        return False
    return True


def _coordinate_problems(value: float | None, name: str, limit: int) -> list[Problem]:
    path = ("input", "location", name)
    if value is None:
        return [Problem(path, ReportCode.INVALID_LOCATION, "Give latitude and longitude together")]
    if not -limit <= value <= limit:  # also refuses NaN, which compares false with everything
        return [Problem(path, ReportCode.INVALID_LOCATION, f"{name.capitalize()} must be between -{limit} and {limit}")]
    return []


def _in_borough(
    position: tuple[float, float], path: tuple[str, ...]
) -> tuple[tuple[float, float] | None, list[Problem]]:
    if inside_borough(*position):
        return position, []
    return None, [Problem(path, ReportCode.OUTSIDE_BOROUGH, "That place is outside Tamworth borough")]
