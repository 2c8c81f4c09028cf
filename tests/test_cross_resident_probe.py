"""A randomized probe: resident A tries every id that belongs to resident B, through every path; and
actor tokens (no grant, revoked, expired, VIEW scope) try to reach past the grant they were issued under.

Zero leaks allowed over at least 1,000 attempts: `me` never shows B's things, `customer` and `node`
answer null or FORBIDDEN, so does the subgraph's `_entities` for a representation of any entity type
of B's (what a council's gateway would send with A's token), and every mutation that takes an id or a
reference refuses with a userError and writes nothing.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import update

from customer360.clock import london_today
from customer360.schema.node import from_global_id, key_of
from customer360.store.tables import access_grants
from tests.support import graphql, running_app

B_OWNS = """
{ me { id councilTaxAccounts { id reference discounts { id } } complaints(first: 50) { edges { node { id reference } } }
  payments(first: 50) { edges { node { id } } } requests(first: 50) { edges { node { id reference } } }
  tenancies { id repairs(first: 20) { edges { node { id } } } } } }
"""
NODE = "query($id: ID!) { node(id: $id) { id } }"
CUSTOMER = "query($id: ID!) { customer(id: $id) { id name } }"
ESCALATE = """mutation($id: ID!) { escalateComplaint(input: {complaintId: $id, reason: "probe"}) {
  complaint { reference } userErrors { code } } }"""
APPLY_SPD = """mutation($ref: String!) { applySinglePersonDiscount(input: {accountReference: $ref,
  startsOn: "2026-11-01", declaration: true}) { discount { id } userErrors { code } } }"""
END_SPD = """mutation($ref: String!) { removeSinglePersonDiscount(input: {accountReference: $ref,
  endsOn: "2026-11-20"}) { discount { id } userErrors { code } } }"""
PAY = """mutation($ref: String!, $key: String!) {
  makePayment(input: {purpose: COUNCIL_TAX, accountReference: $ref, amountPence: 100, idempotencyKey: $key,
    returnUrl: "https://my.tamworth.example/r"}) { payment { id } userErrors { code } } }"""
ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"
ENTITY_TYPES = ("Customer", "CouncilTaxAccount", "ServiceRequest", "Tenancy")  # every @key type of the subgraph
ATTEMPTS = 1000


def owned_ids(me: dict) -> dict[str, list[str]]:
    accounts = me["councilTaxAccounts"]
    return {
        "customer": [me["id"]],
        "node": [
            me["id"],
            *(a["id"] for a in accounts),
            *(d["id"] for a in accounts for d in a["discounts"]),
            *(e["node"]["id"] for e in me["complaints"]["edges"]),
            *(e["node"]["id"] for e in me["payments"]["edges"]),
            *(t["id"] for t in me["tenancies"]),
            *(e["node"]["id"] for t in me["tenancies"] for e in t["repairs"]["edges"]),
        ],
        "complaint": [e["node"]["id"] for e in me["complaints"]["edges"]],
        "account": [a["reference"] for a in accounts],
        "entity": [
            {"__typename": "Customer", "id": me["id"]},
            *({"__typename": "CouncilTaxAccount", "id": a["id"]} for a in accounts),
            *({"__typename": "ServiceRequest", "id": e["node"]["id"]} for e in me["requests"]["edges"]),
            *({"__typename": "Tenancy", "id": t["id"]} for t in me["tenancies"]),
        ],
    }


def key_type(global_id: str) -> str:
    decoded = from_global_id(global_id)
    assert decoded is not None
    return decoded[0]


async def entities(client, token: str, representations: list[dict[str, str]]) -> dict:
    """The subgraph's `_entities`, asked as a council's gateway asks it: with the resident's own token."""
    answer = await client.post(
        "/subgraph",
        json={"query": ENTITIES, "variables": {"r": representations}},
        headers={"Authorization": f"Bearer {token}"},
    )
    return answer.json()


async def test_resident_a_never_reaches_resident_b(own_council, issuer, residents):
    settings = replace(own_council, rate_limit_per_ip=0, rate_limit_per_principal=0, reconcile_interval_seconds=0)
    rng = random.Random(360)
    async with running_app(settings) as (app, client):
        people = []
        for resident in residents[:12]:
            token = issuer.resident_token(resident["email"])
            me = (await graphql(client, B_OWNS, token)).json()["data"]["me"]
            people.append((token, me, owned_ids(me)))
        leaks = []
        for attempt in range(ATTEMPTS):
            (a_token, a_me, a_ids), (_, b_me, b_ids) = rng.sample(people, 2)
            path = rng.choice(["node", "customer", "entity", "escalate", "apply", "end", "pay", "me"])
            if path == "node" and b_ids["node"]:
                body = (await graphql(client, NODE, a_token, {"id": rng.choice(b_ids["node"])})).json()
                if body.get("data", {}).get("node"):
                    leaks.append((path, body))
            elif path == "customer":
                body = (await graphql(client, CUSTOMER, a_token, {"id": b_ids["customer"][0]})).json()
                if (body.get("data") or {}).get("customer"):
                    leaks.append((path, body))
            elif path == "entity":
                theirs = [e for e in b_ids["entity"] if e not in a_ids["entity"]]  # a shared account is A's too
                body = await entities(client, a_token, [rng.choice(theirs)])
                if any(body["data"]["_entities"]):
                    leaks.append((path, body))
            elif path == "escalate" and b_ids["complaint"]:
                body = (await graphql(client, ESCALATE, a_token, {"id": rng.choice(b_ids["complaint"])})).json()
                payload = body["data"]["escalateComplaint"]
                if payload["complaint"] or payload["userErrors"][0]["code"] != "NOT_FOUND":
                    leaks.append((path, body))
            elif path in ("apply", "end", "pay") and b_ids["account"]:
                reference = rng.choice(b_ids["account"])
                if reference in {x["reference"] for x in a_me["councilTaxAccounts"]}:
                    continue  # a shared household account is A's too
                query, field = {
                    "apply": (APPLY_SPD, "applySinglePersonDiscount"),
                    "end": (END_SPD, "removeSinglePersonDiscount"),
                    "pay": (PAY, "makePayment"),
                }[path]
                body = (await graphql(client, query, a_token, {"ref": reference, "key": f"probe-{attempt}"})).json()
                payload = body["data"][field]
                if payload.get("discount") or payload.get("payment") or payload["userErrors"][0]["code"] != "NOT_FOUND":
                    leaks.append((path, body))
            else:
                body = (await graphql(client, B_OWNS, a_token)).json()["data"]["me"]
                if body["id"] == b_me["id"] or set(owned_ids(body)["account"]) & set(b_ids["account"]) - set(
                    owned_ids(a_me)["account"]
                ):
                    leaks.append((path, body))
        # And every entity of each resident's neighbour's, all at once: every entity type is tried.
        tried = set()
        for (a_token, _, a_ids), (_, _, b_ids) in zip(people, people[1:] + people[:1], strict=True):
            theirs = [e for e in b_ids["entity"] if e not in a_ids["entity"]]
            tried |= {e["__typename"] for e in theirs}
            body = await entities(client, a_token, theirs)
            if any(body["data"]["_entities"]):
                leaks.append(("entities", body))
        assert tried == set(ENTITY_TYPES)
        # And node(id:) with every id of the neighbour's (tenancies among them): nothing either.
        kinds = set()
        for (a_token, _, a_ids), (_, _, b_ids) in zip(people, people[1:] + people[:1], strict=True):
            for global_id in (i for i in b_ids["node"] if i not in a_ids["node"]):  # a shared account is A's too
                kinds.add(key_type(global_id))
                body = (await graphql(client, NODE, a_token, {"id": global_id})).json()
                if body.get("data", {}).get("node") or "errors" in body:
                    leaks.append(("nodes", body))
        assert {"Customer", "CouncilTaxAccount", "Tenancy", "Repair"} <= kinds
        assert leaks == []
        assert await app.state.runtime.outbox.pending_count() == 0, "no probe wrote anything"


GRANT = """mutation($input: GrantAccessInput!) { grantAccess(input: $input) { grant { id } userErrors { code } } }"""
REVOKE = "mutation($id: ID!) { revokeAccess(input: {grantId: $id}) { grant { id } userErrors { code } } }"
ACT_FOR = "mutation($id: ID!) { actFor(input: {customerId: $id}) { token scope userErrors { code } } }"
MAKE = """mutation { makeComplaint(input: {subject: "probe", description: "probe"}) {
  complaint { reference } userErrors { code } } }"""
ACTOR_ATTEMPTS = 600


async def test_actor_tokens_never_reach_anyone_their_grant_does_not_cover(own_council, issuer, residents):
    """Each resident grants the next one access (ACT or VIEW); some grants are then revoked and some
    expire. Tokens under a live grant reach exactly the granting resident; no grant gives no token; a
    revoked or expired grant answers as if the resident did not exist; VIEW writes nothing."""
    settings = replace(own_council, rate_limit_per_ip=0, rate_limit_per_principal=0, reconcile_interval_seconds=0)
    rng = random.Random(8693)
    until = (london_today() + timedelta(days=30)).isoformat()
    async with running_app(settings) as (app, client):
        people = []
        for resident in residents[:10]:
            token = issuer.resident_token(resident["email"])
            me = (await graphql(client, B_OWNS, token)).json()["data"]["me"]
            people.append((resident["email"], token, me, owned_ids(me)))
        actors = []  # (state, scope, token, the granting resident's me, their ids)
        for index, (_, grantor_token, grantor_me, grantor_ids) in enumerate(people):
            delegate_email, delegate_token, _, _ = people[(index + 1) % len(people)]
            scope = "ACT" if index % 2 == 0 else "VIEW"
            wanted = {"delegateEmail": delegate_email, "relationship": "CARER", "scope": scope, "expiresOn": until}
            made = (await graphql(client, GRANT, grantor_token, {"input": wanted})).json()["data"]["grantAccess"]
            issued = (await graphql(client, ACT_FOR, delegate_token, {"id": grantor_me["id"]})).json()["data"]
            state = ("live", "revoked", "expired")[index % 3]
            actors.append([state, scope, issued["actFor"]["token"], grantor_me, grantor_ids, made["grant"]["id"]])
            # No grant, no token: the delegate asks for someone who did not choose them.
            stranger = people[(index + 3) % len(people)][2]["id"]
            refused = (await graphql(client, ACT_FOR, delegate_token, {"id": stranger})).json()["data"]["actFor"]
            assert refused["token"] is None and refused["userErrors"][0]["code"] == "NOT_FOUND"
        for actor in actors:
            grantor_token = next(p[1] for p in people if p[2]["id"] == actor[3]["id"])
            if actor[0] == "revoked":
                await graphql(client, REVOKE, grantor_token, {"id": actor[5]})
            elif actor[0] == "expired":
                grant_id = key_of("AccessGrant", actor[5])
                async with app.state.runtime.outbox._engine.begin() as conn:
                    ended = london_today() - timedelta(days=1)
                    await conn.execute(
                        update(access_grants).where(access_grants.c.id == grant_id).values(expires_on=ended)
                    )
                await app.state.runtime.services.grants.forget(
                    await app.state.runtime.services.grants.store.get(grant_id), london_today()
                )

        leaks = []
        for _ in range(ACTOR_ATTEMPTS):
            state, scope, token, grantor_me, _, _ = rng.choice(actors)
            *_, b_ids = rng.choice([p for p in people if p[2]["id"] != grantor_me["id"]])
            path = rng.choice(["me", "node", "customer", "escalate", "apply", "make"])
            if path == "me":
                me = (await graphql(client, B_OWNS, token)).json()["data"]["me"]
                expected = grantor_me["id"] if state == "live" else None
                if (me or {}).get("id") != expected:
                    leaks.append((state, path, me))
            elif path == "node" and b_ids["node"]:
                body = (await graphql(client, NODE, token, {"id": rng.choice(b_ids["node"])})).json()
                if (body.get("data") or {}).get("node"):
                    leaks.append((state, path, body))
            elif path == "customer":
                body = (
                    await graphql(
                        client, CUSTOMER, token, {"id": rng.choice([b_ids, owned_ids(grantor_me)])["customer"][0]}
                    )
                ).json()
                if (body.get("data") or {}).get("customer"):
                    leaks.append((state, path, body))
            elif path == "escalate" and b_ids["complaint"]:
                body = (await graphql(client, ESCALATE, token, {"id": rng.choice(b_ids["complaint"])})).json()
                payload = (body.get("data") or {}).get("escalateComplaint")
                if payload and (payload["complaint"] or payload["userErrors"][0]["code"] != "NOT_FOUND"):
                    leaks.append((state, path, body))
            elif path == "apply" and b_ids["account"]:
                reference = rng.choice(b_ids["account"])
                if reference in {x["reference"] for x in grantor_me["councilTaxAccounts"]}:
                    continue  # a shared household account is the grantor's too
                body = (await graphql(client, APPLY_SPD, token, {"ref": reference})).json()
                payload = (body.get("data") or {}).get("applySinglePersonDiscount")
                if payload and (payload["discount"] or payload["userErrors"][0]["code"] != "NOT_FOUND"):
                    leaks.append((state, path, body))
            elif path == "make" and not (state == "live" and scope == "ACT"):
                body = (await graphql(client, MAKE, token)).json()
                if body.get("data") or body["errors"][0]["extensions"]["code"] != "FORBIDDEN":
                    leaks.append((state, path, body))
        assert leaks == []
        assert await app.state.runtime.outbox.pending_count() == 0, "no probe wrote anything"
