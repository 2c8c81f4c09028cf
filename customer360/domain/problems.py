"""Why an input was refused: the one shape every domain rule answers with.

A `Problem` names the input field by its path (`("input", "subject")`) and carries a stable code
from the domain's own `StrEnum`; the API turns each into a `userErrors` entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CommonCode(StrEnum):
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    NOT_SIGNED_IN = "NOT_SIGNED_IN"
    FORBIDDEN = "FORBIDDEN"
    SOURCE_UNAVAILABLE = "SOURCE_UNAVAILABLE"
    BUSY = "BUSY"  # the same thing is being changed by another request: try again in a moment


@dataclass(frozen=True, slots=True)
class Problem:
    field: tuple[str, ...] | None
    code: StrEnum
    message: str


# Another request holds what this one would change, past the wait budget: nothing was done, and a
# retry in a moment is safe (which is why a retry with the same Idempotency-Key must run again).
BUSY = Problem(None, CommonCode.BUSY, "We are still dealing with a request like this one: please try again in a moment")


def required_text(value: str | None, field: tuple[str, ...], label: str, max_length: int) -> list[Problem]:
    """Free text a resident must give: not blank, and not longer than the back office stores."""
    if value is None or not value.strip():
        return [Problem(field, CommonCode.REQUIRED, f"Enter {label}")]
    if len(value) > max_length:
        return [Problem(field, CommonCode.TOO_LONG, f"{label.capitalize()} must be {max_length} characters or fewer")]
    return []


def optional_text(value: str | None, field: tuple[str, ...], label: str, max_length: int) -> list[Problem]:
    if value is not None and len(value) > max_length:
        return [Problem(field, CommonCode.TOO_LONG, f"{label.capitalize()} must be {max_length} characters or fewer")]
    return []
