"""Repairs to council homes: priorities, deadlines and Awaab's Law.

The council's own timescales (held here as data): an EMERGENCY repair is made safe within 24 hours
of the report, an URGENT one done within 5 working days, a ROUTINE one within 20. A household with a
vulnerable member moves up one priority.

Awaab's Law (Hazards in Social Housing (Prescribed Requirements) (England) Regulations 2025, in force
27 October 2025; damp and mould first): an emergency hazard is investigated and made safe within 24
hours; a significant hazard is investigated within 10 working days of the landlord becoming aware,
the tenant gets a written summary within 3 working days of the investigation ending, and safety work
begins within 5 working days of it. Until the investigation has happened, the later steps count from
the day it is due, the latest they can be. Working days leave out weekends and bank holidays
(`domain/working_days.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from customer360.domain.requests import RequestStatus
from customer360.domain.submissions import Submission
from customer360.domain.working_days import working_days_after


class RepairPriority(StrEnum):
    EMERGENCY = "EMERGENCY"
    URGENT = "URGENT"
    ROUTINE = "ROUTINE"


class RepairCategory(StrEnum):
    PLUMBING = "PLUMBING"
    HEATING = "HEATING"
    ELECTRICAL = "ELECTRICAL"
    DAMP_AND_MOULD = "DAMP_AND_MOULD"
    DOORS_AND_WINDOWS = "DOORS_AND_WINDOWS"
    ROOF = "ROOF"
    OTHER = "OTHER"


# The priority a repair of each category starts at, before the hazard and the household count.
CATEGORY_PRIORITY: dict[RepairCategory, RepairPriority] = {
    RepairCategory.PLUMBING: RepairPriority.ROUTINE,
    RepairCategory.HEATING: RepairPriority.URGENT,
    RepairCategory.ELECTRICAL: RepairPriority.URGENT,
    RepairCategory.DAMP_AND_MOULD: RepairPriority.ROUTINE,
    RepairCategory.DOORS_AND_WINDOWS: RepairPriority.ROUTINE,
    RepairCategory.ROOF: RepairPriority.URGENT,
    RepairCategory.OTHER: RepairPriority.ROUTINE,
}
ROOM_MAX_LENGTH = 30
DESCRIPTION_MAX_LENGTH = 2_000


class Hazard(StrEnum):
    """What the tenant says the problem puts at risk (the housing team may reassess it)."""

    NONE = "NONE"
    DAMP_AND_MOULD = "DAMP_AND_MOULD"  # a significant hazard under Awaab's Law
    OTHER_SIGNIFICANT = "OTHER_SIGNIFICANT"
    EMERGENCY = "EMERGENCY"  # an imminent risk to health or safety: gas, exposed wiring, no heating in winter


class RepairStep(StrEnum):
    MAKE_SAFE = "MAKE_SAFE"  # an emergency repair or hazard: made safe
    COMPLETE = "COMPLETE"  # an urgent or routine repair: done
    INVESTIGATE = "INVESTIGATE"  # Awaab's Law: the hazard investigated
    WRITTEN_SUMMARY = "WRITTEN_SUMMARY"  # Awaab's Law: the tenant told in writing what was found
    BEGIN_SAFETY_WORK = "BEGIN_SAFETY_WORK"  # Awaab's Law: work to make it safe started


@dataclass(frozen=True, slots=True)
class Timescale:
    hours: int = 0  # calendar hours from the report (emergencies do not wait for Monday)
    working_days: int = 0  # working days after the day it counts from


# The council's repair timescales, by priority.
REPAIR_TIMESCALES: dict[RepairPriority, tuple[RepairStep, Timescale]] = {
    RepairPriority.EMERGENCY: (RepairStep.MAKE_SAFE, Timescale(hours=24)),
    RepairPriority.URGENT: (RepairStep.COMPLETE, Timescale(working_days=5)),
    RepairPriority.ROUTINE: (RepairStep.COMPLETE, Timescale(working_days=20)),
}
# Awaab's Law, by hazard; each significant-hazard step after the first counts from the investigation.
EMERGENCY_HAZARD_STEPS: tuple[tuple[RepairStep, Timescale], ...] = (
    (RepairStep.INVESTIGATE, Timescale(hours=24)),
    (RepairStep.MAKE_SAFE, Timescale(hours=24)),
)
SIGNIFICANT_HAZARD_INVESTIGATION = Timescale(working_days=10)
SIGNIFICANT_HAZARD_AFTER_INVESTIGATION: tuple[tuple[RepairStep, Timescale], ...] = (
    (RepairStep.WRITTEN_SUMMARY, Timescale(working_days=3)),
    (RepairStep.BEGIN_SAFETY_WORK, Timescale(working_days=5)),
)
# A vulnerable household moves up one priority.
VULNERABLE_PRIORITY: dict[RepairPriority, RepairPriority] = {
    RepairPriority.ROUTINE: RepairPriority.URGENT,
    RepairPriority.URGENT: RepairPriority.EMERGENCY,
    RepairPriority.EMERGENCY: RepairPriority.EMERGENCY,
}
# A deadline is about to be missed when this little is left: a timed one within these hours, a
# working-day one on its last working day (or the one before it).
AT_RISK_HOURS = 6
AT_RISK_WORKING_DAYS = 1


@dataclass(frozen=True, slots=True)
class RepairDeadline:
    step: RepairStep
    due_on: date  # the last day it may be done on
    due_at: datetime | None = None  # for a deadline in hours, the moment itself
    awaabs_law: bool = False  # a legal deadline, not only the council's own


@dataclass(frozen=True, slots=True)
class NewRepair:
    """A repair a tenant reported through customer360, as the housing management system records it."""

    external_reference: str  # the C360- reference the tenant was given: a retry finds the first
    tenancy_ref: str
    reported_at: datetime
    category: RepairCategory
    room: str
    description: str
    hazard: Hazard
    priority: RepairPriority


# The housing team's own progress words for a repair (`RepairRecord.status`), as My Requests and the
# resident's messages say them; a word not listed is shown as being worked on.
REPAIR_REQUEST_STATUS = {
    "REPORTED": RequestStatus.SUBMITTED,
    "INSPECTION_BOOKED": RequestStatus.IN_PROGRESS,
    "WORK_BOOKED": RequestStatus.IN_PROGRESS,
    "COMPLETED": RequestStatus.RESOLVED,
    "CANCELLED": RequestStatus.CLOSED,
}


@dataclass(frozen=True, slots=True)
class RepairRecord:
    """A repair as the housing management system holds it."""

    reference: str
    tenancy_ref: str
    reported_at: datetime
    category: RepairCategory
    room: str
    description: str
    hazard: Hazard
    priority: RepairPriority
    status: str  # the housing team's own progress words: REPORTED, INSPECTION_BOOKED, WORK_BOOKED, COMPLETED
    investigated_on: date | None
    completed_on: date | None
    external_reference: str | None  # the C360- reference of one reported through customer360

    @property
    def open(self) -> bool:
        return self.completed_on is None


def priority(requested: RepairPriority, hazard: Hazard, vulnerable_household: bool) -> RepairPriority:
    """The priority a repair is worked at: an emergency hazard is an emergency; a vulnerable household
    moves up one priority."""
    worked = RepairPriority.EMERGENCY if hazard is Hazard.EMERGENCY else requested
    return VULNERABLE_PRIORITY[worked] if vulnerable_household else worked


def hazard_as_reported(category: RepairCategory, hazard: Hazard) -> Hazard:
    """Damp and mould is a significant hazard under Awaab's Law whether or not the tenant said so."""
    if category is RepairCategory.DAMP_AND_MOULD and hazard is Hazard.NONE:
        return Hazard.DAMP_AND_MOULD
    return hazard


def is_significant(hazard: Hazard) -> bool:
    return hazard in (Hazard.DAMP_AND_MOULD, Hazard.OTHER_SIGNIFICANT)


def deadlines(
    reported_at: datetime, worked_at: RepairPriority, hazard: Hazard, investigated_on: date | None = None
) -> list[RepairDeadline]:
    """Every deadline of a repair reported at `reported_at` (aware, the council's local time), Awaab's
    Law's first, in the order they fall due."""
    found: list[RepairDeadline] = []
    if hazard is Hazard.EMERGENCY:
        found += [_due(reported_at, step, timescale, awaabs_law=True) for step, timescale in EMERGENCY_HAZARD_STEPS]
    elif is_significant(hazard):
        investigate = _due(reported_at, RepairStep.INVESTIGATE, SIGNIFICANT_HAZARD_INVESTIGATION, awaabs_law=True)
        found.append(investigate)
        counted_from = investigated_on or investigate.due_on
        found += [
            RepairDeadline(step, working_days_after(counted_from, timescale.working_days), awaabs_law=True)
            for step, timescale in SIGNIFICANT_HAZARD_AFTER_INVESTIGATION
        ]
    step, timescale = REPAIR_TIMESCALES[worked_at]
    own = _due(reported_at, step, timescale)
    if not any(deadline.step is own.step and deadline.due_on <= own.due_on for deadline in found):
        found.append(own)
    return sorted(found, key=lambda deadline: (deadline.due_on, not deadline.awaabs_law))


def about_to_miss(deadline: RepairDeadline, now: datetime) -> bool:
    """Not yet due, but close enough that someone should act today."""
    if deadline.due_at is not None:
        return now <= deadline.due_at <= now + timedelta(hours=AT_RISK_HOURS)
    today = now.date()
    return today <= deadline.due_on <= working_days_after(today, AT_RISK_WORKING_DAYS)


def missed(deadline: RepairDeadline, now: datetime) -> bool:
    if deadline.due_at is not None:
        return now > deadline.due_at
    return now.date() > deadline.due_on


def _due(reported_at: datetime, step: RepairStep, timescale: Timescale, *, awaabs_law: bool = False) -> RepairDeadline:
    if timescale.hours:
        due_at = reported_at + timedelta(hours=timescale.hours)
        return RepairDeadline(step, due_at.date(), due_at, awaabs_law)
    return RepairDeadline(step, working_days_after(reported_at.date(), timescale.working_days), None, awaabs_law)


@dataclass(frozen=True)
class RepairPayload:
    """What a repair's submission and its HOUSING_MANAGEMENT delivery carry (the stored keys)."""

    tenancy_reference: str
    category: RepairCategory
    room: str
    description: str
    hazard: Hazard
    priority: RepairPriority
    reported_at: datetime

    def as_payload(self) -> dict[str, Any]:
        return {
            "tenancy_reference": self.tenancy_reference,
            "category": self.category.value,
            "room": self.room,
            "description": self.description,
            "hazard": self.hazard.value,
            "priority": self.priority.value,
            "reported_at": self.reported_at.isoformat(),
            "service_name": "Repair",
        }

    @classmethod
    def of(cls, kept: dict[str, Any]) -> RepairPayload:
        return cls(
            tenancy_reference=kept["tenancy_reference"],
            category=RepairCategory(kept["category"]),
            room=kept["room"],
            description=kept["description"],
            hazard=Hazard(kept["hazard"]),
            priority=RepairPriority(kept["priority"]),
            reported_at=datetime.fromisoformat(kept["reported_at"]),
        )


def repair_as_reported(submission: Submission) -> RepairRecord:
    """A repair as the tenant reported it, until HOUSING_MANAGEMENT shows its own record."""
    kept = RepairPayload.of(submission.payload)
    return RepairRecord(
        reference=submission.reference,
        tenancy_ref=kept.tenancy_reference,
        reported_at=kept.reported_at,
        category=kept.category,
        room=kept.room,
        description=kept.description,
        hazard=kept.hazard,
        priority=kept.priority,
        status="REPORTED",
        investigated_on=None,
        completed_on=None,
        external_reference=submission.reference,
    )
