"""Keeping residents told: what is worth a message, which channel it goes by, and what it says.

Messages go through GOV.UK Notify with one e-mail and one text template whose placeholders
(`((subject))`, `((body))`, `((reference))`, `((link))`) carry the words written here, so the
council's wording is in the code under review, not only in Notify's admin screens.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

from customer360.domain.problems import Problem
from customer360.domain.requests import RequestStatus

# The outbox destination of a message (not a back office: `as_source_system` gives None for it).
NOTIFY = "NOTIFY"
# Outbox operations of messages are `notify:<event key>`; the handler is found by the part before `:`.
NOTIFY_OPERATION = "notify"
# The outbox's operation column is 60 characters; an event key is kept well inside it.
MAX_EVENT_KEY = 48


class Channel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class MessageKind(StrEnum):
    RECEIVED = "RECEIVED"  # a request was made, by any channel
    STATUS_CHANGED = "STATUS_CHANGED"
    REPLY_SENT = "REPLY_SENT"  # a complaint's reply
    CLOSED = "CLOSED"  # closed or resolved: asks for feedback
    PAYMENT_CONFIRMED = "PAYMENT_CONFIRMED"
    SAFEGUARDING_RECEIPT = "SAFEGUARDING_RECEIPT"


class DeliveryStatus(StrEnum):
    """Notify's own statuses (`created`, `sending`, `delivered`, `permanent-failure`, ...), as one enum."""

    CREATED = "CREATED"  # we are about to send it (a crash here is found again by its reference)
    SENDING = "SENDING"  # Notify has it
    DELIVERED = "DELIVERED"
    PERMANENT_FAILURE = "PERMANENT_FAILURE"  # a bounced address or a number that does not exist
    TEMPORARY_FAILURE = "TEMPORARY_FAILURE"  # inbox full, phone off for days: Notify gave up
    TECHNICAL_FAILURE = "TECHNICAL_FAILURE"


NOTIFY_STATUSES = {
    "created": DeliveryStatus.SENDING,
    "sending": DeliveryStatus.SENDING,
    "pending": DeliveryStatus.SENDING,
    "sent": DeliveryStatus.SENDING,  # an international text handed on: no receipt will come
    "delivered": DeliveryStatus.DELIVERED,
    "permanent-failure": DeliveryStatus.PERMANENT_FAILURE,
    "temporary-failure": DeliveryStatus.TEMPORARY_FAILURE,
    "technical-failure": DeliveryStatus.TECHNICAL_FAILURE,
}


class PreferenceCode(StrEnum):
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_MOBILE = "INVALID_MOBILE"
    NOT_UK_MOBILE = "NOT_UK_MOBILE"
    NO_ADDRESS = "NO_ADDRESS"  # a channel switched on with nowhere to send it


@dataclass(frozen=True, slots=True)
class ContactPreferences:
    email: bool = True
    sms: bool = False
    email_address: str | None = None
    mobile: str | None = None  # E.164, +447...
    email_failed: bool = False  # Notify reported a permanent failure for this address
    mobile_failed: bool = False


@dataclass(frozen=True, slots=True)
class Message:
    kind: MessageKind
    subject: str
    body: str


def channels_for(preferences: ContactPreferences) -> list[Channel]:
    """Where a message goes: each channel the resident switched on and can be reached on; when every
    one they chose has failed for good, the other one, if they gave us its address. Both switched off:
    nothing, whatever addresses we hold."""
    if not (preferences.email or preferences.sms):
        return []
    reachable = {
        Channel.EMAIL: bool(preferences.email_address) and not preferences.email_failed,
        Channel.SMS: bool(preferences.mobile) and not preferences.mobile_failed,
    }
    chosen = {Channel.EMAIL: preferences.email, Channel.SMS: preferences.sms}
    wanted = [channel for channel in Channel if chosen[channel] and reachable[channel]]
    if wanted:
        return wanted
    return [channel for channel in Channel if reachable[channel]][:1]  # the fallback


def event_key(kind: MessageKind, change: str = "") -> str:
    """The key of one message-worthy event of a request: a kind, and for the kinds that happen more
    than once (status changes), a short hash of the change that caused it (its back-office identity)."""
    if not change:
        return kind.value
    digest = hashlib.sha256(change.encode()).hexdigest()[:16]
    return f"{kind.value}:{digest}"[:MAX_EVENT_KEY]


STATUS_WORDS = {
    RequestStatus.SUBMITTED: "received",
    RequestStatus.IN_PROGRESS: "being worked on",
    RequestStatus.RESOLVED: "resolved",
    RequestStatus.CLOSED: "closed",
    RequestStatus.REJECTED: "not going ahead",
}
# Status changes a resident cares about; a back office moving SUBMITTED to SUBMITTED is no news.
WORTH_TELLING = frozenset(
    {RequestStatus.IN_PROGRESS, RequestStatus.RESOLVED, RequestStatus.CLOSED, RequestStatus.REJECTED}
)


def kind_of_change(
    status: RequestStatus | None, is_reply: bool = False, previous: RequestStatus | None = None
) -> MessageKind | None:
    """What a back-office change is to the resident, or None when it is not worth a message.

    `previous` is the request's status before this change. A change that leaves the status as it was
    is no news, whatever its note says (the note is shown in My Requests' history): a street report
    resolved and then closed is `closed` twice in Open311, and the resident is told (and asked for a
    rating) once. A complaint's reply is always news."""
    if is_reply:
        return MessageKind.REPLY_SENT
    if status is not None and status is previous:
        return None
    if status in (RequestStatus.RESOLVED, RequestStatus.CLOSED):
        return MessageKind.CLOSED
    if status in WORTH_TELLING:
        return MessageKind.STATUS_CHANGED
    return None


def message_for(
    kind: MessageKind, service_name: str, status: RequestStatus | None = None, note: str | None = None
) -> Message:
    """The words of a message, headed by the service's name; the reference and the link to the request's
    page are added by the template (`((reference))`, `((link))`), so every message carries both."""
    what = f"{service_name}: " if service_name else ""
    if kind is MessageKind.RECEIVED:
        return Message(kind, f"{what}we have received your request", "Thank you. We have received your request.")
    if kind is MessageKind.SAFEGUARDING_RECEIPT:
        return Message(
            kind,
            "We have received your safeguarding concern",
            "Thank you for telling us. A safeguarding officer will look at what you told us.",
        )
    if kind is MessageKind.PAYMENT_CONFIRMED:
        return Message(kind, f"{what}your payment has been received", "Thank you. Your payment has been received.")
    if kind is MessageKind.REPLY_SENT:
        return Message(kind, f"{what}we have replied", _with_note("We have replied to your complaint.", note))
    words = STATUS_WORDS.get(status or RequestStatus.IN_PROGRESS, "updated")
    body = f"Your request is {words}."
    if kind is MessageKind.CLOSED:
        body += " Tell us how we did: rate this service from your request's page."
    return Message(kind, f"{what}your request is {words}", _with_note(body, note))


def _with_note(body: str, note: str | None) -> str:
    return f"{body}\n\n{note}" if note else body


# GOV.UK Notify's own e-mail address check (notifications-utils `validate_email_address`), so an
# address we accept is one Notify will take.
_EMAIL = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-]+@([^.@][^@\s]+)$")
_HOSTNAME_PART = re.compile(r"^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$", re.IGNORECASE)
_TLD_PART = re.compile(r"^([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)$", re.IGNORECASE)


def valid_email(address: str) -> bool:
    address = address.strip()
    match = _EMAIL.match(address)
    if not match or len(address) > 320 or ".." in address:
        return False
    try:
        hostname = match.group(1).encode("idna").decode("ascii")
    except UnicodeError:
        return False
    parts = hostname.split(".")
    if len(hostname) > 253 or len(parts) < 2:
        return False
    if not all(part and len(part) <= 63 and _HOSTNAME_PART.match(part) for part in parts):
        return False
    return bool(_TLD_PART.match(parts[-1]))


# Ofcom keeps 07700 900000-900999 for drama, never given to a phone: GOV.UK Notify's simulated numbers are
# there, and so are the examples in GOV.UK's own patterns. `phonenumbers` calls them invalid; they are
# accepted (when all ten digits are there) so the demo and its tests can use numbers nobody owns.
DRAMA_MOBILES = "7700900"
NOT_UK_MOBILE = "Enter a UK mobile number, like 07700 900 982"
INVALID_EMAIL = "Enter an email address, like name@example.com"


def uk_mobile(number: str) -> str | Problem:
    """A UK mobile number as E.164 (`+447700900123`), or why it is not one."""
    try:
        parsed = phonenumbers.parse(number, "GB")
    except phonenumbers.NumberParseException:
        return Problem(("input", "mobile"), PreferenceCode.INVALID_MOBILE, "Enter a mobile number, like 07700 900 982")
    national = str(parsed.national_number)
    if parsed.country_code == 44 and national.startswith(DRAMA_MOBILES) and len(national) == 10:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if parsed.country_code != 44 or not phonenumbers.is_valid_number(parsed):
        return Problem(
            ("input", "mobile"), PreferenceCode.NOT_UK_MOBILE, "Enter a UK mobile number, like 07700 900 982"
        )
    if phonenumbers.number_type(parsed) is not phonenumbers.PhoneNumberType.MOBILE:
        return Problem(
            ("input", "mobile"), PreferenceCode.NOT_UK_MOBILE, "Enter a UK mobile number, like 07700 900 982"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def checked_preferences(
    email: bool, sms: bool, email_address: str | None, mobile: str | None, kept: ContactPreferences
) -> ContactPreferences | list[Problem]:
    """New preferences from a resident's answers; a changed address clears its failure."""
    problems: list[Problem] = []
    address = (email_address or "").strip() or None
    if address is not None and not valid_email(address):
        problems.append(
            Problem(
                ("input", "emailAddress"), PreferenceCode.INVALID_EMAIL, "Enter an email address, like name@example.com"
            )
        )
    number: str | None = None
    if mobile and mobile.strip():
        checked = uk_mobile(mobile.strip())
        if isinstance(checked, Problem):
            problems.append(checked)
        else:
            number = checked
    if email and address is None and not problems:
        problems.append(Problem(("input", "emailAddress"), PreferenceCode.NO_ADDRESS, "Enter the email address to use"))
    if sms and number is None and not problems:
        problems.append(Problem(("input", "mobile"), PreferenceCode.NO_ADDRESS, "Enter the mobile number to use"))
    if problems:
        return problems
    return ContactPreferences(
        email=email,
        sms=sms,
        email_address=address,
        mobile=number,
        email_failed=kept.email_failed and address == kept.email_address,
        mobile_failed=kept.mobile_failed and number == kept.mobile,
    )
