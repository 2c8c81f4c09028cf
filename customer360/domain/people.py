"""A person as one back office records them, and the normalisations every matcher needs."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

import phonenumbers

from customer360.domain.systems import SourceSystem


@dataclass(frozen=True, slots=True)
class PostalAddress:
    line1: str
    postcode: str
    line2: str | None = None
    town: str | None = None
    uprn: str | None = None


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One back office's record of a person, in that office's own spelling."""

    system: SourceSystem
    record_id: str
    forenames: str
    surname: str
    title: str | None = None
    date_of_birth: date | None = None
    address: PostalAddress | None = None
    email: str | None = None
    email_verified: bool = False
    phone: str | None = None
    updated_on: date | None = None

    @property
    def full_name(self) -> str:
        return f"{self.forenames} {self.surname}".strip()


@dataclass(frozen=True, slots=True)
class NewContact:
    """A person a back office is asked to create; `external_reference` makes a retry a no-op."""

    external_reference: str
    forenames: str
    surname: str
    created_at: datetime
    email: str | None = None
    email_verified: bool = False
    phone: str | None = None
    date_of_birth: date | None = None
    address: PostalAddress | None = None

    def as_record(self, system: SourceSystem, record_id: str) -> PersonRecord:
        """The person as the back office now holds them, under the id it gave."""
        return PersonRecord(
            system=system,
            record_id=record_id,
            forenames=self.forenames,
            surname=self.surname,
            date_of_birth=self.date_of_birth,
            address=self.address,
            email=self.email,
            email_verified=self.email_verified,
            phone=self.phone,
            updated_on=self.created_at.date(),
        )


_SPACES = re.compile(r"\s+")


def normalise_email(email: str | None) -> str | None:
    """Lower-cased and trimmed; `None` for anything that is not shaped like an address."""
    if not email:
        return None
    cleaned = email.strip().lower()
    local, at, domain = cleaned.rpartition("@")
    if not at or not local or "." not in domain or _SPACES.search(cleaned):
        return None
    return cleaned


def normalise_postcode(postcode: str | None) -> str | None:
    """`b79 7bz` / `B797BZ` -> `B79 7BZ` (the inward code is always the last three characters)."""
    if not postcode:
        return None
    compact = _SPACES.sub("", postcode).upper()
    if len(compact) < 5:
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def normalise_phone(phone: str | None) -> str | None:
    """Any UK spelling (`01827 709 709`, `+44 1827709709`) -> E.164, or `None` if not a number."""
    if not phone:
        return None
    try:
        parsed = phonenumbers.parse(phone, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def normalise_name(name: str | None) -> str:
    """Upper case letters only, single spaces: what two offices' spellings are compared on."""
    if not name:
        return ""
    # Fold accents (Siân -> SIAN) before dropping what is not a letter, so offices that could not
    # type the accent still match those that could.
    folded = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    letters = re.sub(r"[^A-Za-z ]", "", folded.replace("-", " "))
    return _SPACES.sub(" ", letters).strip().upper()
