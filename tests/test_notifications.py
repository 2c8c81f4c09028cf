"""Residents told through GOV.UK Notify: a report made, progressed in its back office with
`customer360 demo progress`, read in by the change feed, shown in My Requests and told by e-mail
exactly once per event, read back from the demo Notify with the official client."""

from __future__ import annotations

import asyncio

from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient
from sqlalchemy import select, update

from customer360.auth.principal import Role
from customer360.demo import council
from customer360.demo.backoffice_server import serve_on_loopback
from customer360.demo.notify_app import create_notify_app, new_api_key
from customer360.demo.progress import progress
from customer360.domain.requests import RequestStatus
from customer360.store.database import create_engine
from customer360.store.tables import notifications, outbox
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
    variables = {
        "input": {"serviceCode": "LITTER", "description": "Bags split", "location": HERE, "attributes": attributes}
    }
    body = (await graphql(client, REPORT, token, variables)).json()
    assert body["data"]["reportIssue"]["userErrors"] == []
    return body["data"]["reportIssue"]["request"]["reference"]


async def test_a_report_progressed_in_its_back_office_is_shown_and_told_once_per_event(own_council, issuer, residents):
    resident = residents[6]
    token = issuer.resident_token(resident["email"])
    async with serving_app(own_council) as (app, client):
        runtime = app.state.runtime
        await runtime.changes.run_once()  # the feeds' cursors start now, if serve's own first pass has not run yet
        notify_url = runtime.messenger.notify.base_url
        reference = await report(client, token)
        await progress(own_council, reference, RequestStatus.IN_PROGRESS, "A crew is on its way")
        # Two workers read the feed at once, and the same pass again: each change is kept and told once.
        await asyncio.gather(runtime.changes.run_once(), runtime.changes.run_once())
        await runtime.changes.run_once()
        await progress(own_council, reference, RequestStatus.RESOLVED, "Litter cleared")
        await runtime.changes.run_once()
        await runtime.services.writes.deliverer.run_due()
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
    assert all(reference in message["body"] and f"/my-requests/{reference}" in message["body"] for message in sent)


async def test_a_street_report_resolved_then_closed_is_told_resolved_once(own_council, issuer, residents):
    # Open311 keeps `closed` for both, read as RESOLVED twice: the second is a note in the history, no
    # second "resolved" e-mail and no second request for a rating, however often the feed is read.
    token = issuer.resident_token(residents[8]["email"])
    async with serving_app(own_council) as (app, client):
        runtime = app.state.runtime
        await runtime.changes.run_once()
        notify_url = runtime.messenger.notify.base_url
        reference = await report(client, token)
        await progress(own_council, reference, RequestStatus.RESOLVED, "Litter cleared")
        await runtime.changes.run_once()
        await progress(own_council, reference, RequestStatus.CLOSED, "Closed")
        await asyncio.gather(runtime.changes.run_once(), runtime.changes.run_once())
        await runtime.changes.run_once()
        await runtime.services.writes.deliverer.run_due()
        mine = (await graphql(client, MY_REQUESTS, token)).json()["data"]["me"]["requests"]["edges"]
        listed = next(e["node"] for e in mine if e["node"]["reference"] == reference)
        sent = await asyncio.to_thread(sent_for, own_council, notify_url, reference)
    assert [h["description"] for h in listed["history"]][-2:] == ["Litter cleared", "Closed"]
    assert sorted(message["subject"] for message in sent) == [
        "Litter: we have received your request",
        "Litter: your request is resolved",
    ]
    (resolved,) = [message for message in sent if "resolved" in message["subject"]]
    assert "Tell us how we did" in resolved["body"]


PREFERENCES = """
mutation($input: UpdateContactPreferencesInput!) { updateContactPreferences(input: $input) {
  contactPreferences { email sms emailAddress mobile emailFailed mobileFailed }
  userErrors { field code message } } }
"""
MINE = """
{ me { contactPreferences { email sms emailAddress mobile emailFailed mobileFailed }
       notifications(first: 20) { totalCount edges { node { channel subject reference sentAt status } } } } }
"""

STAFF_VIEW = """
query($id: ID!) { customer(id: $id) { contactPreferences { emailFailed mobileFailed }
  notifications(first: 10) { edges { node { channel status } } } } }
"""


async def choose(client, token: str, **preferences) -> dict:
    body = (await graphql(client, PREFERENCES, token, {"input": preferences})).json()
    return body["data"]["updateContactPreferences"]


async def test_preferences_off_means_no_message(own_council, issuer, residents):
    token = issuer.resident_token(residents[7]["email"])
    async with serving_app(own_council) as (app, client):
        runtime = app.state.runtime
        await runtime.changes.run_once()  # the feeds' cursors start now
        chosen = await choose(client, token, email=False, sms=False)
        assert chosen["userErrors"] == []
        reference = await report(client, token)
        await progress(own_council, reference, RequestStatus.RESOLVED, "Cleared")
        await runtime.changes.run_once()
        await runtime.services.writes.deliverer.run_due()
        sent = await asyncio.to_thread(sent_for, own_council, runtime.messenger.notify.base_url, reference)
        mine = (await graphql(client, MINE, token)).json()["data"]["me"]
    assert sent == []
    assert mine["notifications"]["totalCount"] == 0


async def test_sms_only_means_a_text_to_the_number_given(own_council, issuer, residents):
    token = issuer.resident_token(residents[8]["email"])
    async with serving_app(own_council) as (app, client):
        runtime = app.state.runtime
        chosen = await choose(client, token, email=False, sms=True, mobile="07700 900 123")
        assert chosen["contactPreferences"]["mobile"] == "+447700900123"
        reference = await report(client, token)
        sent = await asyncio.to_thread(sent_for, own_council, runtime.messenger.notify.base_url, reference)
        mine = (await graphql(client, MINE, token)).json()["data"]["me"]
    assert [(m["type"], m["phone_number"]) for m in sent] == [("sms", "+447700900123")]
    assert reference in sent[0]["body"]
    (listed,) = [edge["node"] for edge in mine["notifications"]["edges"]]
    assert listed["channel"] == "SMS" and listed["reference"] == reference and listed["sentAt"]


async def test_a_bounced_address_is_shown_and_the_next_message_falls_back_to_text(
    own_council, issuer, residents, staff_token
):
    token = issuer.resident_token(residents[9]["email"])
    async with serving_app(own_council) as (app, client):
        runtime = app.state.runtime
        await runtime.changes.run_once()  # the feeds' cursors start now
        chosen = await choose(
            client, token, email=True, sms=False, emailAddress="perm-fail@simulator.notify", mobile="07700900456"
        )
        assert chosen["userErrors"] == []
        reference = await report(client, token)  # its receipt goes by e-mail, and bounces
        for _ in range(100):  # Notify's receipt arrives by its callback, a moment later
            preferences = (await graphql(client, MINE, token)).json()["data"]["me"]["contactPreferences"]
            if preferences["emailFailed"]:
                break
            await asyncio.sleep(0.05)
        assert preferences["emailFailed"] is True and preferences["mobileFailed"] is False
        await progress(own_council, reference, RequestStatus.IN_PROGRESS, "On its way")
        await runtime.changes.run_once()
        sent = await asyncio.to_thread(sent_for, own_council, runtime.messenger.notify.base_url, reference)
        mine = (await graphql(client, MINE, token)).json()["data"]["me"]["notifications"]["edges"]
        seen_by_staff = (
            await graphql(client, STAFF_VIEW, staff_token(Role.CUSTOMER_SERVICES), {"id": residents[9]["customer_id"]})
        ).json()["data"]["customer"]
    assert seen_by_staff["contactPreferences"] == {"emailFailed": True, "mobileFailed": False}
    assert {e["node"]["status"] for e in seen_by_staff["notifications"]["edges"]} >= {"PERMANENT_FAILURE"}
    by_type = sorted((m["type"], m["status"]) for m in sent)
    assert by_type == [("email", "permanent-failure"), ("sms", "delivered")]
    assert [(e["node"]["channel"], e["node"]["status"]) for e in mine][-1] == ("EMAIL", "PERMANENT_FAILURE")


async def test_updating_preferences_twice_at_once_and_again_with_one_key_saves_one_answer(
    own_council, issuer, residents
):
    token = issuer.resident_token(residents[10]["email"])
    async with serving_app(own_council) as (_, client):
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "preferences-1"}
        variables = {"input": {"email": False, "sms": True, "mobile": "07911 123456"}}

        async def update() -> dict:
            answer = await client.post("/graphql", json={"query": PREFERENCES, "variables": variables}, headers=headers)
            return answer.json()["data"]["updateContactPreferences"]

        answers = [*await asyncio.gather(update(), update()), await update()]
        refused = await choose(client, token, email=True, sms=False, emailAddress="not an address")
        mine = (await graphql(client, MINE, token)).json()["data"]["me"]["contactPreferences"]
    assert all(a["userErrors"] == [] for a in answers)
    assert {a["contactPreferences"]["mobile"] for a in answers} == {"+447911123456"}
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["input", "emailAddress"], "INVALID_EMAIL")]
    assert mine == {
        "email": False,
        "sms": True,
        "emailAddress": None,
        "mobile": "+447911123456",
        "emailFailed": False,
        "mobileFailed": False,
    }


async def test_a_crash_after_notify_took_a_message_never_sends_it_twice(own_council, issuer, residents):
    """The process died after Notify answered and before the answer was kept: the retry asks Notify
    what it holds under the reference and keeps that, instead of sending again."""
    token = issuer.resident_token(residents[11]["email"])
    async with serving_app(own_council) as (app, client):
        runtime = app.state.runtime
        reference = await report(client, token)
        engine = runtime.outbox._engine
        async with engine.begin() as conn:  # as the crash left it: our row unsent, the outbox row pending
            await conn.execute(
                update(notifications)
                .where(notifications.c.reference == reference)
                .values(notify_id=None, status="CREATED")
            )
            await conn.execute(
                update(outbox)
                .where(outbox.c.reference == reference, outbox.c.destination == "NOTIFY")
                .values(state="PENDING", claimed_until=None, claimed_by=None)
            )
        await asyncio.gather(runtime.services.writes.deliverer.run_due(), runtime.services.writes.deliverer.run_due())
        sent = await asyncio.to_thread(sent_for, own_council, runtime.messenger.notify.base_url, reference)
        async with engine.connect() as conn:
            kept = (await conn.execute(select(notifications).where(notifications.c.reference == reference))).all()
    assert len(sent) == 1
    assert [row.notify_id for row in kept] == [sent[0]["id"]]


async def test_delivery_receipts_need_the_callback_token(own_council):
    async with serving_app(own_council) as (_, client):
        receipt = {"id": "00000000-0000-0000-0000-000000000000", "status": "delivered"}
        unsigned = await client.post("/webhooks/notify", json=receipt)
        wrong = await client.post("/webhooks/notify", json=receipt, headers={"Authorization": "Bearer nope"})
        token = council.notify_callback_token(own_council)
        malformed = await client.post("/webhooks/notify", content=b"[1]", headers={"Authorization": f"Bearer {token}"})
        unknown = await client.post("/webhooks/notify", json=receipt, headers={"Authorization": f"Bearer {token}"})
    assert (unsigned.status_code, wrong.status_code, malformed.status_code) == (401, 401, 400)
    assert unknown.json() == {"received": True, "known": False}


async def test_the_demo_notify_takes_its_own_key_and_refuses_another():
    engine = create_engine("sqlite+aiosqlite://")
    key = new_api_key()
    app = create_notify_app(engine, api_key=key, public_url="http://127.0.0.1")
    try:
        async with serve_on_loopback(app) as base_url:

            def listed(api_key: str) -> int:
                try:
                    NotificationsAPIClient(api_key, base_url=base_url).get_all_notifications()
                except HTTPError as error:
                    return error.status_code
                return 200

            assert await asyncio.to_thread(listed, key) == 200
            assert await asyncio.to_thread(listed, new_api_key()) == 403
    finally:
        await engine.dispose()


COMPLAIN = """
mutation($input: MakeComplaintInput!) { makeComplaint(input: $input) {
  complaint { reference } userErrors { field code message } } }
"""


async def test_a_complaint_is_told_its_reply_date_and_its_reply_from_the_crm_feed(own_council, issuer, residents):
    token = issuer.resident_token(residents[17]["email"])
    async with serving_app(own_council) as (app, client):
        runtime = app.state.runtime
        await runtime.changes.run_once()  # the feeds' cursors start now
        complaint = {"subject": "Missed bins", "description": "Twice this month", "serviceArea": "waste"}
        made = (await graphql(client, COMPLAIN, token, {"input": complaint})).json()["data"]["makeComplaint"]
        reference = made["complaint"]["reference"]
        await progress(own_council, reference, RequestStatus.IN_PROGRESS, None)  # acknowledged in the CRM
        await runtime.changes.run_once()
        await progress(own_council, reference, RequestStatus.RESOLVED, None)  # the stage 1 reply
        await runtime.changes.run_once()
        await runtime.changes.run_once()  # a re-read of the same columns tells nothing twice
        sent = await asyncio.to_thread(sent_for, own_council, runtime.messenger.notify.base_url, reference)
    by_subject = {message["subject"]: message["body"] for message in sent}
    assert sorted(by_subject) == [
        "Complaint: we have received your request",
        "Complaint: we have replied",
        "Complaint: your request is being worked on",
    ]
    assert "Complaint acknowledged: we will reply by " in by_subject["Complaint: your request is being worked on"]


async def test_a_case_reported_to_the_crm_gets_one_receipt_though_its_feed_reports_it_new_too(
    own_council, issuer, residents
):
    token = issuer.resident_token(residents[19]["email"])
    async with serving_app(own_council) as (app, client):
        runtime = app.state.runtime
        await runtime.changes.run_once()  # the feeds' cursors start now
        shortfall = {"serviceCode": "SERVICE_SHORTFALL", "description": "The assisted bin collection was missed"}
        made = (await graphql(client, REPORT, token, {"input": shortfall})).json()["data"]["reportIssue"]
        reference = made["request"]["reference"]
        await runtime.changes.run_once()  # the CRM's audit table: "Case opened", a new request
        await progress(own_council, reference, RequestStatus.IN_PROGRESS, "Passed to the waste team")
        await runtime.changes.run_once()
        sent = await asyncio.to_thread(sent_for, own_council, runtime.messenger.notify.base_url, reference)
    assert sorted(message["subject"] for message in sent) == [
        "Report a shortfall in service: we have received your request",
        "Report a shortfall in service: your request is being worked on",
    ]
