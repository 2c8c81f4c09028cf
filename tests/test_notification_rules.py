"""Who is told by which channel, and which addresses and numbers are accepted (domain/notifications.py)."""

from __future__ import annotations

import pytest

from customer360.domain.notifications import (
    Channel,
    ContactPreferences,
    MessageKind,
    PreferenceCode,
    channels_for,
    checked_preferences,
    event_key,
    kind_of_change,
    message_for,
    uk_mobile,
    valid_email,
)
from customer360.domain.problems import Problem
from customer360.domain.requests import RequestStatus

MAIL, MOBILE = "ann@example.com", "+447700900123"


@pytest.mark.parametrize(
    ("email", "sms", "address", "mobile", "email_failed", "mobile_failed", "expected"),
    [
        (True, False, MAIL, None, False, False, [Channel.EMAIL]),
        (False, True, MAIL, MOBILE, False, False, [Channel.SMS]),
        (True, True, MAIL, MOBILE, False, False, [Channel.EMAIL, Channel.SMS]),
        (False, False, MAIL, MOBILE, False, False, []),  # both off: nothing, whatever we hold
        (True, False, MAIL, MOBILE, True, False, [Channel.SMS]),  # bounced: falls back to the number given
        (True, False, MAIL, None, True, False, []),  # bounced, nothing to fall back to
        (False, True, MAIL, MOBILE, False, True, [Channel.EMAIL]),  # the text failed: falls back to e-mail
        (True, True, MAIL, MOBILE, True, False, [Channel.SMS]),  # one of two failed: the other alone
        (True, True, MAIL, MOBILE, True, True, []),
        (True, False, None, None, False, False, []),  # no address at all
    ],
)
def test_channels_for(email, sms, address, mobile, email_failed, mobile_failed, expected):
    preferences = ContactPreferences(email, sms, address, mobile, email_failed, mobile_failed)
    assert channels_for(preferences) == expected


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("07911 123456", "+447911123456"),
        ("07700 900123", "+447700900123"),  # Ofcom's drama range: Notify's simulated numbers
        ("07700 90012", PreferenceCode.NOT_UK_MOBILE),  # a digit short
        ("+44 7700 900123", "+447700900123"),
        ("(07700) 900-123", "+447700900123"),
        ("01827 709709", PreferenceCode.NOT_UK_MOBILE),  # a Tamworth landline
        ("+33 6 12 34 56 78", PreferenceCode.NOT_UK_MOBILE),  # a French mobile
        ("not a number", PreferenceCode.INVALID_MOBILE),
    ],
)
def test_uk_mobile(number, expected):
    checked = uk_mobile(number)
    assert (checked.code if isinstance(checked, Problem) else checked) == expected


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("ann@example.com", True),
        ("ann.o'neill+council@mail.example.co.uk", True),
        ("ann@example", False),  # no top-level domain
        ("ann..x@example.com", False),
        ("ann@-example.com", False),
        ("ann@example.c", False),  # a one-letter TLD
        ("ann example@example.com", False),
        ("@example.com", False),
    ],
)
def test_valid_email_as_notify_checks_it(address, valid):
    assert valid_email(address) is valid


def test_a_changed_address_clears_its_failure_and_the_same_one_keeps_it():
    kept = ContactPreferences(True, False, MAIL, MOBILE, email_failed=True, mobile_failed=True)
    same = checked_preferences(True, False, MAIL, "07700 900123", kept)
    other = checked_preferences(True, False, "ann@example.org", "07700 900124", kept)
    assert isinstance(same, ContactPreferences) and same.email_failed and same.mobile_failed
    assert isinstance(other, ContactPreferences) and not other.email_failed and not other.mobile_failed


@pytest.mark.parametrize(
    ("email", "sms", "address", "mobile", "codes"),
    [
        (True, False, None, None, [PreferenceCode.NO_ADDRESS]),
        (False, True, MAIL, None, [PreferenceCode.NO_ADDRESS]),
        (True, True, "nope", "01827 709709", [PreferenceCode.INVALID_EMAIL, PreferenceCode.NOT_UK_MOBILE]),
    ],
)
def test_preferences_refused(email, sms, address, mobile, codes):
    checked = checked_preferences(email, sms, address, mobile, ContactPreferences())
    assert isinstance(checked, list) and [p.code for p in checked] == codes


@pytest.mark.parametrize(
    ("status", "is_reply", "kind"),
    [
        (RequestStatus.SUBMITTED, False, None),  # no news
        (RequestStatus.IN_PROGRESS, False, MessageKind.STATUS_CHANGED),
        (RequestStatus.RESOLVED, False, MessageKind.CLOSED),
        (RequestStatus.CLOSED, False, MessageKind.CLOSED),
        (RequestStatus.REJECTED, False, MessageKind.STATUS_CHANGED),
        (RequestStatus.RESOLVED, True, MessageKind.REPLY_SENT),
        (None, False, None),
    ],
)
def test_which_changes_are_worth_a_message(status, is_reply, kind):
    assert kind_of_change(status, is_reply) is kind


@pytest.mark.parametrize(
    ("previous", "status", "is_reply", "kind"),
    [
        (None, RequestStatus.RESOLVED, False, MessageKind.CLOSED),  # nothing known before: told
        (RequestStatus.SUBMITTED, RequestStatus.IN_PROGRESS, False, MessageKind.STATUS_CHANGED),
        (RequestStatus.IN_PROGRESS, RequestStatus.IN_PROGRESS, False, None),  # a second note: history only
        (RequestStatus.IN_PROGRESS, RequestStatus.RESOLVED, False, MessageKind.CLOSED),
        # Open311's `closed` twice (RESOLVED, then CLOSED by the officer) reads RESOLVED twice: told once.
        (RequestStatus.RESOLVED, RequestStatus.RESOLVED, False, None),
        (RequestStatus.RESOLVED, RequestStatus.CLOSED, False, MessageKind.CLOSED),  # housed, then closed
        (RequestStatus.REJECTED, RequestStatus.REJECTED, False, None),
        (RequestStatus.RESOLVED, RequestStatus.RESOLVED, True, MessageKind.REPLY_SENT),  # a reply is news
        (RequestStatus.RESOLVED, None, False, None),
    ],
)
def test_a_change_that_leaves_the_status_as_it_was_is_no_news(previous, status, is_reply, kind):
    assert kind_of_change(status, is_reply, previous) is kind


def test_event_keys_fit_the_outbox_and_tell_changes_apart():
    first = event_key(MessageKind.STATUS_CHANGED, "SS-1:2026-12-06T09:00:00+00:00:open")
    again = event_key(MessageKind.STATUS_CHANGED, "SS-1:2026-12-06T09:00:00+00:00:open")
    later = event_key(MessageKind.STATUS_CHANGED, "SS-1:2026-12-06T10:00:00+00:00:open")
    assert first == again != later and len(first) <= 48
    assert event_key(MessageKind.RECEIVED) == "RECEIVED"  # one receipt, whichever path reports it


def test_a_closing_message_asks_for_feedback_and_carries_the_note():
    message = message_for(MessageKind.CLOSED, "Litter", RequestStatus.RESOLVED, "Cleared")
    assert message.subject == "Litter: your request is resolved"
    assert "rate this service" in message.body and message.body.endswith("Cleared")
