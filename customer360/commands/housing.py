"""submitHousingApplication: validated here, recorded in HOUSING through the outbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from customer360.auth.principal import Principal
from customer360.cache.namespaces import APPLICATIONS_BY_APPLICANT
from customer360.clock import LONDON
from customer360.commands.check_then_write import check_then_keep, customer_lock
from customer360.commands.complaints import contact_details, person_key
from customer360.commands.delivery import CREATED_BY_US, Delivered, DeliveryTools
from customer360.commands.write_path import Kept, WritePath
from customer360.domain.customers import GoldenRecord, RecordLink
from customer360.domain.housing import (
    OPEN_STATUSES,
    ApplicantMember,
    HousingApplicationRecord,
    IncomeBand,
    NewHousingApplication,
    Tenure,
    application_problems,
    bedrooms_needed,
)
from customer360.domain.people import NewContact, PostalAddress
from customer360.domain.problems import CommonCode, Problem
from customer360.domain.submissions import NOT_REFUSED, Submission, kept_of_kind
from customer360.domain.systems import SourceSystem
from customer360.store.outbox import NewDelivery, OutboxItem

KIND = "housing_application"
SIGN_IN_TO_APPLY = Problem(None, CommonCode.NOT_SIGNED_IN, "Sign in to apply for housing")
CREATE = "housing.create_application"


async def submit_housing_application(
    principal: Principal,
    customer: GoldenRecord | None,
    writes: WritePath,
    *,
    household: list[ApplicantMember],
    current_tenure: Tenure,
    reason: str,
    medical_needs: bool,
    mobility_needs: bool,
    local_connection: bool,
    income_band: IncomeBand,
    applications_now: Callable[[], Awaitable[list[HousingApplicationRecord] | Problem]],
    today: date,
    attachment_ids: Sequence[str] = (),
    attachment_links: Sequence[str] = (),
) -> Submission | list[Problem]:
    """Checked under the resident's lock against what we have kept and HOUSING as it is now
    (`applications_now` reads past the cache), so of N applications sent at once one is kept and
    the others are ALREADY_OPEN. HOUSING down is SOURCE_UNAVAILABLE (nothing kept), never
    ALREADY_OPEN: an earlier application that has since closed must not stop this one."""
    if not principal.is_resident or customer is None:
        return [SIGN_IN_TO_APPLY]
    problems = application_problems(household, reason, today, already_open=False)
    if problems:
        return problems
    payload: dict[str, Any] = {
        "household": [
            {"relationship": m.relationship, "date_of_birth": m.date_of_birth.isoformat()} for m in household
        ],
        "current_tenure": current_tenure.value,
        "reason": reason.strip(),
        "medical_needs": medical_needs,
        "mobility_needs": mobility_needs,
        "local_connection": local_connection,
        "income_band": income_band.value,
        "bedrooms_needed": bedrooms_needed(household),
        "contact": contact_details(customer),
        "service_name": "Housing application",
        "description": f"Housing register, {bedrooms_needed(household)} bedrooms",
        # Evidence the applicant uploaded (theirs and unused, checked by the caller), and its signed links.
        "attachment_ids": list(attachment_ids),
        "attachment_links": list(attachment_links),
    }
    customer_id = customer.customer_id

    async def check_and_keep() -> Kept | list[Problem]:
        open_here = await _open_application(writes, customer_id, applications_now)
        if isinstance(open_here, Problem):
            return [open_here]
        if open_here:
            return application_problems(household, reason, today, already_open=True)
        return await writes.keep(
            kind=KIND,
            customer_id=customer_id,
            payload=payload,
            service_code="HOUSING_APPLICATION",
            deliveries=[NewDelivery(SourceSystem.HOUSING, CREATE, payload)],
            attachment_ids=attachment_ids,
        )

    return await check_then_keep(writes, customer_lock(customer_id, KIND), check_and_keep)


async def _open_application(
    writes: WritePath,
    customer_id: str,
    applications_now: Callable[[], Awaitable[list[HousingApplicationRecord] | Problem]],
) -> bool | Problem:
    """One kept and not yet delivered; or one open in HOUSING; or one delivered that HOUSING does
    not show yet (its applicant link may not have reached this read): each means ALREADY_OPEN."""
    kept = (await writes.outbox.submissions_by_customer([customer_id])).get(customer_id, [])
    if kept_of_kind(kept, KIND):
        return True
    in_housing = await applications_now()
    if isinstance(in_housing, Problem):
        return in_housing
    if any(a.status in OPEN_STATUSES for a in in_housing):
        return True
    shown = {a.external_reference for a in in_housing}
    return bool(kept_of_kind(kept, KIND, lambda s: s.reference not in shown, states=NOT_REFUSED))


async def deliver_application(tools: DeliveryTools, item: OutboxItem) -> Delivered:
    payload = item.payload
    applicant_id = await tools.record_in(item.customer_id, SourceSystem.HOUSING)
    new_link = None
    if applicant_id is None:
        details = payload["contact"]
        address = details.get("address")
        applicant_id = await tools.sources.housing.create_applicant(
            NewContact(
                external_reference=person_key(item.customer_id, item.reference, "applicant"),
                forenames=details["forenames"],
                surname=details["surname"],
                created_at=item.created_at,
                email=details.get("email"),
                email_verified=bool(details.get("email_verified")),
                phone=details.get("phone"),
                date_of_birth=date.fromisoformat(details["date_of_birth"]) if details.get("date_of_birth") else None,
                address=PostalAddress(**address) if address else None,
            )
        )
        new_link = RecordLink(SourceSystem.HOUSING, applicant_id, 1.0, CREATED_BY_US)
    reference = await tools.sources.housing.create_application(
        NewHousingApplication(
            external_reference=item.reference,
            applicant_id=applicant_id,
            household=tuple(
                ApplicantMember(m["relationship"], date.fromisoformat(m["date_of_birth"])) for m in payload["household"]
            ),
            current_tenure=Tenure(payload["current_tenure"]),
            reason=payload["reason"],
            medical_needs=payload["medical_needs"],
            mobility_needs=payload["mobility_needs"],
            local_connection=payload["local_connection"],
            income_band=IncomeBand(payload["income_band"]),
            bedrooms_needed=payload["bedrooms_needed"],
            submitted_on=item.created_at.astimezone(LONDON).date(),
            evidence_links=tuple(payload.get("attachment_links") or ()),
        )
    )
    return Delivered(reference, invalidate=[(APPLICATIONS_BY_APPLICANT, applicant_id)], new_link=new_link)


HANDLERS = {CREATE: deliver_application}
