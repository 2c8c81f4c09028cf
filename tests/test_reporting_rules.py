"""The rules a street report must pass: attributes, location, contact, and the duplicate rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from math import degrees

import pytest

from customer360.domain.geography import EARTH_RADIUS_METRES, TAMWORTH_CENTRE
from customer360.domain.problems import Problem
from customer360.domain.reporting import (
    DUPLICATE_WINDOW,
    MAX_DESCRIPTION,
    AttributeAnswer,
    ReportCode,
    ReportSketch,
    attribute_answers,
    duplicate_problem,
    find_duplicate,
    find_service,
    resolve_location,
    validate_attributes,
    validate_contact_email,
    validate_description,
)
from customer360.domain.services import ServiceAttributeRecord, ServiceDefinitionRecord

FLY_TIPPING = ServiceDefinitionRecord(
    "FLY_TIPPING",
    "Fly-tipping",
    "Green & Clean",
    attributes=(
        ServiceAttributeRecord(
            "WASTE", "What has been dumped?", "multivaluelist", True, ("Household", "Tyres", "Sofa")
        ),
        ServiceAttributeRecord("PLAY_AREA", "On a play area?", "singlevaluelist", True, ("yes", "no")),
        ServiceAttributeRecord("BAGS", "How many bags?", "number", False),
        ServiceAttributeRecord("SEEN_AT", "When was it dumped?", "datetime", False),
        ServiceAttributeRecord("VEHICLE", "Vehicle registration", "string", False),
        ServiceAttributeRecord("DETAILS", "Anything else", "text", False),
    ),
)
LITTER = ServiceDefinitionRecord("LITTER", "Litter", "Green & Clean")
REQUIRED_ANSWERS = [("WASTE", "Tyres"), ("PLAY_AREA", "no")]


def codes(problems: list[Problem]) -> list[tuple[tuple[str, ...] | None, str]]:
    return [(problem.field, problem.code) for problem in problems]


def value_at(index: int) -> tuple[str, ...]:
    return ("input", "attributes", str(index), "value")


def code_at(index: int) -> tuple[str, ...]:
    return ("input", "attributes", str(index), "code")


@pytest.mark.parametrize(
    ("code", "answer", "problem"),
    [
        # string and text: any text up to 2,000 characters
        ("VEHICLE", "AB12 CDE", None),
        ("VEHICLE", "x" * 2000, None),
        ("VEHICLE", "x" * 2001, ReportCode.TOO_LONG),
        ("DETAILS", "It has been there a week", None),
        ("DETAILS", "x" * 2001, ReportCode.TOO_LONG),
        # number: a decimal number, nothing float() would stretch to
        ("BAGS", "3", None),
        ("BAGS", "2.5", None),
        ("BAGS", "-1", None),
        ("BAGS", " 4 ", None),
        ("BAGS", "three", ReportCode.INVALID_NUMBER),
        ("BAGS", "1e3", ReportCode.INVALID_NUMBER),
        ("BAGS", "nan", ReportCode.INVALID_NUMBER),
        ("BAGS", "3.", ReportCode.INVALID_NUMBER),
        # datetime: ISO 8601
        ("SEEN_AT", "2025-03-03T09:30:00+00:00", None),
        ("SEEN_AT", "2025-03-03T09:30Z", None),
        ("SEEN_AT", "2025-03-03", None),
        ("SEEN_AT", "03/03/2025 09:30", ReportCode.INVALID_DATETIME),
        ("SEEN_AT", "2025-02-30T09:30", ReportCode.INVALID_DATETIME),
        # singlevaluelist: exactly one of the values, as spelt
        ("PLAY_AREA", "yes", None),
        ("PLAY_AREA", "Yes", ReportCode.INVALID_VALUE),
        ("PLAY_AREA", "yes,no", ReportCode.INVALID_VALUE),
        # multivaluelist: comma-separated, each one of the values
        ("WASTE", "Household", None),
        ("WASTE", "Household, Tyres,Sofa", None),
        ("WASTE", "Household, Fridge", ReportCode.INVALID_VALUE),
        ("WASTE", "Household,", ReportCode.INVALID_VALUE),
    ],
)
def test_each_datatype(code: str, answer: str, problem: ReportCode | None) -> None:
    answers = [pair for pair in REQUIRED_ANSWERS if pair[0] != code] + [(code, answer)]

    expected = [] if problem is None else [(value_at(len(answers) - 1), problem)]
    assert codes(validate_attributes(FLY_TIPPING, answers)) == expected


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (REQUIRED_ANSWERS, []),
        ([("PLAY_AREA", "no")], [(("input", "attributes"), ReportCode.REQUIRED)]),
        ([], [(("input", "attributes"), ReportCode.REQUIRED)] * 2),
        ([("WASTE", "  "), ("PLAY_AREA", "no")], [(value_at(0), ReportCode.REQUIRED)]),
        # a blank optional answer is no answer
        ([*REQUIRED_ANSWERS, ("BAGS", "")], []),
        ([*REQUIRED_ANSWERS, ("COLOUR", "red")], [(code_at(2), ReportCode.UNKNOWN_ATTRIBUTE)]),
        ([*REQUIRED_ANSWERS, ("WASTE", "Sofa")], [(code_at(2), ReportCode.DUPLICATE_ATTRIBUTE)]),
        # the first answer counts; a bad second one is refused as a repeat, not judged
        ([*REQUIRED_ANSWERS, ("PLAY_AREA", "maybe")], [(code_at(2), ReportCode.DUPLICATE_ATTRIBUTE)]),
        (
            [("BAGS", "lots"), ("PLAY_AREA", "no")],
            [(value_at(0), ReportCode.INVALID_NUMBER), (("input", "attributes"), ReportCode.REQUIRED)],
        ),
    ],
)
def test_required_unknown_and_repeated_attributes(
    answers: list[tuple[str, str]], expected: list[tuple[tuple[str, ...], ReportCode]]
) -> None:
    assert codes(validate_attributes(FLY_TIPPING, answers)) == expected


def test_a_missing_required_attribute_is_named_in_the_message() -> None:
    [problem] = validate_attributes(FLY_TIPPING, [("WASTE", "Tyres")])

    assert "PLAY_AREA" in problem.message


def test_a_service_without_attributes_takes_none() -> None:
    assert validate_attributes(LITTER, []) == []
    assert codes(validate_attributes(LITTER, [("BAGS", "1")])) == [(code_at(0), ReportCode.UNKNOWN_ATTRIBUTE)]


def test_answers_take_the_shape_open311_posts() -> None:
    answers = [("WASTE", "Household, Tyres"), ("PLAY_AREA", " no "), ("BAGS", " ")]

    assert attribute_answers(FLY_TIPPING, answers) == (
        AttributeAnswer("WASTE", ("Household", "Tyres"), is_list=True),
        AttributeAnswer("PLAY_AREA", ("no",)),
    )


@pytest.mark.parametrize(
    ("code", "found", "expected"),
    [("LITTER", LITTER, []), ("PARKING", None, [(("input", "serviceCode"), ReportCode.UNKNOWN_SERVICE)])],
)
def test_find_service(code: str, found: ServiceDefinitionRecord | None, expected: list[object]) -> None:
    definition, problems = find_service(code, [FLY_TIPPING, LITTER])

    assert definition == found
    assert codes(problems) == expected


@pytest.mark.parametrize(
    ("description", "code"),
    [("Bags by the bins", None), ("x" * MAX_DESCRIPTION, None), ("x" * 2001, "TOO_LONG"), ("  ", "REQUIRED")],
)
def test_description(description: str, code: str | None) -> None:
    expected = [] if code is None else [(("input", "description"), code)]
    assert codes(validate_description(description)) == expected


@pytest.mark.parametrize(
    ("email", "valid"), [(None, True), ("", True), ("Resident@Example.org ", True), ("not an email", False)]
)
def test_contact_email_is_optional_but_must_be_an_address(email: str | None, valid: bool) -> None:
    expected = [] if valid else [(("input", "contactEmail"), ReportCode.INVALID_EMAIL)]
    assert codes(validate_contact_email(email)) == expected


CASTLE = (52.6330, -1.6970)
LICHFIELD = (52.6853, -1.8306)
GAZETTEER = {"100000000001": CASTLE, "100000009999": LICHFIELD}
LOCATION = ("input", "location")


@pytest.mark.parametrize(
    ("latitude", "longitude", "uprn", "position", "expected"),
    [
        (*TAMWORTH_CENTRE, None, TAMWORTH_CENTRE, []),
        (None, None, "100000000001", CASTLE, []),
        (None, None, " 100000000001 ", CASTLE, []),
        # a UPRN wins over coordinates, even bad ones
        (*LICHFIELD, "100000000001", CASTLE, []),
        (95.0, None, "100000000001", CASTLE, []),
        (*TAMWORTH_CENTRE, "", TAMWORTH_CENTRE, []),
        (None, None, "123", None, [((*LOCATION, "uprn"), ReportCode.UNKNOWN_UPRN)]),
        (None, None, "100000009999", None, [((*LOCATION, "uprn"), ReportCode.OUTSIDE_BOROUGH)]),
        (*LICHFIELD, None, None, [(LOCATION, ReportCode.OUTSIDE_BOROUGH)]),
        (None, None, None, None, [(LOCATION, ReportCode.LOCATION_REQUIRED)]),
        (None, None, "  ", None, [(LOCATION, ReportCode.LOCATION_REQUIRED)]),
        (52.6339, None, None, None, [((*LOCATION, "longitude"), ReportCode.INVALID_LOCATION)]),
        (None, -1.695, None, None, [((*LOCATION, "latitude"), ReportCode.INVALID_LOCATION)]),
        (90.5, -1.695, None, None, [((*LOCATION, "latitude"), ReportCode.INVALID_LOCATION)]),
        (52.6339, -180.5, None, None, [((*LOCATION, "longitude"), ReportCode.INVALID_LOCATION)]),
        (float("nan"), -1.695, None, None, [((*LOCATION, "latitude"), ReportCode.INVALID_LOCATION)]),
    ],
)
def test_resolve_location(
    latitude: float | None,
    longitude: float | None,
    uprn: str | None,
    position: tuple[float, float] | None,
    expected: list[tuple[tuple[str, ...], ReportCode]],
) -> None:
    found, problems = resolve_location(latitude, longitude, uprn, GAZETTEER.get)

    assert found == position
    assert codes(problems) == expected


NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def north_of_centre(metres: float) -> tuple[float, float]:
    return TAMWORTH_CENTRE[0] + degrees(metres / EARTH_RADIUS_METRES), TAMWORTH_CENTRE[1]


def sketch(
    reference: str = "C360-EARLIER", metres: float = 0.0, age: timedelta = timedelta(0), code: str = "LITTER"
) -> ReportSketch:
    return ReportSketch(reference, code, *north_of_centre(metres), submitted_at=NOW - age)


NEW = sketch("C360-NEW")


@pytest.mark.parametrize(
    ("earlier", "duplicate"),
    [
        (sketch(), True),
        # Both edges are inclusive: exactly 50 m away, or exactly 24 hours ago, is still a repeat.
        (sketch(metres=50), True),
        (sketch(metres=50.01), False),
        (sketch(age=DUPLICATE_WINDOW), True),
        (sketch(age=DUPLICATE_WINDOW + timedelta(seconds=1)), False),
        (sketch(metres=50, age=DUPLICATE_WINDOW), True),
        (sketch(code="GRAFFITI"), False),
        # the new report itself, if the caller's list already holds it
        (sketch("C360-NEW"), False),
    ],
)
def test_duplicate_window_edges(earlier: ReportSketch, duplicate: bool) -> None:
    assert find_duplicate(NEW, [earlier], NOW) == (earlier if duplicate else None)


def test_the_most_recent_repeat_is_named() -> None:
    older, newer, elsewhere = sketch("C360-A", age=timedelta(hours=5)), sketch("C360-B", 30), sketch("C360-C", 500)

    found = find_duplicate(NEW, [older, newer, elsewhere], NOW)

    assert found == newer
    assert duplicate_problem(newer).code == ReportCode.DUPLICATE_NEARBY
    assert "C360-B" in duplicate_problem(newer).message
