"""The Mutation root: every portal service, one field each, each in its own module under mutations/."""

from __future__ import annotations

import strawberry

from customer360.schema.mutations.apply_single_person_discount import (
    ApplySinglePersonDiscountPayload,
    apply_single_person_discount,
)
from customer360.schema.mutations.escalate_complaint import EscalateComplaintPayload, escalate_complaint
from customer360.schema.mutations.make_complaint import MakeComplaintPayload, make_complaint
from customer360.schema.mutations.make_payment import MakePaymentPayload, make_payment
from customer360.schema.mutations.remove_single_person_discount import (
    RemoveSinglePersonDiscountPayload,
    remove_single_person_discount,
)
from customer360.schema.mutations.report_issue import ReportIssuePayload, report_issue


@strawberry.type
class Mutation:
    make_complaint: MakeComplaintPayload = strawberry.mutation(
        resolver=make_complaint, description="Complain about a council service (signed-in residents)."
    )
    escalate_complaint: EscalateComplaintPayload = strawberry.mutation(
        resolver=escalate_complaint, description="Ask for stage 2 of your complaint."
    )
    report_issue: ReportIssuePayload = strawberry.mutation(
        resolver=report_issue,
        description="Report a street problem (anyone) or a shortfall in service delivery (signed in).",
    )
    apply_single_person_discount: ApplySinglePersonDiscountPayload = strawberry.mutation(
        resolver=apply_single_person_discount,
        description="The liable resident applies for the 25% single person discount.",
    )
    remove_single_person_discount: RemoveSinglePersonDiscountPayload = strawberry.mutation(
        resolver=remove_single_person_discount, description="End the single person discount on a date."
    )
    make_payment: MakePaymentPayload = strawberry.mutation(
        resolver=make_payment,
        description="Start a card payment; send the payer to `payment.nextUrl`. Idempotent by `idempotencyKey`.",
    )
