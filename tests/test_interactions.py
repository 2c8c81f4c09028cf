"""Every mutation is audited, and residents' portal services leave an analytics event with no personal data."""

from __future__ import annotations

from sqlalchemy import select

from customer360.auth.principal import Role
from customer360.store.audit import AuditLog
from customer360.store.database import create_engine
from customer360.store.tables import events
from tests.support import graphql, running_app

COMPLAIN = """mutation { makeComplaint(input: {subject: "Noise", description: "Loud music every night"}) {
  complaint { reference } userErrors { code } } }"""
BLANK = """mutation { makeComplaint(input: {subject: "", description: "x"}) {
  complaint { reference } userErrors { code } } }"""


async def test_mutations_are_audited_and_recorded_as_events(own_council, issuer, residents, staff_token):
    actions = ["mutation.makeComplaint", "mutation.retireService"]
    engine = create_engine(own_council.gateway_database_url)
    try:  # the council is a copy of one other tests used: what they left is not this test's
        earlier = len(await AuditLog(engine).by_action(actions))
    finally:
        await engine.dispose()
    async with running_app(own_council) as (_, client):
        token = issuer.resident_token(residents[0]["email"])
        assert (await graphql(client, COMPLAIN, token)).json()["data"]["makeComplaint"]["userErrors"] == []
        assert (await graphql(client, BLANK, token)).json()["data"]["makeComplaint"]["userErrors"]
        retire = 'mutation { retireService(input: {code: "NO_SUCH"}) { userErrors { code } } }'
        await graphql(client, retire, staff_token(Role.ADMIN))
    engine = create_engine(own_council.gateway_database_url)
    try:
        audited = (await AuditLog(engine).by_action(actions))[earlier:]
        async with engine.connect() as conn:
            rows = (await conn.execute(select(events).where(events.c.service_code == "COMPLAINT"))).all()
    finally:
        await engine.dispose()
    assert [(e.action, e.detail["outcome"]) for e in audited] == [
        ("mutation.makeComplaint", "OK"),
        ("mutation.makeComplaint", "REQUIRED"),
        ("mutation.retireService", "NOT_FOUND"),
    ]
    assert audited[2].role == "admin"
    recent = [row for row in rows if row.person_key]
    assert {row.kind for row in recent} >= {"service_submitted", "error"}
    for row in recent:
        values = " ".join(str(v) for v in row._mapping.values())
        assert residents[0]["email"] not in values and "Loud music" not in values
