"""Residents told through GOV.UK Notify: a report made, progressed in its back office with
`customer360 demo progress`, read in by the change feed, shown in My Requests and told by e-mail
exactly once per event, read back from the demo Notify with the official client."""

from __future__ import annotations

import asyncio

from notifications_python_client.notifications import NotificationsAPIClient

from customer360.demo import council
from customer360.demo.progress import progress
from customer360.domain.requests import RequestStatus
from tests.support import graphql, serving_app
from tests.test_report_issue import HERE, REPORT, litter_answers

MY_REQUESTS = """
{ me { requests(first: 100) { edges { node { reference status history { description status } } } } } }
"""


def sent_for(settings, base_url: str, reference: str) -> list[dict]:
    client = NotificationsAPIClient(council.notify_api_key(settings), base_url=base_url)
    return client.get_all_notifications(reference=reference)["notifications"]


async def report(client, token: str) -> str:
    attributes = await litter_answers(client)
    variables = {"input": {"serviceCode": "LITTER", "description": "Bags split", "location": HERE, "attributes": attributes}}
    body = (await graphql(client, REPORT, token, variables)).json()
    assert body["data"]["reportIssue"]["userErrors"] == []
    return body["data"]["reportIssue"]["request"]["reference"]


async def test_a_report_progressed_in_its_back_office_is_shown_and_told_once_per_event(own_council, issuer, residents):
    resident = residents[6]
    token = issuer.resident_token(resident["email"])
    async with serving_app(own_council) as (app, client):
        runtime = app.state.runtime
        notify_url = runtime.messenger.notify.base_url
        reference = await report(client, token)
        await progress(own_council, reference, RequestStatus.IN_PROGRESS, "A crew is on its way")
        # Two workers read the feed at once, and the same pass again: each change is kept and told once.
        await asyncio.gather(runtime.changes.run_once(), runtime.changes.run_once())
        await runtime.changes.run_once()
        await progress(own_council, reference, RequestStatus.RESOLVED, "Litter cleared")
        await runtime.changes.run_once()
        await runtime.writes.deliverer.run_due()
        mine = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
        listed = next(e["node"] for e in mine if e["node"]["reference"] == reference)
        assert listed["status"] == "RESOLVED"
        assert [h["description"] for h in listed["history"]][-2:] == ["A crew is on its way", "Litter cleared"]
        sent = await asyncio.to_thread(sent_for, own_council, notify_url, reference)
    subjects = sorted(message["subject"] for message in sent)
    assert subjects == sorted(
        [
            "Litter: we have received your request",
            "Litter: your request is being worked on",
            "Litter: your request is resolved",
        ]
    )
    assert {message["email_address"] for message in sent} == {resident["email"]}
    assert all(reference in message["body"] and f"/requests/{reference}" in message["body"] for message in sent)
