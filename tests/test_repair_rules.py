"""Repair priorities, deadlines and Awaab's Law (domain/repairs.py), hand-worked.

Every report is made at 16:30 on Friday 22 May 2026, before the Spring bank holiday (Monday 25 May).
Working days after it: Tue 26 (1), Wed 27 (2), Thu 28 (3), Fri 29 (4), Mon 1 Jun (5), Tue 2 (6),
Wed 3 (7), Thu 4 (8), Fri 5 (9), Mon 8 (10), ..., Mon 22 Jun (20).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from customer360.domain.repairs import (
    Hazard,
    RepairCategory,
    RepairDeadline,
    RepairPriority,
    RepairStep,
    about_to_miss,
    deadlines,
    hazard_as_reported,
    missed,
    priority,
)

LONDON = ZoneInfo("Europe/London")
REPORTED = datetime(2026, 5, 22, 16, 30, tzinfo=LONDON)
NEXT_DAY = datetime(2026, 5, 23, 16, 30, tzinfo=LONDON)
E, U, R = RepairPriority.EMERGENCY, RepairPriority.URGENT, RepairPriority.ROUTINE
MAKE_SAFE, COMPLETE, INVESTIGATE, SUMMARY, BEGIN = (
    RepairStep.MAKE_SAFE,
    RepairStep.COMPLETE,
    RepairStep.INVESTIGATE,
    RepairStep.WRITTEN_SUMMARY,
    RepairStep.BEGIN_SAFETY_WORK,
)


@pytest.mark.parametrize(
    ("worked_at", "hazard", "investigated_on", "expected"),
    [
        # The council's own timescales: 24 hours (over the weekend), 5 and 20 working days.
        (E, Hazard.NONE, None, [(MAKE_SAFE, date(2026, 5, 23), NEXT_DAY, False)]),
        (U, Hazard.NONE, None, [(COMPLETE, date(2026, 6, 1), None, False)]),
        (R, Hazard.NONE, None, [(COMPLETE, date(2026, 6, 22), None, False)]),
        # Awaab's Law, an emergency hazard: investigated and made safe within 24 hours.
        (
            E,
            Hazard.EMERGENCY,
            None,
            [(INVESTIGATE, date(2026, 5, 23), NEXT_DAY, True), (MAKE_SAFE, date(2026, 5, 23), NEXT_DAY, True)],
        ),
        # Damp and mould: investigate by 10 working days (Mon 8 Jun); summary 3 working days after
        # (Thu 11 Jun); safety work begun within 5 (Mon 15 Jun); the routine repair by Mon 22 Jun.
        (
            R,
            Hazard.DAMP_AND_MOULD,
            None,
            [
                (INVESTIGATE, date(2026, 6, 8), None, True),
                (SUMMARY, date(2026, 6, 11), None, True),
                (BEGIN, date(2026, 6, 15), None, True),
                (COMPLETE, date(2026, 6, 22), None, False),
            ],
        ),
        # Investigated on Wed 27 May: summary by Mon 1 Jun (Thu 28, Fri 29, Mon 1), work begun by Wed 3 Jun.
        (
            U,
            Hazard.DAMP_AND_MOULD,
            date(2026, 5, 27),
            [
                (SUMMARY, date(2026, 6, 1), None, True),
                (COMPLETE, date(2026, 6, 1), None, False),
                (BEGIN, date(2026, 6, 3), None, True),
                (INVESTIGATE, date(2026, 6, 8), None, True),
            ],
        ),
    ],
)
def test_deadlines_for_a_report_on_the_friday_before_a_bank_holiday(worked_at, hazard, investigated_on, expected):
    found = deadlines(REPORTED, worked_at, hazard, investigated_on)
    assert [(d.step, d.due_on, d.due_at, d.awaabs_law) for d in found] == expected


@pytest.mark.parametrize(
    ("requested", "hazard", "vulnerable", "worked_at"),
    [
        (R, Hazard.NONE, False, R),
        (R, Hazard.NONE, True, U),  # a vulnerable household moves up one priority
        (U, Hazard.NONE, True, E),
        (E, Hazard.NONE, True, E),
        (R, Hazard.EMERGENCY, False, E),  # an emergency hazard is an emergency whatever was asked
        (R, Hazard.DAMP_AND_MOULD, False, R),  # Awaab's Law adds its own deadlines instead
    ],
)
def test_priority(requested, hazard, vulnerable, worked_at):
    assert priority(requested, hazard, vulnerable) is worked_at


URGENT_DUE = RepairDeadline(COMPLETE, date(2026, 6, 1))  # Monday 1 June
EMERGENCY_DUE = RepairDeadline(MAKE_SAFE, date(2026, 5, 23), NEXT_DAY)


@pytest.mark.parametrize(
    ("deadline", "now", "at_risk", "late"),
    [
        (URGENT_DUE, datetime(2026, 5, 28, 10, 0, tzinfo=LONDON), False, False),  # two working days left
        (URGENT_DUE, datetime(2026, 5, 29, 10, 0, tzinfo=LONDON), True, False),  # its last working day is next
        (URGENT_DUE, datetime(2026, 6, 1, 17, 0, tzinfo=LONDON), True, False),  # due today
        (URGENT_DUE, datetime(2026, 6, 2, 9, 0, tzinfo=LONDON), False, True),
        (EMERGENCY_DUE, datetime(2026, 5, 23, 10, 0, tzinfo=LONDON), False, False),  # 6.5 hours left
        (EMERGENCY_DUE, datetime(2026, 5, 23, 11, 0, tzinfo=LONDON), True, False),  # 5.5 hours left
        (EMERGENCY_DUE, datetime(2026, 5, 23, 17, 0, tzinfo=LONDON), False, True),
    ],
)
def test_about_to_miss_and_missed(deadline, now, at_risk, late):
    assert (about_to_miss(deadline, now), missed(deadline, now)) == (at_risk, late)


@pytest.mark.parametrize(
    ("category", "said", "hazard"),
    [
        (RepairCategory.DAMP_AND_MOULD, Hazard.NONE, Hazard.DAMP_AND_MOULD),  # always a significant hazard
        (RepairCategory.DAMP_AND_MOULD, Hazard.EMERGENCY, Hazard.EMERGENCY),
        (RepairCategory.PLUMBING, Hazard.NONE, Hazard.NONE),
    ],
)
def test_the_hazard_a_report_is_worked_as(category, said, hazard):
    assert hazard_as_reported(category, said) is hazard
