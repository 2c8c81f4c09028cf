"""What every text input may hold, declared as data: one rule per input field or argument.

`schema/input_boundary.py` applies these once, before any resolver runs: the value a rule returns
is the one checked, stored and sent to a back office. Every `String` and `ID` input is covered:
a field named below gets its rule, any other gets `LINE` (one line, 200 characters), so a new
input is bounded before anyone remembers to list it. `tests/test_boundary_input.py` checks that
every name here exists in the schema.

Lengths are ceilings on what is read, not the business rules: a domain rule may be stricter and
answer with its own code (a complaint's subject is 200, a Council Tax reason 500).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from customer360.domain.cases import MAX_RESOLUTION_NOTE


class Case(Enum):
    AS_GIVEN = "as given"
    UPPER = "upper"
    LOWER = "lower"


class Check(Enum):
    NONE = "none"
    RETURN_URL = "return URL"  # an absolute URL on one of the portal's own origins


@dataclass(frozen=True)
class TextRule:
    max_length: int
    # Long text keeps newlines and tabs; everything else refuses every control character.
    multiline: bool = False
    # The back office's own references and codes are upper case: " a1234567 " is A1234567.
    case: Case = Case.AS_GIVEN
    # A search: so many words at most (each becomes a condition in SQL).
    max_terms: int | None = None
    check: Check = Check.NONE


LINE = TextRule(200)
LONG_TEXT = TextRule(5000, multiline=True)  # the longest any back office keeps (complaints, safeguarding)
EMAIL = TextRule(254)  # RFC 5321's path limit, less the angle brackets
REFERENCE = TextRule(40, case=Case.UPPER)
CODE = TextRule(64)  # an Open311 service or attribute code: its case is the back office's
OWN_CODE = TextRule(64, case=Case.UPPER)  # codes we (or REVENUES) issue, always upper case
GLOBAL_ID = TextRule(200)
CURSOR = TextRule(500)
SEARCH = TextRule(100, max_terms=6)
URL = TextRule(2000, check=Check.RETURN_URL)
# The payment rule says 1-255 characters with its own code (INVALID_IDEMPOTENCY_KEY); this only bounds the read.
IDEMPOTENCY_KEY = TextRule(1000)

# By field or argument name, wherever it appears.
BY_NAME: dict[str, TextRule] = {
    "id": GLOBAL_ID,
    "after": CURSOR,
    "accountReference": REFERENCE,
    "reference": REFERENCE,
    "caseReference": TextRule(40),
    "complaintId": GLOBAL_ID,
    "candidateId": GLOBAL_ID,
    "customerId": GLOBAL_ID,
    "survivorId": GLOBAL_ID,
    "mergedId": GLOBAL_ID,
    "linkedRecordIds": GLOBAL_ID,
    "serviceCode": CODE,
    "code": CODE,
    "description": LONG_TEXT,
    "reason": LONG_TEXT,
    "desiredOutcome": LONG_TEXT,
    "value": LONG_TEXT,  # an Open311 `text` answer
    "contactEmail": EMAIL,
    "idempotencyKey": IDEMPOTENCY_KEY,
    "returnUrl": URL,
    "postcode": TextRule(16),
    "uprn": TextRule(20),
    "emailAddress": EMAIL,
    "mobile": TextRule(40),  # as typed, spaces and brackets too; checked as a UK mobile by the domain rule
    "comment": TextRule(2000, multiline=True),  # a rating's comment (the rule's own limit is 1,000)
    "newUprn": TextRule(20),
    "relationship": TextRule(20, case=Case.UPPER),
    "routeTo": TextRule(64, case=Case.UPPER),
    "datatype": TextRule(20, case=Case.LOWER),
}

# Where the same name means something else: (input type or "Parent.field" for arguments, name).
BY_OWNER: dict[tuple[str, str], TextRule] = {
    ("Query.searchCustomers", "query"): SEARCH,
    ("MakePaymentInput", "serviceCode"): OWN_CODE,  # payable services are ours (fees, staff-defined services)
    ("DefineServiceInput", "code"): OWN_CODE,
    ("UpdateServiceInput", "code"): OWN_CODE,
    ("RetireServiceInput", "code"): OWN_CODE,
    ("ServiceAttributeInput", "code"): CODE,  # kept exactly as the admin wrote it: residents answer under it
    ("ServiceAttributeInput", "values"): LINE,
    # What staff did about a refused delivery: a few lines, as long as the case keeps.
    ("ResolveDeliveryCaseInput", "note"): TextRule(MAX_RESOLUTION_NOTE, multiline=True),
}


def rule_for(owner: str, name: str) -> TextRule:
    return BY_OWNER.get((owner, name)) or BY_NAME.get(name) or LINE
