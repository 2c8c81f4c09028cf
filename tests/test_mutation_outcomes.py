"""What a mutation does and what is recorded of it never depend on how the client shaped the request.

Every field of the Mutation root (read from the schema, so a new mutation cannot be left out) runs a
valid and an invalid input under four selections: the full one, `userErrors { message }` only, an
alias, and no `userErrors` at all. Each selection runs the same script against its own copy of the
council, and all four must leave the same effect (rows written), the same audit rows (action
`mutation.<schemaName>` and outcome code) and the same analytics events.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from graphql import GraphQLNamedType, get_named_type
from sqlalchemy import func, select, text

from customer360.auth.principal import Role
from customer360.clock import london_today
from customer360.demo.gazetteer import demo_gazetteer
from customer360.schema.node import to_global_id
from customer360.schema.schema import build_schema
from customer360.settings import Settings
from customer360.store.cases import NewDeliveryCase
from customer360.store.database import create_engine
from customer360.store.tables import audit_log, events, metadata
from tests.attachment_support import photo, upload
from tests.support import graphql, running_app

SHAPES = {
    "full": "{name}(input: $input) {{ __typename userErrors {{ field code message }} }}",
    "message_only": "{name}(input: $input) {{ userErrors {{ message }} }}",
    "aliased": "x: {name}(input: $input) {{ __typename userErrors {{ field code message }} }}",
    "no_user_errors": "{name}(input: $input) {{ __typename }}",
}
# Written by recording itself, compared on their own below.
RECORDS = {audit_log.name, events.name}
SKIP = {
    "code": "SKIP_PERMIT",
    "name": "Apply for a skip permit",
    "group": "Licensing",
    "attributes": [{"code": "WEEKS", "description": "How many weeks?", "datatype": "number", "required": True}],
    "signInRequired": True,
    "routeTo": "LICENSING",
}
CONCERN = {"about": "CHILD", "description": "A young child left alone in a car park", "immediateDanger": False}
COMPLAINT = {"subject": "Bin not emptied", "description": "My green bin was missed three weeks running."}
RETURN_URL = "https://my.tamworth.example/payment-done"
ME = """{ me { id linkedRecords { id system }
  councilTaxAccounts { reference liableFrom liableTo discounts { id } propertyAddress { uprn } } } }"""
QUEUE = "{ matchReviewQueue(first: 2) { edges { node { id } } } }"
CASES = "{ safeguardingCases(first: 20) { edges { node { caseReference acknowledgedAt } } } }"
LITTER = "{ services { code attributes { code required values } } }"
FINISHED = "{ me { requests(status: [RESOLVED, CLOSED], first: 1) { edges { node { reference } } } } }"


@dataclass
class Script:
    """The callers, and what the valid inputs need to know of the council (read with queries)."""

    client: httpx.AsyncClient
    tokens: dict[str, str | None]
    known: dict[str, Any]

    async def read(self, query: str, who: str) -> dict[str, Any]:
        body = (await graphql(self.client, query, self.tokens[who])).json()
        assert "errors" not in body, body
        return body["data"]


Inputs = Callable[[Script], Awaitable[tuple[str, dict[str, Any], dict[str, Any]]]]


async def define_service(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return "admin", SKIP, {**SKIP, "code": "bad code!"}


async def update_service(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return "admin", {**SKIP, "name": "Skip permit"}, {**SKIP, "code": "NO_SUCH"}


async def retire_service(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return "admin", {"code": "SKIP_PERMIT"}, {"code": "NO_SUCH"}


async def make_complaint(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return "resident", COMPLAINT, {**COMPLAINT, "subject": ""}


async def escalate_complaint(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    good = {"complaintId": s.known["escalatable"], "reason": "Still missed"}
    return "complainant", good, {**good, "reason": " "}


async def report_issue(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    litter = next(x for x in (await s.read(LITTER, "resident"))["services"] if x["code"] == "LITTER")
    answers = [{"code": a["code"], "value": a["values"][0]} for a in litter["attributes"] if a["required"]]
    spot = next(a for a in demo_gazetteer() if a.in_borough)
    good = {
        "serviceCode": "LITTER",
        "description": "Litter all along the path",
        "location": {"latitude": spot.latitude, "longitude": spot.longitude},
        "attributes": answers,
    }
    return "resident", {**good, "attachmentIds": [s.known["photo"]]}, {**good, "serviceCode": "NO_SUCH_SERVICE"}


async def moderate_attachment(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    # The photo the valid report above was sent with; one that no report used is nobody's to moderate.
    good = {"attachmentId": s.known["photo"], "decision": "PUBLISH", "reason": "Nothing personal in it"}
    return "admin", good, {**good, "attachmentId": s.known["unused_photo"]}


async def revoke_attachment_links(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return "admin", {"attachmentId": s.known["photo"]}, {"attachmentId": s.known["unused_photo"]}


async def apply_discount(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    account = s.known["account"]
    starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=20)).isoformat()
    good = {"accountReference": account["reference"], "startsOn": starts_on, "declaration": True}
    return "resident", good, {**good, "declaration": False}


async def remove_discount(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    good = {"accountReference": s.known["account"]["reference"], "endsOn": london_today().isoformat()}
    return "resident", good, {**good, "accountReference": "NO-SUCH-ACCOUNT"}


async def make_payment(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    good = {
        "purpose": "COUNCIL_TAX",
        "accountReference": s.known["account"]["reference"],
        "amountPence": 100,
        "idempotencyKey": "outcomes-1",
        "returnUrl": RETURN_URL,
    }
    return "resident", good, {**good, "amountPence": 0, "idempotencyKey": "outcomes-2"}


async def report_concern(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return "anonymous", CONCERN, {**CONCERN, "description": ""}


async def update_contact_preferences(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    good = {"email": False, "sms": True, "mobile": "07700 900 123"}
    return "resident", good, {**good, "mobile": "01827 709709"}  # a landline


async def rate_service(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    finished = await s.read(FINISHED, "resident")
    reference = finished["me"]["requests"]["edges"][0]["node"]["reference"]
    return "resident", {"reference": reference, "rating": 5}, {"reference": reference, "rating": 9}


async def acknowledge_case(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    cases = [e["node"] for e in (await s.read(CASES, "safeguarding"))["safeguardingCases"]["edges"]]
    waiting = sorted(c["caseReference"] for c in cases if c["acknowledgedAt"] is None)
    return "safeguarding", {"caseReference": waiting[0]}, {"caseReference": "NO-SUCH-CASE"}


async def resolve_delivery_case(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    # The case a refused posting opened (see run_script); another team's case is not theirs to resolve.
    case = to_global_id("DeliveryCase", str(s.known["case_id"]))
    return "revenues", {"caseId": case, "note": "Posted by hand"}, {"caseId": s.known["me"]["id"]}


async def notify_move(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    here = s.known["account"]["propertyAddress"]["uprn"]
    uprn = next(a.uprn for a in demo_gazetteer() if a.in_borough and a.uprn != here)
    good = {"kind": "WITHIN", "moveDate": (london_today() - timedelta(days=3)).isoformat(), "newUprn": uprn}
    return "resident", good, {**good, "newUprn": "999999999999"}


async def apply_for_housing(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    good = {
        "household": [{"relationship": "APPLICANT", "dateOfBirth": "1990-05-01"}],
        "currentTenure": "PRIVATE_RENTED",
        "reason": "Our landlord is selling the house",
        "incomeBand": "FROM_15K_TO_30K",
    }
    return "applicant", good, {**good, "household": [{"relationship": "CHILD", "dateOfBirth": "2015-01-01"}]}


async def report_repair(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    tenancy = (await s.read("{ me { tenancies { reference } } }", "resident"))["me"]["tenancies"][0]["reference"]
    good = {"tenancyReference": tenancy, "category": "PLUMBING", "room": "Kitchen", "description": "Tap drips"}
    return "resident", good, {**good, "description": ""}


async def set_up_direct_debit(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    good = {
        "accountReference": s.known["account"]["reference"],
        "accountHolderName": "A Resident",
        "sortCode": "30-94-30",
        "accountNumber": "31926819",
        "paymentDay": 15,
        "declaration": True,
    }
    return "resident", good, {**good, "sortCode": "30-94"}


async def cancel_direct_debit(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return "resident", {"accountReference": s.known["account"]["reference"]}, {"accountReference": "99999999"}


async def confirm_match(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    first = (await s.read(QUEUE, "steward"))["matchReviewQueue"]["edges"][0]["node"]["id"]
    return "steward", {"candidateId": first}, {"candidateId": s.known["me"]["id"]}


async def reject_match(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    first = (await s.read(QUEUE, "steward"))["matchReviewQueue"]["edges"][0]["node"]["id"]
    return "steward", {"candidateId": first}, {"candidateId": s.known["me"]["id"]}


async def merge_customers(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    kept, absorbed = s.known["me"]["id"], s.known["other"]["id"]
    return "steward", {"survivorId": kept, "mergedId": absorbed}, {"survivorId": kept, "mergedId": kept}


async def unmerge_customer(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    kept, absorbed = s.known["me"], s.known["other"]
    everything = [r["id"] for r in (await s.read(ME, "resident"))["me"]["linkedRecords"]]
    back = [r["id"] for r in absorbed["linkedRecords"]]
    return (
        "steward",
        {"customerId": kept["id"], "linkedRecordIds": back},
        {"customerId": kept["id"], "linkedRecordIds": everything},
    )


GRANTS = "{ me { id email accessGrants { id active } } }"
OPEN_CASES = "{ caseQueue(status: [SUBMITTED], first: 1) { edges { node { reference } } } }"


async def start_assisted_session(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    good = {"customerId": s.known["me"]["id"], "channel": "PHONE", "purpose": "Caller asked for help"}
    return "customer_services", good, {**good, "channel": "ONLINE"}


async def grant_access(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    other = (await s.read(GRANTS, "other"))["me"]
    good = {
        "delegateEmail": other["email"],
        "relationship": "CARER",
        "scope": "ACT",
        "expiresOn": (london_today() + timedelta(days=30)).isoformat(),
    }
    return "resident", good, {**good, "expiresOn": (london_today() - timedelta(days=1)).isoformat()}


async def act_for(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return "other", {"customerId": s.known["me"]["id"]}, {"customerId": s.known["other"]["id"]}


async def revoke_access(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    live = [g["id"] for g in (await s.read(GRANTS, "resident"))["me"]["accessGrants"] if g["active"]]
    return "resident", {"grantId": live[0]}, {"grantId": s.known["me"]["id"]}


async def respond_to_complaint(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    complaints = [e["node"] for e in (await s.read(COMPLAINTS, "resident"))["me"]["complaints"]["edges"]]
    waiting = sorted(c["id"] for c in complaints if c["stage"] == "STAGE_1" and c["respondedAt"] is None)
    good = {"complaintId": waiting[0], "outcome": "PARTLY_UPHELD", "response": "We have spoken to the crew."}
    return "customer_services", good, {**good, "response": " "}


async def progress_case(s: Script) -> tuple[str, dict[str, Any], dict[str, Any]]:
    case = (await s.read(OPEN_CASES, "customer_services"))["caseQueue"]["edges"][0]["node"]["reference"]
    good = {"reference": case, "status": "IN_PROGRESS", "note": "Crew booked for tomorrow"}
    return "customer_services", good, {**good, "reference": "NO-SUCH-CASE"}


# In the order the script runs them (a complaint before its escalation, a merge before its undoing).
CASES_BY_MUTATION: dict[str, Inputs] = {
    "defineService": define_service,
    "updateService": update_service,
    "retireService": retire_service,
    "makeComplaint": make_complaint,
    "escalateComplaint": escalate_complaint,
    "reportIssue": report_issue,
    "moderateAttachment": moderate_attachment,
    "revokeAttachmentLinks": revoke_attachment_links,
    "applySinglePersonDiscount": apply_discount,
    "removeSinglePersonDiscount": remove_discount,
    "makePayment": make_payment,
    "reportSafeguardingConcern": report_concern,
    "acknowledgeSafeguardingCase": acknowledge_case,
    "resolveDeliveryCase": resolve_delivery_case,
    "submitHousingApplication": apply_for_housing,
    "notifyMove": notify_move,
    "reportRepair": report_repair,
    "setUpDirectDebit": set_up_direct_debit,
    "cancelDirectDebit": cancel_direct_debit,
    "updateContactPreferences": update_contact_preferences,
    "rateService": rate_service,
    "confirmMatch": confirm_match,
    "rejectMatch": reject_match,
    "mergeCustomers": merge_customers,
    "unmergeCustomer": unmerge_customer,
    "startAssistedSession": start_assisted_session,
    "grantAccess": grant_access,
    "actFor": act_for,
    "revokeAccess": revoke_access,
    "respondToComplaint": respond_to_complaint,
    "progressCase": progress_case,
}


# Mutations whose arguments are not one `input` (a file is sent as a multipart request): each has its own
# test that it is recorded like the others (uploadAttachment: tests/test_attachments.py).
WITHOUT_INPUT = {"uploadAttachment"}


def mutation_inputs() -> dict[str, str]:
    """Every field of the Mutation root and its input type's name, as a client sees the schema."""
    root = build_schema()._schema.mutation_type
    assert root is not None
    named: dict[str, str] = {}
    for name, field in root.fields.items():
        if name in WITHOUT_INPUT:
            continue
        input_type: GraphQLNamedType = get_named_type(field.args["input"].type)
        named[name] = input_type.name
    return named


async def row_counts(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            return {
                table.name: int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
                for table in metadata.sorted_tables
                if table.name not in RECORDS
            }
    finally:
        await engine.dispose()


async def records_since(
    settings: Settings, audit_after: int, events_after: int
) -> tuple[list[Any], list[Any], int, int]:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            audited = (await conn.execute(select(audit_log).where(audit_log.c.id > audit_after))).all()
            recorded = (await conn.execute(select(events).where(events.c.id > events_after))).all()
            last_audit = int((await conn.execute(select(func.coalesce(func.max(audit_log.c.id), 0)))).scalar_one())
            last_event = int((await conn.execute(select(func.coalesce(func.max(events.c.id), 0)))).scalar_one())
    finally:
        await engine.dispose()
    audit_rows = [(r.action, r.role, (r.detail or {}).get("outcome")) for r in audited]
    event_rows = [(r.kind, r.service_code, r.outcome, r.person_key is not None) for r in recorded]
    return audit_rows, event_rows, last_audit, last_event


async def run_script(
    settings: Settings, shape: str, tokens: dict[str, str | None], escalatable: str
) -> list[tuple[Any, ...]]:
    """Each mutation, valid then invalid, in `shape`; what each call changed and recorded."""
    inputs = mutation_inputs()
    trace: list[tuple[Any, ...]] = []
    async with running_app(settings) as (app, client):
        script = Script(client, tokens, {})
        refused = NewDeliveryCase(
            "C360-OUTCOMES", None, "REVENUES", "revenues.post_payment", "REFUSED", "test", "revenues"
        )
        opened = await app.state.runtime.services.cases.open(refused, datetime.now(UTC))
        assert opened is not None
        script.known["case_id"] = opened.id
        me = (await script.read(ME, "resident"))["me"]
        other = (await script.read(ME, "other"))["me"]
        bare = [a for a in me["councilTaxAccounts"] if not a["discounts"] and a["liableTo"] is None]
        script.known.update(me=me, other=other, account=bare[0], escalatable=escalatable)
        for name in ("photo", "unused_photo"):
            uploaded = await upload(
                client, tokens["resident"], photo("PNG", colour="blue" if name == "photo" else "red")
            )
            script.known[name] = uploaded.json()["data"]["uploadAttachment"]["attachment"]["id"]
        _, _, audit_after, events_after = await records_since(settings, 0, 0)
        for name, inputs_for in CASES_BY_MUTATION.items():
            who, valid, invalid = await inputs_for(script)
            document = f"mutation($input: {inputs[name]}!) {{ {SHAPES[shape].format(name=name)} }}"
            for kind, variables in (("valid", valid), ("invalid", invalid)):
                before = await row_counts(settings)
                response = await graphql(client, document, tokens[who], {"input": variables})
                body = response.json()
                assert response.status_code == 200 and "errors" not in body, (shape, name, kind, body)
                assert body["data"] and len(body["data"]) == 1, body
                after = await row_counts(settings)
                effect = {table: after[table] - before[table] for table in after if after[table] != before[table]}
                audited, recorded, audit_after, events_after = await records_since(settings, audit_after, events_after)
                trace.append((name, kind, effect, audited, recorded))
    return trace


async def latest_event(settings: Settings) -> int:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.coalesce(func.max(events.c.id), 0)))).scalar_one())
    finally:
        await engine.dispose()


def council_copy(demo_settings: Settings, where: Path) -> Settings:
    shutil.copytree(demo_settings.data_dir, where)
    return replace(demo_settings, data_dir=where)


COMPLAINTS = "{ me { complaints(first: 50) { edges { node { id stage respondBy respondedAt } } } } }"


async def escalatable_complaint(settings: Settings, issuer: Any, residents: list[dict[str, str]]) -> tuple[str, str]:
    """A demo resident's stage 1 complaint that may go to stage 2 (answered, or overdue): token, id."""
    today = london_today()
    async with running_app(settings) as (_, client):
        for resident in residents[2:]:
            token = issuer.resident_token(resident["email"])
            for edge in (await graphql(client, COMPLAINTS, token)).json()["data"]["me"]["complaints"]["edges"]:
                node = edge["node"]
                overdue = date.fromisoformat(node["respondBy"]) < today
                if node["stage"] == "STAGE_1" and (node["respondedAt"] or overdue):
                    return token, node["id"]
    raise AssertionError("the demo council has no stage 1 complaint that can be escalated")


async def test_every_mutation_records_the_same_effect_audit_and_events_whatever_the_selection(
    demo_settings, tmp_path, issuer, residents, staff_token
):
    assert set(CASES_BY_MUTATION) == set(mutation_inputs()), "each mutation needs a valid and an invalid input here"
    # Two residents to merge (the first with a council tax account and no discount), a third for housing.
    resident, other, applicant = residents[0], residents[1], residents[5]
    complainant, escalatable = await escalatable_complaint(demo_settings, issuer, residents)
    tokens: dict[str, str | None] = {
        "resident": issuer.resident_token(resident["email"]),
        "other": issuer.resident_token(other["email"]),
        "applicant": issuer.resident_token(applicant["email"]),
        "complainant": complainant,
        "anonymous": None,
        "admin": staff_token(Role.ADMIN),
        "safeguarding": staff_token(Role.SAFEGUARDING),
        "steward": staff_token(Role.DATA_STEWARD),
        "revenues": staff_token(Role.REVENUES),
        "customer_services": staff_token(Role.CUSTOMER_SERVICES),
    }
    traces = {}
    for shape in SHAPES:
        traces[shape] = await run_script(council_copy(demo_settings, tmp_path / shape), shape, tokens, escalatable)

    full = traces["full"]
    for name, kind, effect, audited, _recorded in full:
        mine = [row for row in audited if row[0].startswith("mutation.")]
        assert [row[0] for row in mine] == [f"mutation.{name}"], (name, kind, audited)
        outcome = mine[0][2]
        assert (outcome == "OK") == (kind == "valid"), (name, kind, outcome)
        if kind == "invalid":
            assert not effect, (name, effect)
    complaint_events = [r for _, _, _, _, recorded in full[6:8] for r in recorded]
    assert [(r[0], r[2]) for r in complaint_events] == [("service_submitted", "SUBMITTED"), ("error", "REQUIRED")]
    staff_only = {
        "defineService",
        "updateService",
        "retireService",
        "acknowledgeSafeguardingCase",
        "resolveDeliveryCase",
        "startAssistedSession",
        "respondToComplaint",
        "progressCase",
        "moderateAttachment",
        "revokeAttachmentLinks",
    }
    assert all(not recorded for name, _, _, _, recorded in full if name in staff_only)
    for shape, trace in traces.items():
        assert trace == full, shape


REFUSED = {"input": {**COMPLAINT, "subject": ""}}


async def test_concurrent_refusals_in_every_selection_are_each_recorded_as_refused(own_council, issuer, residents):
    token = issuer.resident_token(residents[0]["email"])
    documents = [
        f"mutation($input: MakeComplaintInput!) {{ {shape.format(name='makeComplaint')} }}" for shape in SHAPES.values()
    ]
    _, _, audit_after, events_after = await records_since(own_council, 0, 0)
    async with running_app(own_council) as (_, client):
        answers = await asyncio.gather(*(graphql(client, d, token, REFUSED) for d in documents))
        retried = await graphql(client, documents[1], token, REFUSED)
    assert all(a.status_code == 200 and "errors" not in a.json() for a in [*answers, retried])
    audited, recorded, _, _ = await records_since(own_council, audit_after, events_after)
    refusals = [row for row in audited if row[0] == "mutation.makeComplaint"]
    assert [row[2] for row in refusals] == ["REQUIRED"] * 5
    assert [(r[0], r[1], r[2]) for r in recorded] == [("error", "COMPLAINT", "REQUIRED")] * 5


async def test_a_committed_complaint_keeps_its_answer_when_recording_fails(own_council, issuer, residents, caplog):
    events_after = await latest_event(own_council)
    engine = create_engine(own_council.gateway_database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE {audit_log.name}"))
    finally:
        await engine.dispose()
    token = issuer.resident_token(residents[0]["email"])
    document = """mutation($input: MakeComplaintInput!) { makeComplaint(input: $input) {
      complaint { reference } userErrors { message } } }"""
    async with running_app(own_council) as (_, client):
        body = (await graphql(client, document, token, {"input": COMPLAINT})).json()
    assert "errors" not in body, body
    assert body["data"]["makeComplaint"]["complaint"]["reference"].startswith("C360-")
    assert await latest_event(own_council) == events_after + 1, "the event is recorded all the same"
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "could not record the outcome of mutation makeComplaint" in logged
    assert COMPLAINT["description"] not in logged and residents[0]["email"] not in logged


async def test_a_raised_error_is_audited_with_its_code_under_the_schema_name(own_council, staff_token):
    steward = staff_token(Role.DATA_STEWARD)
    confirm = "mutation($input: ConfirmMatchInput!) { %s confirmMatch(input: $input) { __typename } }"
    _, _, audit_after, _ = await records_since(own_council, 0, 0)
    async with running_app(own_council) as (_, client):
        queue = (await graphql(client, QUEUE, steward)).json()["data"]["matchReviewQueue"]["edges"]
        variables = {"input": {"candidateId": queue[0]["node"]["id"]}}
        no_purpose = {"Authorization": f"Bearer {steward}"}  # a steward's change needs X-Access-Purpose
        answers = await asyncio.gather(
            *(
                client.post("/graphql", json={"query": confirm % alias, "variables": variables}, headers=no_purpose)
                for alias in ("", "x:")
            )
        )
    assert [a.json()["errors"][0]["extensions"]["code"] for a in answers] == ["PURPOSE_REQUIRED"] * 2
    audited, _, _, _ = await records_since(own_council, audit_after, 0)
    mine = [row for row in audited if row[0].startswith("mutation.")]
    assert mine == [("mutation.confirmMatch", "data_steward", "PURPOSE_REQUIRED")] * 2
