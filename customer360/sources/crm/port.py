"""What customer360 needs from the crm back office (a method's name is its `operation` metric label)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from customer360.domain.complaints import ComplaintRecord, NewComplaint
from customer360.domain.moving import MoveNotice
from customer360.domain.people import NewContact
from customer360.domain.requests import NewCase, RequestStatus, ServiceRequestRecord
from customer360.domain.services import ServiceDefinitionRecord
from customer360.sources.ports import PeopleSource


class CrmSource(PeopleSource, Protocol):
    async def services(self) -> Sequence[ServiceDefinitionRecord]: ...

    async def complaints_by_contact(self, contact_ids: Sequence[str]) -> Mapping[str, list[ComplaintRecord]]: ...

    async def complaints_by_reference(self, references: Sequence[str]) -> Mapping[str, ComplaintRecord]: ...

    async def cases_by_contact(self, contact_ids: Sequence[str]) -> Mapping[str, list[ServiceRequestRecord]]: ...

    async def cases_by_reference(self, references: Sequence[str]) -> Mapping[str, ServiceRequestRecord]: ...

    async def case_queue(
        self, queue: str | None, statuses: Sequence[RequestStatus], limit: int
    ) -> Sequence[ServiceRequestRecord]: ...

    # Writes: each is idempotent by the external (customer360) reference it carries.
    async def create_contact(self, contact: NewContact) -> str: ...

    async def create_complaint(self, complaint: NewComplaint) -> str: ...

    async def escalate_complaint(self, reference: str, reason: str, escalated_at: datetime) -> str: ...

    async def create_case(self, case: NewCase) -> str: ...

    async def record_address_change(self, notice: MoveNotice) -> str: ...

    # Staff casework, delivered through the outbox: each is a no-op when repeated.
    async def respond_to_complaint(
        self, reference: str, outcome: str, response: str, responded_at: datetime
    ) -> str: ...

    async def progress_case(self, reference: str, status: RequestStatus, note: str, at: datetime) -> str: ...
