"""A randomized probe: resident A tries every id that belongs to resident B, through every path.

Zero leaks allowed over at least 1,000 attempts: `me` never shows B's things, `customer` and `node`
answer null or FORBIDDEN, and every mutation that takes an id or a reference refuses with a
userError and writes nothing.
"""

from __future__ import annotations

import random
from dataclasses import replace

from tests.support import graphql, running_app

B_OWNS = """
{ me { id councilTaxAccounts { id reference discounts { id } } complaints(first: 50) { edges { node { id reference } } }
  payments(first: 50) { edges { node { id } } } requests(first: 50) { edges { node { id reference } } } } }
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
        ],
        "complaint": [e["node"]["id"] for e in me["complaints"]["edges"]],
        "account": [a["reference"] for a in accounts],
    }


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
            (a_token, a_me, _), (_, b_me, b_ids) = rng.sample(people, 2)
            path = rng.choice(["node", "customer", "escalate", "apply", "end", "pay", "me"])
            if path == "node" and b_ids["node"]:
                body = (await graphql(client, NODE, a_token, {"id": rng.choice(b_ids["node"])})).json()
                if body.get("data", {}).get("node"):
                    leaks.append((path, body))
            elif path == "customer":
                body = (await graphql(client, CUSTOMER, a_token, {"id": b_ids["customer"][0]})).json()
                if (body.get("data") or {}).get("customer"):
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
        assert leaks == []
        assert await app.state.runtime.outbox.pending_count() == 0, "no probe wrote anything"
