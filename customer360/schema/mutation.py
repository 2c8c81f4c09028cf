"""The Mutation root: every portal service, one field each, each in its own module under mutations/."""

from __future__ import annotations

import strawberry

from customer360.schema.access import (
    ActForPayload,
    GrantAccessPayload,
    RevokeAccessPayload,
    StartAssistedSessionPayload,
    act_for,
    grant_access,
    revoke_access,
    start_assisted_session,
)
from customer360.schema.attachments import (
    ModerateAttachmentPayload,
    RevokeAttachmentLinksPayload,
    UploadAttachmentPayload,
    moderate_attachment,
    revoke_attachment_links,
    upload_attachment,
)
from customer360.schema.delivery_cases import ResolveDeliveryCasePayload, resolve_delivery_case
from customer360.schema.mutations.apply_single_person_discount import (
    ApplySinglePersonDiscountPayload,
    apply_single_person_discount,
)
from customer360.schema.mutations.cancel_direct_debit import CancelDirectDebitPayload, cancel_direct_debit
from customer360.schema.mutations.escalate_complaint import EscalateComplaintPayload, escalate_complaint
from customer360.schema.mutations.make_complaint import MakeComplaintPayload, make_complaint
from customer360.schema.mutations.make_payment import MakePaymentPayload, make_payment
from customer360.schema.mutations.notify_move import NotifyMovePayload, notify_move
from customer360.schema.mutations.progress_case import ProgressCasePayload, progress_case
from customer360.schema.mutations.rate_service import RateServicePayload, rate_service
from customer360.schema.mutations.remove_single_person_discount import (
    RemoveSinglePersonDiscountPayload,
    remove_single_person_discount,
)
from customer360.schema.mutations.report_issue import ReportIssuePayload, report_issue
from customer360.schema.mutations.report_repair import ReportRepairPayload, report_repair
from customer360.schema.mutations.respond_to_complaint import RespondToComplaintPayload, respond_to_complaint
from customer360.schema.mutations.service_definitions import (
    DefineServicePayload,
    RetireServicePayload,
    UpdateServicePayload,
    define_service,
    retire_service,
    update_service,
)
from customer360.schema.mutations.set_up_direct_debit import SetUpDirectDebitPayload, set_up_direct_debit
from customer360.schema.mutations.submit_housing_application import (
    SubmitHousingApplicationPayload,
    submit_housing_application,
)
from customer360.schema.mutations.update_contact_preferences import (
    UpdateContactPreferencesPayload,
    update_contact_preferences,
)
from customer360.schema.safeguarding import (
    AcknowledgeSafeguardingCasePayload,
    ReportSafeguardingConcernPayload,
    acknowledge_safeguarding_case,
    report_safeguarding_concern,
)
from customer360.schema.stewardship import (
    ConfirmMatchPayload,
    MergeCustomersPayload,
    RejectMatchPayload,
    UnmergeCustomerPayload,
    confirm_match,
    merge_customers,
    reject_match,
    unmerge_customer,
)


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
    define_service: DefineServicePayload = strawberry.mutation(
        resolver=define_service, description="Admin: add a reportable service, as data. It is offered at once."
    )
    update_service: UpdateServicePayload = strawberry.mutation(
        resolver=update_service, description="Admin: a new version of a service; earlier requests keep theirs."
    )
    retire_service: RetireServicePayload = strawberry.mutation(
        resolver=retire_service, description="Admin: stop offering a service (its requests stay as they were)."
    )
    report_safeguarding_concern: ReportSafeguardingConcernPayload = strawberry.mutation(
        resolver=report_safeguarding_concern,
        description="Tell the council a child or an adult may be at risk. Anyone may; routed at once, with priority.",
    )
    acknowledge_safeguarding_case: AcknowledgeSafeguardingCasePayload = strawberry.mutation(
        resolver=acknowledge_safeguarding_case, description="Safeguarding staff: take a case from the queue."
    )
    resolve_delivery_case: ResolveDeliveryCasePayload = strawberry.mutation(
        resolver=resolve_delivery_case,
        description="Staff: a refused delivery was dealt with (posted by hand, refunded, passed on). Audited.",
    )
    notify_move: NotifyMovePayload = strawberry.mutation(
        resolver=notify_move,
        description="Moving into, out of or within the borough: told once, every back office that knows you hears.",
    )
    set_up_direct_debit: SetUpDirectDebitPayload = strawberry.mutation(
        resolver=set_up_direct_debit,
        description="Pay your Council Tax or rent account by Direct Debit; its instalments move to the payment day.",
    )
    cancel_direct_debit: CancelDirectDebitPayload = strawberry.mutation(
        resolver=cancel_direct_debit, description="Stop the Direct Debit on your Council Tax or rent account."
    )
    report_repair: ReportRepairPayload = strawberry.mutation(
        resolver=report_repair,
        description="Council tenants: report a repair; its priority and deadlines (Awaab's Law's too) come back.",
    )
    update_contact_preferences: UpdateContactPreferencesPayload = strawberry.mutation(
        resolver=update_contact_preferences,
        description="How you want to be told of your requests: e-mail, text (a UK mobile), both or neither.",
    )
    rate_service: RateServicePayload = strawberry.mutation(
        resolver=rate_service,
        description="How it went, 1 to 5, once per finished request; customer services record one from a call.",
    )
    submit_housing_application: SubmitHousingApplicationPayload = strawberry.mutation(
        resolver=submit_housing_application, description="Apply to join the housing register."
    )
    confirm_match: ConfirmMatchPayload = strawberry.mutation(
        resolver=confirm_match, description="Data stewards: the pair is one person; their customers become one."
    )
    reject_match: RejectMatchPayload = strawberry.mutation(
        resolver=reject_match, description="Data stewards: two different people. Never proposed again."
    )
    merge_customers: MergeCustomersPayload = strawberry.mutation(
        resolver=merge_customers, description="Data stewards: move every record of one customer to another."
    )
    unmerge_customer: UnmergeCustomerPayload = strawberry.mutation(
        resolver=unmerge_customer,
        description="Data stewards: split records off a customer; a wrong merge is undone exactly.",
    )
    start_assisted_session: StartAssistedSessionPayload = strawberry.mutation(
        resolver=start_assisted_session,
        description="Customer services: act for a caller for one call (an actor token for 15 minutes; "
        "start again to renew).",
    )
    grant_access: GrantAccessPayload = strawberry.mutation(
        resolver=grant_access, description="Let a carer, family member, agency or councillor see or act for you."
    )
    revoke_access: RevokeAccessPayload = strawberry.mutation(
        resolver=revoke_access, description="End someone's access at once, including tokens already issued."
    )
    act_for: ActForPayload = strawberry.mutation(
        resolver=act_for,
        description="A delegate or partner agency: an actor token for a resident who granted you access.",
    )
    respond_to_complaint: RespondToComplaintPayload = strawberry.mutation(
        resolver=respond_to_complaint,
        description="Customer services: answer a complaint at its stage (1 or 2), with the outcome. Audited.",
    )
    progress_case: ProgressCasePayload = strawberry.mutation(
        resolver=progress_case,
        description="Staff: move a case in a queue you work on, with a note the resident sees. Audited.",
    )
    upload_attachment: UploadAttachmentPayload = strawberry.mutation(
        resolver=upload_attachment,
        description="Upload a photo or a document (a GraphQL multipart request, with a header such as "
        "`Apollo-Require-Preflight: true`); attach it by id to a report or an application within a day.",
    )
    revoke_attachment_links: RevokeAttachmentLinksPayload = strawberry.mutation(
        resolver=revoke_attachment_links,
        description="Staff, with X-Access-Purpose: every link to an attachment handed out so far stops working "
        "(a back office's too). Audited.",
    )
    moderate_attachment: ModerateAttachmentPayload = strawberry.mutation(
        resolver=moderate_attachment,
        description="Staff, with X-Access-Purpose: publish a photo on a report, or hide it (faces, number "
        "plates); hiding takes back the links handed out for it. Not for evidence (WRONG_PURPOSE). Audited.",
    )
