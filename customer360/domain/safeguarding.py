"""Safeguarding concerns: who must hear about one, how urgently, and what to tell the person reporting.

Care Act 2014 s.42 (adults at risk) and Children Act 1989 s.47 / Working Together to Safeguard
Children 2023 (children): a district council passes concerns to the county's children's services
(its multi-agency safeguarding hub) or adult social care, and to the police where a crime may have
been committed. Which agencies, and at what priority, is data (`SafeguardingRoute` rows): a council
changes its routing without a developer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum

from customer360.domain.problems import Problem, required_text

MAX_DESCRIPTION = 5000
CALL_999 = (
    "If anyone is in immediate danger, call 999 now. We have passed your report to the emergency "
    "safeguarding teams as top priority."
)
RECEIVED = (
    "Thank you. Your report has been passed to the safeguarding team, who will act on it. "
    "Keep your reference; for your safety and theirs we cannot share what happens next."
)


class SafeguardingSubject(StrEnum):
    CHILD = "CHILD"
    ADULT = "ADULT"


class Priority(IntEnum):
    """1 is the most urgent: someone is in immediate danger."""

    IMMEDIATE = 1
    URGENT = 2
    STANDARD = 3


@dataclass(frozen=True, slots=True)
class SafeguardingRoute:
    about: SafeguardingSubject
    when_crime_suspected: bool | None  # None: whether or not a crime is suspected
    agency_code: str
    agency_name: str


@dataclass(frozen=True, slots=True)
class RoutedCase:
    agency_code: str
    agency_name: str
    priority: Priority


def routes_for(
    about: SafeguardingSubject, crime_suspected: bool, immediate_danger: bool, routes: Sequence[SafeguardingRoute]
) -> list[RoutedCase]:
    priority = case_priority(immediate_danger, crime_suspected)
    chosen = [
        route for route in routes if route.about is about and route.when_crime_suspected in (None, crime_suspected)
    ]
    return [RoutedCase(route.agency_code, route.agency_name, priority) for route in chosen]


def case_priority(immediate_danger: bool, crime_suspected: bool) -> Priority:
    if immediate_danger:
        return Priority.IMMEDIATE
    return Priority.URGENT if crime_suspected else Priority.STANDARD


def advice(immediate_danger: bool) -> str:
    return CALL_999 if immediate_danger else RECEIVED


def concern_problems(description: str | None) -> list[Problem]:
    return required_text(description, ("input", "description"), "what you saw or heard", MAX_DESCRIPTION)


@dataclass(frozen=True, slots=True)
class NewSafeguardingCase:
    """A concern for one agency's queue; `external_reference` makes a retried delivery a no-op."""

    external_reference: str
    agency_code: str
    priority: Priority
    about: SafeguardingSubject
    description: str
    location: str | None
    immediate_danger: bool
    crime_suspected: bool
    contact_email: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class SafeguardingCaseRecord:
    case_reference: str
    external_reference: str
    agency_code: str
    priority: Priority
    about: SafeguardingSubject
    description: str
    location: str | None
    immediate_danger: bool
    crime_suspected: bool
    contact_email: str | None
    received_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
