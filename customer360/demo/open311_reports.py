"""Checking a new report posted to the demo Open311 server: every invalid field is named at once.

GeoReport v2 answers a refused `POST requests` with a list of errors; a contractor's server that
names only the first problem makes a client fix and resend one field at a time, so this one
collects them all: the service, the location, the description, the email and each attribute.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from customer360.domain.people import normalise_email

MAX_DESCRIPTION = 4000
MAX_EXTERNAL_REFERENCE = 40

_ATTRIBUTE_FIELD = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
# How a single answer to a typed attribute is checked; the other datatypes take any text.
_ATTRIBUTE_PARSERS: dict[str, Callable[[str], object]] = {"number": float, "datetime": datetime.fromisoformat}


@dataclass
class Checked:
    """What a report's fields came to, and every problem found on the way (empty: it can be filed)."""

    lat: float | None = None
    long: float | None = None
    email: str | None = None
    answers: dict[str, str | list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def split_form(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Plain fields (blank ones dropped) and `attribute[CODE]` / `attribute[CODE][]` answers by code."""
    fields: dict[str, str] = {}
    answers: dict[str, list[str]] = defaultdict(list)
    for key, raw in pairs:
        value = raw.strip()
        if not value:
            continue
        if match := _ATTRIBUTE_FIELD.match(key):
            answers[match[1]].append(value)
        else:
            fields[key] = value
    return fields, answers


def check_report(
    fields: Mapping[str, str], answers: Mapping[str, list[str]], service: Any, attributes: list[Any]
) -> Checked:
    """`service` is the service's row (None when the code is unknown), `attributes` its attribute rows."""
    checked = Checked()
    code = fields.get("service_code")
    if not code:
        checked.problems.append("service_code is required")
    elif service is None:
        checked.problems.append(f"service_code {code} not found")
    description = fields.get("description")
    if description and len(description) > MAX_DESCRIPTION:
        checked.problems.append(f"description is longer than {MAX_DESCRIPTION} characters")
    reference = fields.get("external_reference")
    if reference and len(reference) > MAX_EXTERNAL_REFERENCE:
        checked.problems.append(f"external_reference is longer than {MAX_EXTERNAL_REFERENCE} characters")
    _check_location(fields, checked)
    if raw_email := fields.get("email"):
        checked.email = normalise_email(raw_email)
        if checked.email is None:
            checked.problems.append("email is not a valid address")
    if service is not None:
        _check_answers(attributes, answers, checked)
    return checked


def _check_location(fields: Mapping[str, str], checked: Checked) -> None:
    """The spec requires a location: lat and long together, or else address_string or address_id."""
    if "lat" in fields or "long" in fields:
        try:
            lat, long = float(fields["lat"]), float(fields["long"])
        except (KeyError, ValueError):
            checked.problems.append("lat and long must both be given in decimal degrees")
            return
        if not (-90 <= lat <= 90 and -180 <= long <= 180):
            checked.problems.append("lat and long are out of range")
            return
        checked.lat, checked.long = lat, long
    elif not (fields.get("address_string") or fields.get("address_id")):
        checked.problems.append("a location is required: lat and long, address_string or address_id")


def _check_answers(attributes: list[Any], answers: Mapping[str, list[str]], checked: Checked) -> None:
    unknown = sorted(set(answers) - {row.code for row in attributes})
    if unknown:
        checked.problems.append(f"unknown attribute: {', '.join(unknown)}")
    for row in attributes:
        values = answers.get(row.code, [])
        if values:
            problem, answer = _checked_answer(row, values)
            if problem:
                checked.problems.append(problem)
            else:
                checked.answers[row.code] = answer
        elif row.required:
            checked.problems.append(f"attribute {row.code} is required")


def _checked_answer(attribute: Any, values: list[str]) -> tuple[str | None, str | list[str]]:
    if attribute.datatype in {"singlevaluelist", "multivaluelist"}:
        allowed = set(attribute.values or ())
        if not allowed.issuperset(values):
            return f"attribute {attribute.code} must be one of {', '.join(attribute.values or ())}", ""
        if attribute.datatype == "multivaluelist":
            return None, values
    if len(values) > 1:
        return f"attribute {attribute.code} takes one value", ""
    parse = _ATTRIBUTE_PARSERS.get(attribute.datatype)
    if parse is not None:
        try:
            parse(values[0])
        except ValueError:
            return f"attribute {attribute.code} must be a {attribute.datatype}", ""
    return None, values[0]
