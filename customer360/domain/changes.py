"""A change a back office made to a request, as its change feed tells it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from customer360.domain.requests import RequestStatus
from customer360.domain.systems import SourceSystem


@dataclass(frozen=True, slots=True)
class RequestChange:
    system: SourceSystem
    change_key: str  # the change's identity in its back office: the same change read twice has the same key
    backoffice_reference: str
    external_reference: str | None  # the customer360 reference, when the request came through us
    owner_record_id: str | None  # the back office's record of the resident (its reporter, contact ...)
    service_name: str
    status: RequestStatus | None
    description: str
    at: datetime
    is_reply: bool = False  # a complaint's reply: worth its own message
    is_new: bool = False  # the request was made (by any channel): a receipt


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    changes: Sequence[RequestChange]
    cursor: str  # read the feed from here next time
