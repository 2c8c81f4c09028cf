"""What a resident can report or apply for: service definitions (Open311-shaped)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from customer360.domain.problems import Problem, required_text
from customer360.domain.systems import SourceSystem


@dataclass(frozen=True, slots=True)
class ServiceAttributeRecord:
    """An Open311 attribute: datatype is string, number, datetime, text, singlevaluelist or multivaluelist."""

    code: str
    description: str
    datatype: str
    required: bool
    values: tuple[str, ...] | None = None
    # Limits a staff-defined attribute may declare, enforced on every submission.
    min: float | None = None  # numbers
    max: float | None = None  # numbers
    max_length: int | None = None  # string and text answers


@dataclass(frozen=True, slots=True)
class ServiceDefinitionRecord:
    code: str
    name: str
    group: str
    description: str | None = None
    attributes: tuple[ServiceAttributeRecord, ...] = field(default=())
    system: SourceSystem | None = None  # the back office a report of this service goes to


@dataclass(frozen=True, slots=True)
class DefinedService:
    """A "Report It" service staff defined as data: what it asks, who gets it, what it costs."""

    definition: ServiceDefinitionRecord
    version: int
    sign_in_required: bool
    fee_pence: int | None
    route_to: str
    expected_days: int | None
    retired: bool = False


OPEN311_DATATYPES = frozenset({"string", "text", "number", "datetime", "singlevaluelist", "multivaluelist"})
# A staff-defined service may also ask for evidence: the answer is the id of a file the resident uploaded
# (`uploadAttachment`), and the CRM case gets a link to it.
ATTACHMENT = "attachment"
DEFINED_DATATYPES = OPEN311_DATATYPES | {ATTACHMENT}
# The back-office queues a defined service can be routed to (CRM case queues).
ROUTES = frozenset({"LICENSING", "WASTE", "ENVIRONMENTAL_HEALTH", "HOUSING", "REVENUES", "CUSTOMER_SERVICES"})
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{2,39}$")
# Attribute codes are kept exactly as the admin wrote them (a back office may be case-sensitive), so
# either case is allowed; two codes that differ only in case would be confusing, and are refused.
_ATTRIBUTE_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
# The longest answer any attribute can take: crews read reports on a handheld at the roadside, so
# about a page (domain/reporting.py holds descriptions to the same length); a service may ask for less.
MAX_ANSWER = 2000
_TEXT_DATATYPES = frozenset({"string", "text"})


class ServiceDesignCode(StrEnum):
    INVALID_CODE = "INVALID_CODE"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID_DATATYPE = "INVALID_DATATYPE"
    VALUES_REQUIRED = "VALUES_REQUIRED"
    DUPLICATE_ATTRIBUTE = "DUPLICATE_ATTRIBUTE"
    UNKNOWN_ROUTE = "UNKNOWN_ROUTE"
    INVALID_FEE = "INVALID_FEE"
    INVALID_EXPECTED_DAYS = "INVALID_EXPECTED_DAYS"
    NOT_FOUND = "NOT_FOUND"
    RETIRED = "RETIRED"
    INVALID_LIMIT = "INVALID_LIMIT"


def definition_problems(
    *,
    code: str,
    name: str,
    group: str,
    attributes: Sequence[ServiceAttributeRecord],
    fee_pence: int | None,
    route_to: str,
    expected_days: int | None,
    taken_codes: frozenset[str],
) -> list[Problem]:
    problems = []
    if not _CODE.match(code):
        problems.append(
            Problem(("input", "code"), ServiceDesignCode.INVALID_CODE, "Use 3-40 capital letters, digits or _")
        )
    elif code in taken_codes:
        problems.append(Problem(("input", "code"), ServiceDesignCode.DUPLICATE_CODE, f"{code} already exists"))
    problems += required_text(name, ("input", "name"), "a name", 100)
    problems += required_text(group, ("input", "group"), "a group", 60)
    problems += attribute_design_problems(attributes)
    if route_to not in ROUTES:
        problems.append(
            Problem(
                ("input", "routeTo"), ServiceDesignCode.UNKNOWN_ROUTE, f"Route to one of {', '.join(sorted(ROUTES))}"
            )
        )
    if fee_pence is not None and not 0 < fee_pence <= 1_000_000:
        problems.append(Problem(("input", "feePence"), ServiceDesignCode.INVALID_FEE, "A fee is 1p to £10,000"))
    if expected_days is not None and not 1 <= expected_days <= 365:
        problems.append(
            Problem(("input", "expectedDays"), ServiceDesignCode.INVALID_EXPECTED_DAYS, "Between 1 and 365 days")
        )
    return problems


def attribute_design_problems(attributes: Sequence[ServiceAttributeRecord]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for index, attribute in enumerate(attributes):
        path = ("input", "attributes", str(index))
        if not _ATTRIBUTE_CODE.match(attribute.code):
            problems.append(Problem((*path, "code"), ServiceDesignCode.INVALID_CODE, "Use 1-40 letters, digits or _"))
        if attribute.code.casefold() in seen:
            problems.append(Problem((*path, "code"), ServiceDesignCode.DUPLICATE_ATTRIBUTE, "Codes must differ"))
        seen.add(attribute.code.casefold())
        problems += required_text(attribute.description, (*path, "description"), "a question", 200)
        if attribute.datatype not in DEFINED_DATATYPES:
            problems.append(
                Problem(
                    (*path, "datatype"),
                    ServiceDesignCode.INVALID_DATATYPE,
                    f"Use one of {', '.join(sorted(DEFINED_DATATYPES))}",
                )
            )
        if attribute.datatype.endswith("valuelist") and not attribute.values:
            problems.append(Problem((*path, "values"), ServiceDesignCode.VALUES_REQUIRED, "A list needs its values"))
        problems += _limit_problems(attribute, path)
    return problems


def _limit_problems(attribute: ServiceAttributeRecord, path: tuple[str, ...]) -> list[Problem]:
    """`min`/`max` only on numbers, lowest first; `maxLength` only on text, within what any answer may be."""
    problems = []
    has_range = attribute.min is not None or attribute.max is not None
    if has_range and attribute.datatype != "number":
        problems.append(Problem((*path, "min"), ServiceDesignCode.INVALID_LIMIT, "Only numbers have a range"))
    elif attribute.min is not None and attribute.max is not None and attribute.min > attribute.max:
        problems.append(Problem((*path, "max"), ServiceDesignCode.INVALID_LIMIT, "The maximum is below the minimum"))
    if attribute.max_length is not None:
        if attribute.datatype not in _TEXT_DATATYPES:
            problems.append(
                Problem((*path, "maxLength"), ServiceDesignCode.INVALID_LIMIT, "Only text answers have a length")
            )
        elif not 1 <= attribute.max_length <= MAX_ANSWER:
            problems.append(
                Problem(
                    (*path, "maxLength"),
                    ServiceDesignCode.INVALID_LIMIT,
                    f"A length limit is 1 to {MAX_ANSWER} characters",
                )
            )
    return problems
