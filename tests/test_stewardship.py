"""Golden-record stewardship end to end: the review queue, confirm and reject, merge and an exact
unmerge, with the residents' `me` following each change; and records matched on arrival."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from customer360.auth.principal import Role
from customer360.commands.relay import drain
from customer360.domain.people import NewContact, PostalAddress
from customer360.domain.problems import CommonCode
from customer360.domain.stewardship import (
    StewardCode,
    merge_problems,
    restored_customer,
    survivor_of,
    unmerge_problems,
)
from customer360.domain.systems import SourceSystem
from customer360.identity.arrivals import match_arrivals
from customer360.identity.survivorship import golden_record
from customer360.schema.node import from_global_id
from customer360.store.customers import CustomersChanged, NewLink
from customer360.store.identity import ProposedPair
from tests.support import graphql, running_app

CRM, REVENUES, HOUSING = SourceSystem.CRM, SourceSystem.REVENUES, SourceSystem.HOUSING

QUEUE = """
query($first: Int, $after: String) {
  matchReviewQueue(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id probability matchWeight state proposedAt
      left { system recordId customerId name dateOfBirth }
      right { system recordId customerId name dateOfBirth }
      evidence { comparison level weight } } }
  }
}"""
ME = "{ me { id name linkedRecords { id system recordId rule } fieldSources { field system } } }"
CONFIRM = """mutation($id: ID!) { confirmMatch(input: {candidateId: $id}) {
  candidate { id state } customer { id linkedRecords { system recordId } } userErrors { field code message } } }"""
REJECT = """mutation($id: ID!) { rejectMatch(input: {candidateId: $id}) {
  candidate { id state } userErrors { field code message } } }"""
MERGE = """mutation($survivor: ID!, $merged: ID!) { mergeCustomers(input: {survivorId: $survivor, mergedId: $merged}) {
  customer { id linkedRecords { id system recordId rule } } userErrors { field code message } } }"""
UNMERGE = """mutation($customer: ID!, $records: [ID!]!) {
  unmergeCustomer(input: {customerId: $customer, linkedRecordIds: $records}) {
    customers { id linkedRecords { id system recordId } } restored userErrors { field code message } } }"""


def _data(response: Any) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body["errors"]
    return body["data"]


def _keys(records: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(r["system"], r["recordId"]) for r in records}


# --- the rules, table-driven ---------------------------------------------------------------------

A, B, C = (REVENUES, "R1"), (CRM, "C1"), (HOUSING, "H1")


@pytest.mark.parametrize(
    ("linked", "requested", "code"),
    [
        ([A, B, C], [B], None),
        ([A, B, C], [B, C], None),
        ([A, B, C], [], StewardCode.NOTHING_TO_SPLIT),
        ([A, B], [C], StewardCode.NOT_LINKED),
        ([A, B], [A, B], StewardCode.WOULD_EMPTY),
        ([A, B], [B, A, B], StewardCode.WOULD_EMPTY),
    ],
)
def test_unmerge_rules(linked, requested, code):
    problems = unmerge_problems(linked, requested)
    assert [p.code for p in problems] == ([code] if code else [])
    assert all(p.field == ("input", "linkedRecordIds") for p in problems)


@pytest.mark.parametrize(
    ("requested", "previous", "merged_here", "restored"),
    [
        ([B, C], {B: "x", C: "x"}, {"x"}, "x"),  # exactly what a merge brought in: that customer is back
        ([B], {B: "x", C: "x"}, {"x"}, "x"),  # part of it: still theirs
        ([B, C], {B: "x", C: "y"}, {"x", "y"}, None),  # from two merges: a new customer
        ([B], {B: "x"}, set(), None),  # x was never merged here (a split off an unmerge, say)
        ([B], {}, set(), None),  # linked here from the start
        ([B, C], {B: "x"}, {"x"}, "x"),  # C was linked while merged (made for x's request): it goes along
        ([B, C], {B: "x"}, {"y"}, None),  # x is not merged here
    ],
)
def test_which_customer_an_unmerge_restores(requested, previous, merged_here, restored):
    assert restored_customer(requested, previous, merged_here) == restored


@pytest.mark.parametrize(
    ("first", "second", "survivor"),
    [(("a", 3), ("b", 1), "a"), (("a", 1), ("b", 3), "b"), (("b", 2), ("a", 2), "a")],
)
def test_the_customer_with_more_records_survives_a_confirmed_match(first, second, survivor):
    assert survivor_of(first, second)[0] == survivor


def test_a_customer_cannot_be_merged_into_itself():
    (problem,) = merge_problems("x", "x")
    assert (problem.field, problem.code) == (("input", "mergedId"), StewardCode.SAME_CUSTOMER)


# --- through the API ------------------------------------------------------------------------------


async def test_the_review_queue_shows_pairs_with_their_evidence_to_stewards_only(api, staff_token, issuer, residents):
    _app, client = api
    steward = staff_token(Role.DATA_STEWARD)
    first = _data(await graphql(client, QUEUE, steward, {"first": 5}))["matchReviewQueue"]
    edges = first["edges"]
    assert len(edges) == 5 and first["totalCount"] > 5 and first["pageInfo"]["hasNextPage"]
    probabilities = [e["node"]["probability"] for e in edges]
    assert probabilities == sorted(probabilities, reverse=True)
    for edge in edges:
        node = edge["node"]
        assert 0.5 <= node["probability"] <= 1 and node["state"] == "OPEN"
        assert node["left"]["customerId"] != node["right"]["customerId"]  # the rules left them apart
        assert node["left"]["name"] and node["right"]["name"]
        assert {e["comparison"] for e in node["evidence"]} >= {"forename", "surname"}
    second = _data(await graphql(client, QUEUE, steward, {"first": 5, "after": first["pageInfo"]["endCursor"]}))
    assert not {e["node"]["id"] for e in edges} & {e["node"]["id"] for e in second["matchReviewQueue"]["edges"]}

    for token in (staff_token(Role.CUSTOMER_SERVICES), issuer.resident_token(residents[0]["email"])):
        body = (await graphql(client, QUEUE, token, {"first": 5})).json()
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_confirming_a_pair_makes_one_customer_and_rejecting_one_is_remembered(own_council, staff_token):
    steward = staff_token(Role.DATA_STEWARD)
    async with running_app(own_council) as (app, client):
        edges = _data(await graphql(client, QUEUE, steward, {"first": 2}))["matchReviewQueue"]["edges"]
        confirmed, rejected = edges[0]["node"], edges[1]["node"]

        outcome = _data(await graphql(client, CONFIRM, steward, {"id": confirmed["id"]}))["confirmMatch"]
        assert outcome["userErrors"] == [] and outcome["candidate"]["state"] == "CONFIRMED"
        both = {(s["system"], s["recordId"]) for s in (confirmed["left"], confirmed["right"])}
        assert both <= _keys(outcome["customer"]["linkedRecords"])
        again = _data(await graphql(client, CONFIRM, steward, {"id": confirmed["id"]}))["confirmMatch"]
        assert [e["code"] for e in again["userErrors"]] == [StewardCode.ALREADY_DECIDED.value]

        outcome = _data(await graphql(client, REJECT, steward, {"id": rejected["id"]}))["rejectMatch"]
        assert outcome["candidate"]["state"] == "REJECTED"
        listed = _data(await graphql(client, QUEUE, steward, {"first": 100}))["matchReviewQueue"]["edges"]
        assert rejected["id"] not in {e["node"]["id"] for e in listed}
        # A later matching run proposing the same pair again is ignored: the rejection is remembered.
        left = (SourceSystem(rejected["left"]["system"]), rejected["left"]["recordId"])
        right = (SourceSystem(rejected["right"]["system"]), rejected["right"]["recordId"])
        assert await app.state.runtime.identity.review.propose([ProposedPair(right, left, 0.9, 3.0, {})]) == 0

        actions = [e.action for e in await app.state.runtime.services.audit.by_action(["identity.match_confirmed"])]
        assert actions == ["identity.match_confirmed"]


async def test_a_merge_is_undone_exactly_and_each_residents_me_follows(own_council, staff_token, issuer, residents):
    steward = staff_token(Role.DATA_STEWARD)
    kept, absorbed = residents[0], residents[1]
    kept_token, absorbed_token = issuer.resident_token(kept["email"]), issuer.resident_token(absorbed["email"])
    async with running_app(own_council) as (app, client):
        kept_before = _data(await graphql(client, ME, kept_token))["me"]
        absorbed_before = _data(await graphql(client, ME, absorbed_token))["me"]

        merged = _data(
            await graphql(client, MERGE, steward, {"survivor": kept_before["id"], "merged": absorbed_before["id"]})
        )["mergeCustomers"]
        assert merged["userErrors"] == []
        expected = _keys(kept_before["linkedRecords"]) | _keys(absorbed_before["linkedRecords"])
        assert _keys(merged["customer"]["linkedRecords"]) == expected
        # The absorbed resident still signs in with their own verified email, and finds the merged record.
        assert _data(await graphql(client, ME, absorbed_token))["me"]["id"] == kept_before["id"]

        split_off = [r["id"] for r in absorbed_before["linkedRecords"]]
        undone = _data(await graphql(client, UNMERGE, steward, {"customer": kept_before["id"], "records": split_off}))[
            "unmergeCustomer"
        ]
        assert undone["userErrors"] == [] and undone["restored"] is True
        remaining, restored = undone["customers"]
        assert restored["id"] == absorbed_before["id"]
        assert _keys(restored["linkedRecords"]) == _keys(absorbed_before["linkedRecords"])
        assert _keys(remaining["linkedRecords"]) == _keys(kept_before["linkedRecords"])
        kept_after = _data(await graphql(client, ME, kept_token))["me"]
        absorbed_after = _data(await graphql(client, ME, absorbed_token))["me"]
        assert (kept_after["id"], kept_after["name"]) == (kept_before["id"], kept_before["name"])
        assert (absorbed_after["id"], absorbed_after["name"]) == (absorbed_before["id"], absorbed_before["name"])
        assert absorbed_after["fieldSources"] == absorbed_before["fieldSources"]

        audited = await app.state.runtime.services.audit.by_action(["identity.merge", "identity.unmerge"])
        kept_id = from_global_id(kept_before["id"])[1]
        assert [(e.action, e.customer_id) for e in audited][:2] == [
            ("identity.merge", kept_id),
            ("identity.unmerge", kept_id),
        ]
        assert all(e.role == "data_steward" and "@" not in str(e.detail) for e in audited)


async def test_steward_mistakes_and_other_roles_get_user_errors(own_council, staff_token, residents, issuer):
    steward = staff_token(Role.DATA_STEWARD)
    async with running_app(own_council) as (_app, client):
        me = _data(await graphql(client, ME, issuer.resident_token(residents[0]["email"])))["me"]
        other = _data(await graphql(client, ME, issuer.resident_token(residents[1]["email"])))["me"]
        cases = [
            (MERGE, steward, {"survivor": me["id"], "merged": me["id"]}, ["input", "mergedId"], "SAME_CUSTOMER"),
            (MERGE, steward, {"survivor": me["id"], "merged": "nonsense"}, ["input", "mergedId"], "NOT_FOUND"),
            (
                MERGE,
                staff_token(Role.CUSTOMER_SERVICES),
                {"survivor": me["id"], "merged": other["id"]},
                None,
                CommonCode.FORBIDDEN.value,
            ),
            (
                UNMERGE,
                steward,
                {"customer": me["id"], "records": [r["id"] for r in me["linkedRecords"]]},
                ["input", "linkedRecordIds"],
                "WOULD_EMPTY",
            ),
            (
                UNMERGE,
                steward,
                {"customer": me["id"], "records": [other["linkedRecords"][0]["id"]]},
                ["input", "linkedRecordIds"],
                "NOT_LINKED",
            ),
            (CONFIRM, steward, {"id": me["id"]}, ["input", "candidateId"], "NOT_FOUND"),
        ]
        for document, token, variables, field, code in cases:
            payload = next(iter(_data(await graphql(client, document, token, variables)).values()))
            assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, code)], (document, variables)
        # Nothing changed.
        assert _data(await graphql(client, ME, issuer.resident_token(residents[0]["email"])))["me"] == me


async def test_records_arriving_later_join_their_person_or_start_a_customer(own_council, issuer, residents):
    resident = residents[2]
    token = issuer.resident_token(resident["email"])
    async with running_app(own_council) as (app, client):
        runtime = app.state.runtime
        me = _data(await graphql(client, ME, token))["me"]
        known = await runtime.identity.people.by_key(
            [(SourceSystem(r["system"]), r["recordId"]) for r in me["linkedRecords"]]
        )
        person = next(r for r in known.values() if r.date_of_birth and r.address)
        crm = runtime.services.sources.by_system()[CRM]
        now = datetime.now(UTC)
        # The same resident walks into the contact centre: a new CRM contact, typed afresh.
        twin_entry = await crm.create_contact(
            NewContact(
                external_reference="walk-in-1",
                forenames=person.forenames.upper(),
                surname=person.surname,
                created_at=now,
                phone=person.phone,
                date_of_birth=person.date_of_birth,
                address=person.address,
            )
        )
        stranger = await crm.create_contact(
            NewContact(
                external_reference="walk-in-2",
                forenames="Zebedee",
                surname="Quillfeather",
                created_at=now,
                date_of_birth=date(1961, 2, 3),
                address=PostalAddress("1 Nowhere Lane", "B79 9ZZ", town="Tamworth"),
            )
        )

        summary = await match_arrivals(
            runtime.services.sources.by_system(), runtime.identity, own_council.match_model_path, by="test"
        )
        assert (summary.arrived, summary.linked, summary.new_customers) == (2, 1, 1)
        after = _data(await graphql(client, ME, token))["me"]
        assert ("CRM", twin_entry) in _keys(after["linkedRecords"])
        assert next(r["rule"] for r in after["linkedRecords"] if r["recordId"] == twin_entry) == "model"
        owners = await runtime.identity.customers.owners_of([(CRM, stranger)])
        resident_id = from_global_id(me["id"])[1]
        assert owners[(CRM, stranger)] != resident_id
        stranger_golden = await runtime.identity.customers.customers_by_id([owners[(CRM, stranger)]])
        assert stranger_golden[owners[(CRM, stranger)]].surname == "Quillfeather"
        # A second run finds nothing new: arrivals are matched once.
        again = await match_arrivals(
            runtime.services.sources.by_system(), runtime.identity, own_council.match_model_path, by="t"
        )
        assert again.arrived == 0


async def _person_split_in_two(runtime, token, client):  # type: ignore[no-untyped-def]
    """A resident's customer, with one record (that has a date of birth and an address) split off into a
    customer of its own, as a linking run that missed the link would have left it."""
    me = _data(await graphql(client, ME, token))["me"]
    customer_id = from_global_id(me["id"])[1]
    keys = [(SourceSystem(r["system"]), r["recordId"]) for r in me["linkedRecords"]]
    known = await runtime.identity.people.by_key(keys)
    person = next(r for r in known.values() if r.date_of_birth and r.address and r.system is not REVENUES)
    rest = [known[k] for k in keys if k in known and k != (person.system, person.record_id)]
    split_off = f"{customer_id}-missed"
    await runtime.identity.customers.split(
        golden_record(customer_id, rest), golden_record(split_off, [person]), [(person.system, person.record_id)],
        by="linking", rule="model",
    )  # fmt: skip
    return me, person


async def _walk_in(runtime, person, reference: str) -> str:  # type: ignore[no-untyped-def]
    """The same person walks into the contact centre: a new CRM contact, their details typed afresh."""
    crm = runtime.services.sources.by_system()[CRM]
    return await crm.create_contact(
        NewContact(
            external_reference=reference,
            forenames=person.forenames.upper(),
            surname=person.surname,
            created_at=datetime.now(UTC),
            phone=person.phone,
            date_of_birth=person.date_of_birth,
            address=person.address,
        )
    )


async def test_an_arrival_that_shows_two_customers_to_be_one_person_merges_them(own_council, issuer, residents):
    token = issuer.resident_token(residents[2]["email"])
    async with running_app(own_council) as (app, client):
        runtime = app.state.runtime
        before, person = await _person_split_in_two(runtime, token, client)
        walk_in = await _walk_in(runtime, person, "walk-in-bridge")

        summary = await match_arrivals(
            runtime.services.sources.by_system(), runtime.identity, own_council.match_model_path, by="test"
        )
        assert (summary.arrived, summary.linked, summary.merged) == (1, 1, 1)
        after = _data(await graphql(client, ME, token))["me"]
        assert _keys(after["linkedRecords"]) == _keys(before["linkedRecords"]) | {("CRM", walk_in)}
        owners = await runtime.identity.customers.owners_of([(person.system, person.record_id), (CRM, walk_in)])
        assert len(set(owners.values())) == 1


async def test_an_arrival_never_undoes_a_stewards_split_it_asks_instead(own_council, staff_token, issuer, residents):
    steward = staff_token(Role.DATA_STEWARD)
    token = issuer.resident_token(residents[2]["email"])
    async with running_app(own_council) as (app, client):
        runtime = app.state.runtime
        me = _data(await graphql(client, ME, token))["me"]
        keys = [(SourceSystem(r["system"]), r["recordId"]) for r in me["linkedRecords"]]
        known = await runtime.identity.people.by_key(keys)
        person = next(r for r in known.values() if r.date_of_birth and r.address and r.system is not REVENUES)
        record = next(r["id"] for r in me["linkedRecords"] if r["recordId"] == person.record_id)
        split = _data(await graphql(client, UNMERGE, steward, {"customer": me["id"], "records": [record]}))
        assert split["unmergeCustomer"]["userErrors"] == []
        walk_in = await _walk_in(runtime, person, "walk-in-after-steward")

        summary = await match_arrivals(
            runtime.services.sources.by_system(), runtime.identity, own_council.match_model_path, by="test"
        )
        assert (summary.arrived, summary.linked, summary.merged) == (1, 1, 0)
        assert summary.queued >= 1  # the pairs with the other customer's records, for the steward to decide
        owners = await runtime.identity.customers.owners_of([(person.system, person.record_id)])
        assert owners[(person.system, person.record_id)] != from_global_id(me["id"])[1]  # the split stands
        queue = _data(await graphql(client, QUEUE, steward, {"first": 100}))["matchReviewQueue"]
        asked = {
            frozenset({(e["node"]["left"]["system"], e["node"]["left"]["recordId"]),
                       (e["node"]["right"]["system"], e["node"]["right"]["recordId"])})
            for e in queue["edges"]
        }  # fmt: skip
        assert any(("CRM", walk_in) in pair for pair in asked)


async def test_a_model_saved_by_another_matcher_version_is_trained_anew(own_council):
    saved = json.loads(own_council.match_model_path.read_text())
    saved["comparisons"].pop("forename")  # as if written by a version with other comparisons
    own_council.match_model_path.write_text(json.dumps(saved))
    async with running_app(own_council) as (app, _client):
        runtime = app.state.runtime
        crm = runtime.services.sources.by_system()[CRM]
        await crm.create_contact(
            NewContact(
                external_reference="walk-in-3", forenames="Ada", surname="Lovelace", created_at=datetime.now(UTC)
            )
        )
        summary = await match_arrivals(
            runtime.services.sources.by_system(), runtime.identity, own_council.match_model_path, by="test"
        )
    assert (summary.arrived, summary.new_customers) == (1, 1)
    assert "forename" in json.loads(own_council.match_model_path.read_text())["comparisons"]


async def test_a_steward_change_without_a_purpose_is_refused_before_anything_changes(own_council, staff_token):
    steward = staff_token(Role.DATA_STEWARD)
    async with running_app(own_council) as (_app, client):
        first = _data(await graphql(client, QUEUE, steward, {"first": 1}))["matchReviewQueue"]["edges"][0]["node"]
        response = await client.post(
            "/graphql",
            json={"query": CONFIRM, "variables": {"id": first["id"]}},
            headers={"Authorization": f"Bearer {steward}"},  # no X-Access-Purpose
        )
        assert response.json()["errors"][0]["extensions"]["code"] == "PURPOSE_REQUIRED"
        still = _data(await graphql(client, QUEUE, steward, {"first": 1}))["matchReviewQueue"]["edges"][0]["node"]
        assert (still["id"], still["state"]) == (first["id"], "OPEN")


async def test_a_resident_sees_records_management_in_their_access_log(own_council, staff_token, issuer, residents):
    log = "{ me { accessLog(first: 50) { edges { node { team purpose } } } } }"
    kept, absorbed = (issuer.resident_token(residents[i]["email"]) for i in (0, 1))
    async with running_app(own_council) as (_app, client):
        ids = [_data(await graphql(client, ME, token))["me"]["id"] for token in (kept, absorbed)]
        merged = _data(
            await graphql(client, MERGE, staff_token(Role.DATA_STEWARD), {"survivor": ids[0], "merged": ids[1]})
        )["mergeCustomers"]
        assert merged["userErrors"] == []
        entries = [e["node"] for e in _data(await graphql(client, log, kept))["me"]["accessLog"]["edges"]]
        assert {"team": "Records management", "purpose": "golden record stewardship"} in entries


async def test_the_store_refuses_a_merge_or_split_that_another_change_overtook(own_council, residents):
    async with running_app(own_council) as (app, _client):
        customers = app.state.runtime.identity.customers
        a, b = (from_global_id(residents[i]["customer_id"])[1] for i in (0, 1))
        golden = await customers.customers_by_id([a, b])
        b_records = await customers.active_records(b)
        await customers.merge(golden[a], b, by="first steward", rule="steward_merge")
        with pytest.raises(CustomersChanged):  # the second steward still saw b as a customer
            await customers.merge(golden[a], b, by="second steward", rule="steward_merge")
        with pytest.raises(CustomersChanged):  # b's records are a's now, not b's to give away
            await customers.split(golden[b], golden[a], b_records, by="second steward", rule="steward_unmerge")
        assert set(b_records) <= set(await customers.active_records(a))


async def test_a_record_linked_meanwhile_is_not_attached_twice(own_council, residents):
    async with running_app(own_council) as (app, _client):
        customers = app.state.runtime.identity.customers
        owner = from_global_id(residents[0]["customer_id"])[1]
        record = (await customers.active_records(owner))[0]
        golden = (await customers.customers_by_id([owner]))[owner]
        again = NewLink(owner, record[0], record[1], 1.0, "arrival")
        assert await customers.attach(golden, again, by="test") is False
        assert (await customers.active_records(owner)).count(record) == 1


async def test_what_a_merged_customer_asked_for_follows_the_merge_and_comes_back_with_the_unmerge(
    own_council, staff_token, issuer, residents
):
    requests = """{ me { id requests(first: 100) { edges { node { reference } } }
      accessLog(first: 100) { edges { node { team } } } } }"""
    steward = staff_token(Role.DATA_STEWARD)
    kept, absorbed = (issuer.resident_token(residents[i]["email"]) for i in (0, 1))
    complaint = {"subject": "Bins", "description": "Not collected on Tuesday."}
    make = "mutation($input: MakeComplaintInput!) { makeComplaint(input: $input) { complaint { reference } } }"
    async with running_app(replace(own_council, demo_sources_down=frozenset({CRM}))) as (app, client):
        kept_me = _data(await graphql(client, ME, kept))["me"]
        absorbed_me = _data(await graphql(client, ME, absorbed))["me"]
        await graphql(client, "query($id: ID!) { customer(id: $id) { name } }", staff_token(Role.CUSTOMER_SERVICES),
                      {"id": absorbed_me["id"]})  # fmt: skip
        made = _data(await graphql(client, make, absorbed, {"input": complaint}))["makeComplaint"]["complaint"]
        merged = _data(await graphql(client, MERGE, steward, {"survivor": kept_me["id"], "merged": absorbed_me["id"]}))
        assert merged["mergeCustomers"]["userErrors"] == []
        after = (await graphql(client, requests, kept)).json()["data"]["me"]  # CRM down: a partial answer
        assert made["reference"] in {e["node"]["reference"] for e in after["requests"]["edges"]}
        assert "Customer services" in {e["node"]["team"] for e in after["accessLog"]["edges"]}  # read before the merge

        app.state.runtime.faults.down.clear()  # the CRM is back: the complaint is delivered now
        await drain(app.state.runtime.services.writes.deliverer)
        after = _data(await graphql(client, ME, kept))["me"]
        new_links = (
            _keys(after["linkedRecords"]) - _keys(kept_me["linkedRecords"]) - _keys(absorbed_me["linkedRecords"])
        )
        assert all(system == "CRM" for system, _ in new_links)  # the CRM contact made on delivery joined the survivor

        # The steward splits off the absorbed resident's records and the contact made for their complaint
        # while merged: the absorbed customer comes back, with that contact and their submission.
        split_off = [r["id"] for r in after["linkedRecords"] if (r["system"], r["recordId"]) in
                     _keys(absorbed_me["linkedRecords"]) | new_links]  # fmt: skip
        undone = _data(await graphql(client, UNMERGE, steward, {"customer": kept_me["id"], "records": split_off}))
        assert undone["unmergeCustomer"]["userErrors"] == []
        restored = _data(await graphql(client, requests, absorbed))["me"]
        assert made["reference"] in {e["node"]["reference"] for e in restored["requests"]["edges"]}
        assert undone["unmergeCustomer"]["restored"] is True
        assert restored["id"] == absorbed_me["id"]
        kept_after = _data(await graphql(client, requests, kept))["me"]
        assert made["reference"] not in {e["node"]["reference"] for e in kept_after["requests"]["edges"]}
