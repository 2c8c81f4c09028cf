"""A GOV.UK date input (day, month, year boxes) read as a date, with GOV.UK's messages when it is not one.

The API takes only a real date, so "the date must include a month" is the portal's to say.
"""

from __future__ import annotations

from datetime import date
from typing import Any


def parts(prefix: str) -> tuple[str, str, str]:
    return (f"{prefix}-day", f"{prefix}-month", f"{prefix}-year")


def date_of(answers: dict[str, str], prefix: str) -> date | None:
    day, month, year = (answers.get(name, "") for name in parts(prefix))
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def date_problems(answers: dict[str, str], prefix: str, api_field: list[str], what: str) -> list[dict[str, Any]]:
    """`what` names the date ("the start date"); the problem's field is the API's, so it lands where
    the API's own refusal of that date would."""
    given = [answers.get(name, "") for name in parts(prefix)]
    if not any(given):
        message = f"Enter {what}"
    elif not all(given):
        missing = " and ".join(p for p, value in zip(("day", "month", "year"), given, strict=True) if not value)
        message = f"{what[0].upper()}{what[1:]} must include a {missing}"
    elif len(given[2]) != 4 or date_of(answers, prefix) is None:
        message = f"{what[0].upper()}{what[1:]} must be a real date"
    else:
        return []
    return [{"field": api_field, "code": "INVALID_DATE", "message": message}]
