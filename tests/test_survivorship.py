"""Survivorship: the newest value wins, ties go to source priority, names come whole from one record."""

from __future__ import annotations

from datetime import date

import pytest

from customer360.domain.people import PersonRecord, PostalAddress
from customer360.domain.systems import SourceSystem
from customer360.identity.survivorship import golden_record
from customer360.settings import Settings, SettingsError

REV = SourceSystem.REVENUES
BEN = SourceSystem.BENEFITS
HSG = SourceSystem.HOUSING
CRM = SourceSystem.CRM
STS = SourceSystem.STREET_SCENE
PAY = SourceSystem.PAYMENTS

OLD_HOME = PostalAddress("1 Market Street", "B79 7BZ", town="Tamworth")
NEW_HOME = PostalAddress("22 Church Street", "B79 7DN", town="Tamworth")


def rec(
    system: SourceSystem,
    updated: date | None,
    *,
    forenames: str = "Robert",
    surname: str = "Smith",
    email: str | None = None,
    verified: bool = False,
    phone: str | None = None,
    dob: date | None = None,
    address: PostalAddress | None = None,
) -> PersonRecord:
    return PersonRecord(
        system=system,
        record_id=f"{system.value}-1",
        forenames=forenames,
        surname=surname,
        date_of_birth=dob,
        address=address,
        email=email,
        email_verified=verified,
        phone=phone,
        updated_on=updated,
    )


def test_most_recently_updated_value_wins_over_priority() -> None:
    records = [
        rec(REV, date(2025, 1, 10), address=OLD_HOME, phone="01827 709709"),
        rec(CRM, date(2026, 3, 1), address=NEW_HOME, phone="07700 900123"),
    ]
    golden = golden_record("C-1", records)
    assert (golden.address, golden.address_source) == (NEW_HOME, CRM)
    assert (golden.phone, golden.phone_source) == ("+447700900123", CRM)


def test_newest_record_without_a_value_is_skipped_for_that_field() -> None:
    records = [
        rec(PAY, date(2026, 5, 1), address=None, phone=None),
        rec(HSG, date(2025, 6, 1), address=OLD_HOME, phone="not a number"),
        rec(BEN, date(2024, 2, 1), phone="01827 709709", dob=date(1980, 5, 17)),
    ]
    golden = golden_record("C-1", records)
    assert (golden.address, golden.address_source) == (OLD_HOME, HSG)
    # HOUSING's phone does not normalise, so the next newest usable phone survives, in E.164.
    assert (golden.phone, golden.phone_source) == ("+441827709709", BEN)
    assert (golden.date_of_birth, golden.date_of_birth_source) == (date(1980, 5, 17), BEN)


@pytest.mark.parametrize(
    ("systems", "winner"),
    [
        pytest.param([PAY, STS, CRM, HSG, BEN, REV], REV, id="all-six-revenues-first"),
        pytest.param([PAY, STS, CRM, HSG, BEN], BEN, id="benefits-second"),
        pytest.param([PAY, STS, CRM, HSG], HSG, id="housing-third"),
        pytest.param([PAY, STS, CRM], CRM, id="crm-fourth"),
        pytest.param([PAY, STS], STS, id="street-scene-fifth"),
        pytest.param([PAY], PAY, id="payments-last"),
    ],
)
def test_same_day_ties_broken_by_source_priority(systems: list[SourceSystem], winner: SourceSystem) -> None:
    same_day = date(2026, 4, 1)
    records = [
        rec(s, same_day, forenames=f"Name{s.value}", address=PostalAddress(f"{s.value} House", "B79 7BZ"))
        for s in systems
    ]
    golden = golden_record("C-1", records)
    assert golden.address_source == winner
    assert golden.address == PostalAddress(f"{winner.value} House", "B79 7BZ")
    assert (golden.forenames, golden.name_source) == (f"Name{winner.value}", winner)


def test_undated_records_tie_on_priority_and_lose_to_any_dated_record() -> None:
    undated = [rec(PAY, None, address=OLD_HOME), rec(REV, None, address=NEW_HOME)]
    assert golden_record("C-1", undated).address_source == REV
    dated_payments = [rec(REV, None, address=NEW_HOME), rec(PAY, date(2020, 1, 1), address=OLD_HOME)]
    assert golden_record("C-1", dated_payments).address_source == PAY


def test_name_is_taken_whole_from_one_record() -> None:
    records = [
        rec(REV, date(2025, 1, 1), forenames="Robert James", surname="Smith-Jones"),
        rec(CRM, date(2026, 1, 1), forenames="Bob", surname="Smith"),
    ]
    golden = golden_record("C-1", records)
    assert (golden.forenames, golden.surname, golden.name_source) == ("Bob", "Smith", CRM)
    assert golden.name == "Bob Smith"


def test_record_without_surname_does_not_lend_its_forenames() -> None:
    # The newest record (a card payment) has only "R" and no surname: the name comes whole from REVENUES.
    records = [
        rec(PAY, date(2026, 5, 1), forenames="R", surname=""),
        rec(REV, date(2025, 1, 1), forenames="Robert", surname="Smith"),
    ]
    golden = golden_record("C-1", records)
    assert (golden.forenames, golden.surname, golden.name_source) == ("Robert", "Smith", REV)


def test_verified_email_preferred_over_newer_unverified() -> None:
    records = [
        rec(CRM, date(2026, 5, 1), email="bob.new@example.com"),
        rec(REV, date(2024, 1, 1), email=" Robert.Smith@Example.com", verified=True),
    ]
    golden = golden_record("C-1", records)
    assert (golden.email, golden.email_verified, golden.email_source) == ("robert.smith@example.com", True, REV)


def test_newest_unverified_email_used_when_none_verified() -> None:
    records = [
        rec(REV, date(2024, 1, 1), email="old@example.com"),
        rec(CRM, date(2026, 5, 1), email="new@example.com"),
    ]
    golden = golden_record("C-1", records)
    assert (golden.email, golden.email_verified, golden.email_source) == ("new@example.com", False, CRM)


def test_verified_but_malformed_email_is_not_preferred() -> None:
    records = [
        rec(REV, date(2026, 5, 1), email="not-an-email", verified=True),
        rec(CRM, date(2024, 1, 1), email="bob@example.com"),
    ]
    golden = golden_record("C-1", records)
    assert (golden.email, golden.email_verified, golden.email_source) == ("bob@example.com", False, CRM)


def test_each_value_records_its_source() -> None:
    records = [
        rec(REV, date(2026, 4, 1), forenames="Robert", surname="Smith", address=NEW_HOME),
        rec(BEN, date(2026, 2, 1), dob=date(1980, 5, 17)),
        rec(CRM, date(2026, 3, 1), email="bob@example.com", verified=True, phone="07700900123"),
    ]
    golden = golden_record("C-42", records)
    assert golden.customer_id == "C-42"
    assert {
        "name": golden.name_source,
        "email": golden.email_source,
        "phone": golden.phone_source,
        "date_of_birth": golden.date_of_birth_source,
        "address": golden.address_source,
    } == {"name": REV, "email": CRM, "phone": CRM, "date_of_birth": BEN, "address": REV}


def test_missing_values_have_no_source() -> None:
    golden = golden_record("C-1", [rec(STS, date(2026, 1, 1))])
    assert (golden.email, golden.email_source, golden.email_verified) == (None, None, False)
    assert (golden.phone, golden.phone_source) == (None, None)
    assert (golden.date_of_birth, golden.date_of_birth_source) == (None, None)
    assert (golden.address, golden.address_source) == (None, None)
    assert golden.name_source == STS


@pytest.mark.parametrize(
    ("raw", "systems", "winner"),
    [
        pytest.param("", [REV, HSG], REV, id="default-revenues-before-housing"),
        pytest.param("HOUSING", [REV, HSG], HSG, id="housing-named-first"),
        pytest.param("crm, payments", [REV, PAY], PAY, id="named-systems-before-unnamed"),
        pytest.param("CRM", [REV, BEN], REV, id="unnamed-keep-default-order"),
    ],
)
def test_a_configured_priority_breaks_same_day_ties(
    raw: str, systems: list[SourceSystem], winner: SourceSystem
) -> None:
    priority = Settings.from_env({"C360_SURVIVORSHIP_PRIORITY": raw}).survivorship_priority
    assert sorted(priority) == sorted(SourceSystem)  # every system ranked exactly once
    same_day = date(2026, 4, 1)
    records = [rec(s, same_day, address=PostalAddress(f"{s.value} House", "B79 7BZ")) for s in systems]
    assert golden_record("C-1", records, priority).address_source == winner


@pytest.mark.parametrize("raw", ["COUNCIL", "CRM,CRM"])
def test_a_priority_naming_an_unknown_or_repeated_source_is_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match="C360_SURVIVORSHIP_PRIORITY"):
        Settings.from_env({"C360_SURVIVORSHIP_PRIORITY": raw})
