"""Staff casework rules: answering a complaint at its stage, and moving a case on. Pure: no I/O."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from customer360.domain.complaints import ComplaintRecord, ComplaintStage
from customer360.domain.problems import Problem, required_text
from customer360.domain.requests import RequestStatus, ServiceRequestRecord
from customer360.domain.working_days import is_working_day

MAX_RESPONSE = 5000
MAX_NOTE = 1000
# Where staff may move a case: never back to "submitted", which only the resident's asking makes.
PROGRESS_TO = frozenset(
    {RequestStatus.IN_PROGRESS, RequestStatus.RESOLVED, RequestStatus.CLOSED, RequestStatus.REJECTED}
)
FINISHED = frozenset({RequestStatus.RESOLVED, RequestStatus.CLOSED, RequestStatus.REJECTED})


class ComplaintOutcome(StrEnum):
    UPHELD = "UPHELD"
    PARTLY_UPHELD = "PARTLY_UPHELD"
    NOT_UPHELD = "NOT_UPHELD"


class CaseworkCode(StrEnum):
    ALREADY_ANSWERED = "ALREADY_ANSWERED"
    NO_CHANGE = "NO_CHANGE"
    FINISHED = "FINISHED"
    NOT_A_STEP = "NOT_A_STEP"


def stage_answered(complaint: ComplaintRecord) -> bool:
    if complaint.stage is ComplaintStage.STAGE_2:
        return complaint.stage2_responded_at is not None
    return complaint.responded_at is not None


def response_problems(complaint: ComplaintRecord, response: str | None, *, pending: bool) -> list[Problem]:
    """A complaint is answered once per stage; `pending`: an answer to it is kept and on its way."""
    problems = required_text(response, ("input", "response"), "the council's response", MAX_RESPONSE)
    if pending or stage_answered(complaint):
        problems.append(
            Problem(("input", "complaintId"), CaseworkCode.ALREADY_ANSWERED, "This stage has been answered already")
        )
    return problems


def progress_problems(
    case: ServiceRequestRecord, status: RequestStatus, note: str | None, *, pending: RequestStatus | None
) -> list[Problem]:
    """A step the case has not taken yet, from a case that is not finished, with a note saying why.
    `pending`: the status a step kept and on its way moves it to (the case is as good as there)."""
    problems = required_text(note, ("input", "note"), "a note saying what was done", MAX_NOTE)
    current = pending or case.status
    if status not in PROGRESS_TO:
        problems.append(
            Problem(("input", "status"), CaseworkCode.NOT_A_STEP, "Choose in progress, resolved, closed or rejected")
        )
    elif current in FINISHED:
        problems.append(Problem(("input", "reference"), CaseworkCode.FINISHED, "This case is finished"))
    elif status is current:
        problems.append(Problem(("input", "status"), CaseworkCode.NO_CHANGE, "The case has this status already"))
    return problems


def working_days_until(due: date, today: date) -> int:
    """Working days from today to the due date: 0 due today, negative when overdue (by working days)."""
    step = 1 if due >= today else -1
    count, day = 0, today
    while day != due:
        day = date.fromordinal(day.toordinal() + step)
        if is_working_day(day):
            count += step
    return count
