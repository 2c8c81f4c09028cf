"""The portal's "People who can act for you" and "People you can act for": what the API says of the
resident's grants, and nothing of anyone else's."""

from __future__ import annotations

from datetime import timedelta

import httpx

from customer360.clock import london_today
from customer360.portal.access import WHO_CAN_ACT, WHO_YOU_ACT_FOR
from tests.portal_support import sign_in
from tests.support import graphql, running_app

GRANT = """mutation($input: GrantAccessInput!) { grantAccess(input: $input) { grant { id } userErrors { code } } }"""
REVOKE = "mutation($id: ID!) { revokeAccess(input: {grantId: $id}) { grant { id } userErrors { code } } }"
NAME = "{ me { name } }"


async def test_each_side_of_a_grant_sees_it_and_a_revoked_one_is_gone(own_council, issuer, residents):
    cared_for, carer, stranger = residents[1], residents[2], residents[3]
    until = london_today() + timedelta(days=30)
    async with running_app(own_council) as (app, api):
        token = issuer.resident_token(cared_for["email"])
        wanted = {
            "delegateEmail": carer["email"],
            "relationship": "CARER",
            "scope": "ACT",
            "expiresOn": until.isoformat(),
        }
        grant = (await graphql(api, GRANT, token, {"input": wanted})).json()["data"]["grantAccess"]["grant"]
        name = (await graphql(api, NAME, token)).json()["data"]["me"]["name"]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as portal:
            await sign_in(portal, cared_for["email"])
            given = await portal.get(WHO_CAN_ACT)
            assert (
                given.status_code == 200
                and carer["email"].lower() in given.text.lower()
                and "See and act for you" in given.text
            )
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as portal:
            await sign_in(portal, carer["email"])
            held = await portal.get(WHO_YOU_ACT_FOR)
            assert held.status_code == 200 and name in held.text
            assert "Nobody can act for you" in (await portal.get(WHO_CAN_ACT)).text
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as portal:
            await sign_in(portal, stranger["email"])
            assert name not in (await portal.get(WHO_YOU_ACT_FOR)).text
        await graphql(api, REVOKE, token, {"id": grant["id"]})
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as portal:
            await sign_in(portal, carer["email"])
            assert "Nobody has let you act for them" in (await portal.get(WHO_YOU_ACT_FOR)).text
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as portal:
            assert (await portal.get(WHO_CAN_ACT)).status_code in (302, 303), "signed out: sent to sign in"
