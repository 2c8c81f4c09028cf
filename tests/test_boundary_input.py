"""Hostile and careless input at the boundary: normalised once (what is checked is what is stored and
sent), control characters and over-long text refused with userErrors, a search bounded, return URLs
kept to the portal, malformed JSON bodies a 400, and nothing a client sent written to the logs."""

from __future__ import annotations

import asyncio
import base64
import logging
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from customer360.auth.principal import Role
from customer360.clock import london_today
from customer360.identity.linking import IdentityHub, link_everyone
from customer360.schema.input_boundary import ReturnUrls, normalised_text, origin_of
from customer360.schema.input_rules import BY_NAME, BY_OWNER, LINE, LONG_TEXT, REFERENCE, SEARCH, Case, TextRule
from customer360.schema.refusals import refused_mutation
from customer360.schema.schema import build_schema
from customer360.store.database import create_engine, migrate
from customer360.store.tables import payments as payments_table
from tests.conftest import PORTAL_ORIGIN
from tests.services import REDIS_URL, fresh_postgres_database, redis_or_skip
from tests.support import graphql, running_app, serving_app
from tests.test_payments import MAKE, balance, owing_resident, postings, settle_at_page, wait_for

RETURN_URL = f"{PORTAL_ORIGIN}/payment-done"
COMPLAINT = {"subject": "Bin not emptied", "description": "Missed three weeks running."}


def refusing(field: str, input_type: str) -> str:
    return f"mutation($input: {input_type}!) {{ {field}(input: $input) {{ userErrors {{ field code message }} }} }}"


# --- money: the stray space ---------------------------------------------------------------------


async def stored_payments(settings, key: str) -> list[str | None]:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            query = select(payments_table.c.account_reference, payments_table.c.reference).where(
                payments_table.c.idempotency_key == key
            )
            return [row.account_reference for row in (await conn.execute(query)).all()]
    finally:
        await engine.dispose()


async def stored_reference(settings, key: str) -> str:
    engine = create_engine(settings.gateway_database_url)
    try:
        async with engine.connect() as conn:
            query = select(payments_table.c.reference).where(payments_table.c.idempotency_key == key)
            return str((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def test_a_payment_with_a_stray_space_is_stored_posted_and_credited_under_the_clean_reference(
    own_council, issuer, residents
):
    settings = replace(own_council, reconcile_interval_seconds=0)
    async with serving_app(settings) as (_, client):
        token, account = await owing_resident(client, issuer, residents)
        reference, before = account["reference"], account["balance"]["pence"]
        request = {
            "purpose": "COUNCIL_TAX",
            "accountReference": f"  {reference.lower()} \u00a0",
            "amountPence": 1234,
            "idempotencyKey": "stray-space",
            "returnUrl": RETURN_URL,
        }

        async def pay() -> dict:
            body = (await graphql(client, MAKE, token, {"input": request})).json()
            return body["data"]["makePayment"]

        racing = await asyncio.gather(*(pay() for _ in range(3)))  # a double (triple) click
        retried = await pay()  # the client retries after a timeout, same key
        assert all(answer["userErrors"] == [] for answer in [*racing, retried])
        assert len({answer["payment"]["id"] for answer in [*racing, retried]}) == 1
        assert retried["payment"]["accountReference"] == reference
        finished = await settle_at_page(retried["payment"]["nextUrl"], "success")
        assert finished.status_code == 303 and finished.headers["location"] == RETURN_URL

        async def credited() -> bool:
            return await balance(client, token, reference) == before - 1234

        assert await wait_for(credited), "REVENUES should have credited the payment"
    assert await stored_payments(settings, "stray-space") == [reference]
    assert await postings(settings, await stored_reference(settings, "stray-space")) == 1


async def test_discounts_are_applied_and_removed_on_the_clean_reference(own_council, issuer, residents):
    from tests.test_single_person_discount import APPLY, REMOVE, find_resident

    async with running_app(own_council) as (_, client):
        token, account = await find_resident(client, issuer, residents, with_household=False)
        starts_on = max(date.fromisoformat(account["liableFrom"]), london_today() - timedelta(days=20)).isoformat()
        apply = {"accountReference": f" {account['reference']}\t", "startsOn": starts_on, "declaration": True}
        racing = await asyncio.gather(*(graphql(client, APPLY, token, {"input": apply}) for _ in range(2)))
        answers = [r.json()["data"]["applySinglePersonDiscount"] for r in racing]
        granted = [a for a in answers if a["discount"]]
        assert granted and granted[0]["discount"]["accountReference"] == account["reference"]
        remove = {"accountReference": f"{account['reference']} ", "endsOn": starts_on}
        ended = (await graphql(client, REMOVE, token, {"input": remove})).json()["data"]["removeSinglePersonDiscount"]
        assert ended["userErrors"] == [] and ended["discount"]["status"] == "ENDED"


# --- normalisation --------------------------------------------------------------------------------


async def test_decomposed_and_composed_text_are_one_text(own_council, issuer, residents):
    make = """mutation($input: MakeComplaintInput!) { makeComplaint(input: $input) {
      complaint { subject } userErrors { code } } }"""
    async with running_app(own_council) as (_, client):
        token = issuer.resident_token(residents[3]["email"])
        decomposed = {**COMPLAINT, "subject": "  Ame\u0301lie's bin was missed  "}
        made = (await graphql(client, make, token, {"input": decomposed})).json()["data"]["makeComplaint"]
        assert made["userErrors"] == []
        assert made["complaint"]["subject"] == "Am\u00e9lie's bin was missed"


@pytest.mark.parametrize(
    ("value", "rule", "expected", "code"),
    [
        ("\u00a0 a1234567\t", REFERENCE, "A1234567", None),
        ("Ame\u0301lie", LINE, "Am\u00e9lie", None),
        ("line one\r\nline two\rthree\tend", LONG_TEXT, "line one\nline two\nthree\tend", None),
        ("one\ttwo", LINE, "one\ttwo", "INVALID_CHARACTERS"),
        ("nul\x00", LONG_TEXT, "nul\x00", "INVALID_CHARACTERS"),
        ("c1\x85control", LONG_TEXT, "c1\x85control", "INVALID_CHARACTERS"),
        ("lone \ud800 surrogate", LONG_TEXT, "lone \ud800 surrogate", "INVALID_CHARACTERS"),
        ("x" * 41, REFERENCE, "x" * 41, "TOO_LONG"),
        ("a b c d e f g", SEARCH, "a b c d e f g", "TOO_MANY_TERMS"),
        ("  Text  ", TextRule(20, case=Case.LOWER), "text", None),
    ],
)
def test_text_is_normalised_then_checked(value, rule, expected, code):
    text, refused = normalised_text(value, rule, ReturnUrls())
    assert text == expected
    assert (refused[0].value if refused else None) == code


async def test_introspection_with_arguments_is_untouched(api):
    _, client = api
    body = (await graphql(client, '{ __type(name: "MakePaymentInput") { name } }')).json()
    assert body == {"data": {"__type": {"name": "MakePaymentInput"}}}


def test_rules_name_only_inputs_the_schema_has():
    """A rule for a renamed field would silently stop applying: every name listed must exist."""
    schema = build_schema()._schema
    names: dict[str, set[str]] = {}
    for type_ in schema.type_map.values():
        for field_name, field in (getattr(type_, "fields", None) or {}).items():
            names.setdefault(type_.name, set()).add(field_name)
            for argument in getattr(field, "args", {}) or {}:
                names.setdefault(f"{type_.name}.{field_name}", set()).add(argument)
    every_name = set().union(*names.values())
    assert set(BY_NAME) <= every_name
    assert all(name in names.get(owner, ()) for owner, name in BY_OWNER)


def test_return_urls_are_exact_origins_and_https_only_in_production():
    urls = ReturnUrls.of(["https://my.tamworth.example", "http://127.0.0.1:8000"], https_only=False)
    assert urls.allows("https://my.tamworth.example/payment-done?x=1")
    assert urls.allows("https://MY.tamworth.example:443/done")
    assert urls.allows("http://127.0.0.1:8000/done")
    for foreign in (
        "https://evil.example/done",
        "https://my.tamworth.example.evil.example/",
        "https://my.tamworth.example@evil.example/",
        "https://my.tamworth.example\\@evil.example/",
        "//evil.example/done",
        "javascript:alert(1)",
        "http://my.tamworth.example/done",
        "https://my.tamworth.example:8443/done",
    ):
        assert not urls.allows(foreign), foreign
    production = ReturnUrls.of(["https://my.tamworth.example", "http://127.0.0.1:8000"], https_only=True)
    assert production.allows("https://my.tamworth.example/done")
    assert not production.allows("http://127.0.0.1:8000/done")
    assert origin_of("not a url") is None


def test_return_url_origins_are_read_from_the_environment():
    from customer360.settings import Settings, SettingsError

    raw = "https://my.tamworth.gov.uk, https://portal.example.gov.uk/"
    found = Settings.from_env({"C360_RETURN_URL_ORIGINS": raw}).return_url_origins
    assert found == ("https://my.tamworth.gov.uk", "https://portal.example.gov.uk")
    with pytest.raises(SettingsError, match="C360_RETURN_URL_ORIGINS"):
        Settings.from_env({"C360_RETURN_URL_ORIGINS": "https://portal.example.gov.uk/payments"})


def test_every_mutation_can_be_refused_with_its_own_payload():
    """The generic refusal (also for idempotency conflicts): userErrors set, every other field empty (null,
    or an empty list / false where the schema promises a value: `unmergeCustomer { customers restored }`)."""
    from customer360.domain.problems import CommonCode, Problem

    schema = build_schema()._schema
    problem = Problem(("input", "x"), CommonCode.INVALID, "refused")
    assert schema.mutation_type is not None
    for name in schema.mutation_type.fields:
        payload = refused_mutation(schema, name, [problem])
        assert [(e.field, e.code) for e in payload.user_errors] == [(["input", "x"], "INVALID")], name
        others = {k: v for k, v in vars(payload).items() if k != "user_errors"}
        assert others and all(v in (None, [], False) for v in others.values()), name


# --- control characters and lengths in every kind of input ----------------------------------------

REFUSALS = [
    # (mutation, input type, who, valid input, change, field path, code)
    ("makeComplaint", "MakeComplaintInput", "resident", COMPLAINT, {"description": "Missed\x00 again"},
     ["input", "description"], "INVALID_CHARACTERS"),
    ("makeComplaint", "MakeComplaintInput", "resident", COMPLAINT, {"subject": "Bin\nmissed"},
     ["input", "subject"], "INVALID_CHARACTERS"),
    ("makeComplaint", "MakeComplaintInput", "resident", COMPLAINT, {"desiredOutcome": "x" * 6000},
     ["input", "desiredOutcome"], "TOO_LONG"),
    ("reportIssue", "ReportIssueInput", None, {"serviceCode": "LITTER", "description": "Bags split"},
     {"contactEmail": "a" * 5000 + "@example.org"}, ["input", "contactEmail"], "TOO_LONG"),
    ("reportIssue", "ReportIssueInput", None, {"serviceCode": "LITTER", "description": "Bags split"},
     {"contactEmail": "ada\x00@example.org"}, ["input", "contactEmail"], "INVALID_CHARACTERS"),
    ("reportIssue", "ReportIssueInput", None, {"serviceCode": "LITTER", "description": "Bags split"},
     {"attributes": [{"code": "TYPE", "value": "ok"}, {"code": "SIZE", "value": "\x1b[2J"}]},
     ["input", "attributes", "1", "value"], "INVALID_CHARACTERS"),
    ("reportIssue", "ReportIssueInput", None, {"serviceCode": "LITTER", "description": "Bags split"},
     {"location": {"address": "y" * 300}}, ["input", "location", "address"], "TOO_LONG"),
    ("makePayment", "MakePaymentInput", "resident",
     {"purpose": "COUNCIL_TAX", "amountPence": 100, "idempotencyKey": "k", "returnUrl": RETURN_URL},
     {"accountReference": "5000\x000001"}, ["input", "accountReference"], "INVALID_CHARACTERS"),
    ("notifyMove", "NotifyMoveInput", "resident", {"kind": "WITHIN", "moveDate": "2026-12-01"},
     {"newAddress": {"line1": "z" * 10_000, "postcode": "B79 7BZ"}}, ["input", "newAddress", "line1"], "TOO_LONG"),
    ("submitHousingApplication", "SubmitHousingApplicationInput", "resident",
     {"household": [{"relationship": "APPLICANT", "dateOfBirth": "1980-01-01"}], "currentTenure": "PRIVATE_RENTED",
      "reason": "Overcrowded", "incomeBand": "UNDER_15K"},
     {"reason": "Over\x08crowded"}, ["input", "reason"], "INVALID_CHARACTERS"),
    ("reportSafeguardingConcern", "ReportSafeguardingConcernInput", None,
     {"about": "CHILD", "description": "A child alone at night", "immediateDanger": False},
     {"description": "A child\x00 alone"}, ["input", "description"], "INVALID_CHARACTERS"),
    ("escalateComplaint", "EscalateComplaintInput", "resident", {"complaintId": "x", "reason": "No reply"},
     {"complaintId": "Q29tcGxhaW50\x00"}, ["input", "complaintId"], "INVALID_CHARACTERS"),
    ("defineService", "DefineServiceInput", "admin",
     {"code": "SKIP", "name": "Skip", "group": "Streets", "attributes": [], "signInRequired": False,
      "routeTo": "WASTE"},
     {"name": "Skip\x7f"}, ["input", "name"], "INVALID_CHARACTERS"),
    ("unmergeCustomer", "UnmergeCustomerInput", "steward", {"customerId": "x", "linkedRecordIds": []},
     {"linkedRecordIds": ["x", "y\x00"]}, ["input", "linkedRecordIds", "1"], "INVALID_CHARACTERS"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutation", "input_type", "who", "valid", "change", "field", "code"),
    REFUSALS,
    ids=[f"{r[0]}-{'.'.join(r[5][1:])}-{r[6]}" for r in REFUSALS],
)
async def test_control_characters_and_over_long_text_are_refused_with_user_errors(
    own_council, issuer, residents, staff_token, mutation, input_type, who, valid, change, field, code
):
    token = {
        None: None,
        "resident": issuer.resident_token(residents[5]["email"]),
        "admin": staff_token(Role.ADMIN),
        "steward": staff_token(Role.DATA_STEWARD),
    }[who]
    async with running_app(own_council) as (_, client):
        document = refusing(mutation, input_type)
        variables = {"input": {**valid, **change}}
        racing = await asyncio.gather(*(graphql(client, document, token, variables) for _ in range(2)))
        for response in racing:
            assert response.status_code == 200
            body = response.json()
            assert "errors" not in body, body["errors"]
            assert body["data"][mutation]["userErrors"] == [
                {"field": field, "code": code, "message": body["data"][mutation]["userErrors"][0]["message"]}
            ]
            assert "\x00" not in body["data"][mutation]["userErrors"][0]["message"]


# --- ids and searches on PostgreSQL (NUL cannot be stored there) ----------------------------------


def raw_id(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


async def test_nul_in_ids_searches_and_text_never_reaches_postgresql(demo_settings, issuer, residents, staff_token):
    probe = await redis_or_skip()
    await probe.aclose()
    async with fresh_postgres_database() as url:
        settings = replace(demo_settings, database_url=url, redis_url=REDIS_URL, cache_enabled=True)
        engine = create_engine(url)
        try:
            await migrate(engine)
            async with running_app(settings) as (app, client):
                await link_everyone(app.state.runtime.services.sources.by_system(), IdentityHub.on(engine), by="test")
                staff = staff_token(Role.CUSTOMER_SERVICES)
                resident = issuer.resident_token(residents[0]["email"])
                reads = [
                    ("query($id: ID!) { node(id: $id) { id } }", {"id": "Q3VzdG9tZXI6\x00"}, "node"),
                    ("query($id: ID!) { node(id: $id) { id } }", {"id": raw_id("Customer:\x00abc")}, "node"),
                    ("query($id: ID!) { node(id: $id) { id } }", {"id": raw_id("Complaint:C360-\x00")}, "node"),
                    ("query($id: ID!) { customer(id: $id) { id } }", {"id": raw_id("Customer:a\x00b")}, "customer"),
                    ("query($q: String!) { searchCustomers(query: $q) { edges { node { id } } } }",
                     {"q": "smith\x00"}, "searchCustomers"),
                    ("query($a: String) { searchCustomers(query: \"smith\", after: $a) { edges { node { id } } } }",
                     {"a": raw_id("SMITH\x00|x")}, "searchCustomers"),
                    ("query($r: String!) { safeguardingReceipt(reference: $r) { received } }",
                     {"r": "SG-\x00"}, "safeguardingReceipt"),
                ]  # fmt: skip
                for query, variables, field in reads:
                    body = (await graphql(client, query, staff, variables)).json()
                    codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
                    assert "INTERNAL_ERROR" not in codes, (field, body)
                    assert (body.get("data") or {}).get(field) in (None, {"edges": []}), (field, body)
                    if field in ("node", "customer"):  # an id no object can have names nothing: null, no error
                        assert body["data"][field] is None and not body.get("errors"), (field, body)
                complaint = {**COMPLAINT, "description": "Missed\x00 again"}
                make = refusing("makeComplaint", "MakeComplaintInput")
                body = (await graphql(client, make, resident, {"input": complaint})).json()
                assert body["data"]["makeComplaint"]["userErrors"][0]["code"] == "INVALID_CHARACTERS"
                escalate = refusing("escalateComplaint", "EscalateComplaintInput")
                escalation = {"complaintId": raw_id("Complaint:\x00"), "reason": "No reply"}
                body = (await graphql(client, escalate, resident, {"input": escalation})).json()
                assert body["data"]["escalateComplaint"]["userErrors"][0]["code"] == "NOT_FOUND", body
        finally:
            await engine.dispose()


async def test_a_huge_search_is_a_clear_bad_user_input(api, staff_token):
    _, client = api
    search = "query($q: String!) { searchCustomers(query: $q) { edges { node { id } } } }"
    staff = staff_token(Role.CUSTOMER_SERVICES)
    for query, reason in (("a " * 60_000, "TOO_LONG"), ("a b c d e f g", "TOO_MANY_TERMS")):
        response = await graphql(client, search, staff, {"q": query})
        assert response.status_code == 200
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "reason": reason, "field": ["query"]}
    found = (await graphql(client, search, staff, {"q": "  smith  "})).json()
    assert "errors" not in found


# --- return URLs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["https://evil.example/done", "https://my.tamworth.example@evil.example/", "javascript:alert(1)", "//evil.example"],
)
async def test_a_payment_cannot_send_the_payer_to_another_site(own_council, issuer, residents, url):
    async with running_app(replace(own_council, reconcile_interval_seconds=0)) as (_, client):
        token, account = await owing_resident(client, issuer, residents)
        request = {
            "purpose": "COUNCIL_TAX",
            "accountReference": account["reference"],
            "amountPence": 100,
            "idempotencyKey": "open-redirect",
            "returnUrl": url,
        }
        made = (await graphql(client, MAKE, token, {"input": request})).json()["data"]["makePayment"]
        assert made["payment"] is None
        assert [(e["field"], e["code"]) for e in made["userErrors"]] == [(["input", "returnUrl"], "INVALID_RETURN_URL")]


async def test_the_gateways_own_origin_is_an_allowed_return_url(own_council, issuer, residents):
    settings = replace(own_council, reconcile_interval_seconds=0, return_url_origins=())
    async with serving_app(settings) as (_, client):
        token, account = await owing_resident(client, issuer, residents)
        request = {
            "purpose": "COUNCIL_TAX",
            "accountReference": account["reference"],
            "amountPence": 100,
            "idempotencyKey": "own-origin",
            "returnUrl": f"{client.base_url}/done",
        }
        made = (await graphql(client, MAKE, token, {"input": request})).json()["data"]["makePayment"]
        assert made["userErrors"] == [] and made["payment"]["nextUrl"]
        refused = {**request, "idempotencyKey": "other", "returnUrl": RETURN_URL}
        again = (await graphql(client, MAKE, token, {"input": refused})).json()["data"]["makePayment"]
        assert again["userErrors"][0]["code"] == "INVALID_RETURN_URL"


# --- HTTP bodies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ['"x"', "1", "null", "true", "[1]", '[{"query": "{ services { code } }"}, 2]'])
async def test_a_json_body_that_is_not_an_operation_is_a_400(demo_settings, body):
    settings = replace(demo_settings, max_batch_operations=5)
    async with running_app(settings) as (_, client):
        response = await client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "The request body must be a JSON object (or, when batching, an array of them)",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]
    }


# --- logs -----------------------------------------------------------------------------------------


async def test_a_failed_validation_logs_no_input_value(api, issuer, residents, caplog):
    _, client = api
    token = issuer.resident_token(residents[1]["email"])
    secret_name, nino = "Philippa Quennell-Ashworth", "QQ123456C"
    make = refusing("makeComplaint", "MakeComplaintInput")
    with caplog.at_level(logging.DEBUG):
        bad_variable = {"input": {**COMPLAINT, "subject": f"{secret_name} {nino}", "serviceArea": 12, "nope": 1}}
        answer = (await graphql(client, make, token, bad_variable)).json()
        assert answer["errors"]  # refused before execution
        bad_enum = """mutation { reportSafeguardingConcern(input: {about: PHILIPPA_QQ123456C,
          description: "Philippa Quennell-Ashworth QQ123456C", immediateDanger: false}) { reference } }"""
        assert (await graphql(client, bad_enum, token)).json()["errors"]
        refused = {"input": {**COMPLAINT, "description": f"{secret_name}\x00 {nino}"}}
        body = (await graphql(client, make, token, refused)).json()
        assert body["data"]["makeComplaint"]["userErrors"][0]["code"] == "INVALID_CHARACTERS"
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {vars(r)}" for r in caplog.records)
    for secret in ("Quennell", "QQ123456C", "PHILIPPA"):
        assert secret not in text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert all(r.exc_info is None and not r.exc_text for r in caplog.records if r.levelno >= logging.INFO)
    assert any(r.name == "customer360.errors" and r.levelno == logging.INFO for r in caplog.records)


async def test_clients_get_the_error_messages_the_log_leaves_out(api, issuer, residents):
    """The log keeps values out, the client still learns what was wrong with what it sent."""
    _, client = api
    token = issuer.resident_token(residents[1]["email"])
    make = refusing("makeComplaint", "MakeComplaintInput")
    body = (await graphql(client, make, token, {"input": {**COMPLAINT, "nope": 1}})).json()
    assert "nope" in body["errors"][0]["message"]


async def test_an_http_client_reaches_the_boundary_over_real_http(own_council, issuer, residents):
    """The same refusals over a real socket (uvicorn's JSON parsing, not the test transport's)."""
    async with serving_app(own_council) as (_, client):
        response = await client.post("/graphql", content=b"null", headers={"Content-Type": "application/json"})
        assert response.status_code == 400
        token = issuer.resident_token(residents[2]["email"])
        make = refusing("makeComplaint", "MakeComplaintInput")
        body = (await graphql(client, make, token, {"input": {**COMPLAINT, "subject": "a\x00"}})).json()
        assert body["data"]["makeComplaint"]["userErrors"][0]["code"] == "INVALID_CHARACTERS"
