"""Deterministic linking: verified email, or DOB + surname + postcode with compatible forenames."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from customer360.domain.people import PersonRecord, PostalAddress
from customer360.domain.systems import SourceSystem
from customer360.identity.deterministic import DOB_SURNAME_POSTCODE_RULE, EMAIL_RULE, LinkedCluster, link_records

DOB = date(1980, 5, 17)


def person(
    record_id: str,
    forenames: str,
    surname: str,
    *,
    system: SourceSystem = SourceSystem.CRM,
    dob: date | None = None,
    postcode: str | None = None,
    email: str | None = None,
    verified: bool = False,
) -> PersonRecord:
    return PersonRecord(
        system=system,
        record_id=record_id,
        forenames=forenames,
        surname=surname,
        date_of_birth=dob,
        address=PostalAddress("1 Market Street", postcode) if postcode else None,
        email=email,
        email_verified=verified,
    )


def groups(clusters: list[LinkedCluster]) -> set[frozenset[str]]:
    return {frozenset(r.record_id for r in c.records) for c in clusters}


def rules_by_id(clusters: list[LinkedCluster]) -> dict[str, str | None]:
    return {r.record_id: rule for c in clusters for r, rule in zip(c.records, c.rules, strict=True)}


def test_verified_email_links_across_systems_even_with_different_names() -> None:
    records = [
        person("crm-1", "Bobby", "Jones", email="r.jones@example.com", verified=True),
        person("rev-1", "Robert", "Smith", system=SourceSystem.REVENUES, email="  R.Jones@Example.COM "),
    ]
    clusters = link_records(records)
    assert groups(clusters) == {frozenset({"crm-1", "rev-1"})}
    assert clusters[0].rules == (None, EMAIL_RULE)


def test_verified_email_links_every_record_sharing_it() -> None:
    records = [
        person("a", "Ann", "Lee", email="ann@example.com"),
        person("b", "Ann", "Lee", system=SourceSystem.HOUSING, email="ann@example.com", verified=True),
        person("c", "A", "Lee", system=SourceSystem.PAYMENTS, email="ANN@example.com"),
    ]
    assert groups(link_records(records)) == {frozenset({"a", "b", "c"})}


def test_unverified_emails_alone_do_not_link() -> None:
    records = [
        person("crm-1", "Jo", "Bloggs", email="family@example.com"),
        person("hsg-1", "Sam", "Bloggs", system=SourceSystem.HOUSING, email="family@example.com"),
    ]
    assert groups(link_records(records)) == {frozenset({"crm-1"}), frozenset({"hsg-1"})}


def test_verified_email_of_one_person_does_not_link_a_different_email() -> None:
    records = [
        person("a", "Jo", "Bloggs", email="jo@example.com", verified=True),
        person("b", "Jo", "Bloggs", email="jo.bloggs@example.com", verified=True),
    ]
    assert groups(link_records(records)) == {frozenset({"a"}), frozenset({"b"})}


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param("Bob", "Robert", id="bob-robert"),
        pytest.param("Robert", "Bob", id="robert-bob"),
        pytest.param("Liz", "Elizabeth", id="liz-elizabeth"),
        pytest.param("Rob", "Robert", id="prefix-rob-robert"),
        pytest.param("Robert James", "Robert", id="extra-middle-name"),
        pytest.param("ROBERT", "robert", id="case-only"),
    ],
)
def test_dob_surname_postcode_links_compatible_forenames(left: str, right: str) -> None:
    records = [
        person("rev-1", left, "Smith", system=SourceSystem.REVENUES, dob=DOB, postcode="B79 7BZ"),
        # Another office's spelling of the same surname and postcode.
        person("ben-1", right, "SMITH", system=SourceSystem.BENEFITS, dob=DOB, postcode="b797bz"),
    ]
    clusters = link_records(records)
    assert groups(clusters) == {frozenset({"rev-1", "ben-1"})}
    assert clusters[0].rules == (None, DOB_SURNAME_POSTCODE_RULE)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param("Jack", "Harry", id="jack-harry"),
        pytest.param("Oliver", "George", id="oliver-george"),
        pytest.param("Sophie", "Emily", id="sophie-emily"),
    ],
)
def test_twins_stay_apart(left: str, right: str) -> None:
    # Same DOB, surname and postcode: only the forenames tell twins apart.
    records = [
        person("t1", left, "Patel", system=SourceSystem.REVENUES, dob=DOB, postcode="B79 7BZ"),
        person("t2", right, "Patel", system=SourceSystem.BENEFITS, dob=DOB, postcode="B79 7BZ"),
    ]
    assert groups(link_records(records)) == {frozenset({"t1"}), frozenset({"t2"})}


def test_father_and_son_with_same_name_at_one_address_stay_apart() -> None:
    records = [
        person("father", "John", "Brown", system=SourceSystem.REVENUES, dob=date(1960, 3, 1), postcode="B79 7BZ"),
        person("son", "John", "Brown", system=SourceSystem.HOUSING, dob=date(1990, 8, 9), postcode="B79 7BZ"),
    ]
    assert groups(link_records(records)) == {frozenset({"father"}), frozenset({"son"})}


@pytest.mark.parametrize(
    ("right_dob", "right_surname", "right_postcode"),
    [
        pytest.param(DOB, "Smith", "B78 3HG", id="different-postcode"),
        pytest.param(DOB, "Smyth", "B79 7BZ", id="different-surname"),
        pytest.param(None, "Smith", "B79 7BZ", id="missing-dob"),
        pytest.param(DOB, "Smith", None, id="missing-address"),
    ],
)
def test_dob_rule_needs_all_three_to_agree(
    right_dob: date | None, right_surname: str, right_postcode: str | None
) -> None:
    records = [
        person("a", "Robert", "Smith", dob=DOB, postcode="B79 7BZ"),
        person("b", "Robert", right_surname, dob=right_dob, postcode=right_postcode),
    ]
    assert groups(link_records(records)) == {frozenset({"a"}), frozenset({"b"})}


def test_chain_of_different_rules_forms_one_cluster() -> None:
    # A ~ B by verified email; B ~ C by DOB + surname + postcode (Bob / Robert). A and C share nothing.
    records = [
        person("A", "Bobby", "Smith-Jones", email="bob@example.com", verified=True),
        person("B", "Bob", "Smith", system=SourceSystem.REVENUES, email="bob@example.com", dob=DOB, postcode="B797BZ"),
        person("C", "Robert", "Smith", system=SourceSystem.HOUSING, dob=DOB, postcode="B79 7BZ"),
    ]
    clusters = link_records(records)
    assert groups(clusters) == {frozenset({"A", "B", "C"})}
    assert rules_by_id(clusters) == {"A": None, "B": EMAIL_RULE, "C": DOB_SURNAME_POSTCODE_RULE}


def test_every_record_appears_in_exactly_one_cluster() -> None:
    records = [
        person("e1", "Ann", "Lee", email="ann@example.com", verified=True),
        person("e2", "Annie", "Lee", system=SourceSystem.PAYMENTS, email="ann@example.com"),
        person("d1", "Bob", "Smith", system=SourceSystem.REVENUES, dob=DOB, postcode="B79 7BZ"),
        person("d2", "Robert", "Smith", system=SourceSystem.BENEFITS, dob=DOB, postcode="B79 7BZ"),
        person("t1", "Jack", "Patel", dob=DOB, postcode="B79 7BZ"),
        person("t2", "Harry", "Patel", dob=DOB, postcode="B79 7BZ"),
        person("u1", "Jo", "Bloggs", email="shared@example.com"),
        person("u2", "Sam", "Bloggs", email="shared@example.com"),
        person("x", "Lone", "Record"),
    ]
    clusters = link_records(records)
    seen = Counter(r.record_id for c in clusters for r in c.records)
    assert seen == Counter(r.record_id for r in records)  # each exactly once
    assert groups(clusters) == {
        frozenset({"e1", "e2"}),
        frozenset({"d1", "d2"}),
        frozenset({"t1"}),
        frozenset({"t2"}),
        frozenset({"u1"}),
        frozenset({"u2"}),
        frozenset({"x"}),
    }
    for cluster in clusters:
        assert len(cluster.rules) == len(cluster.records)
        assert cluster.rules[0] is None
    assert link_records([]) == []


def test_rules_recorded_for_every_non_first_record_whatever_the_input_order() -> None:
    # The same chain as above, in another office order: C (dob rule with B), A (email with B), B.
    records = [
        person("C", "Robert", "Smith", system=SourceSystem.HOUSING, dob=DOB, postcode="B79 7BZ"),
        person("A", "Bobby", "Smith-Jones", email="bob@example.com", verified=True),
        person("B", "Bob", "Smith", system=SourceSystem.REVENUES, email="bob@example.com", dob=DOB, postcode="B797BZ"),
    ]
    clusters = link_records(records)
    assert groups(clusters) == {frozenset({"A", "B", "C"})}
    (cluster,) = clusters
    assert cluster.rules[0] is None
    assert all(rule is not None for rule in cluster.rules[1:]), cluster.rules


def test_accented_and_plain_spellings_link() -> None:
    records = [
        person("rev-1", "Siân", "Muñoz", system=SourceSystem.REVENUES, dob=DOB, postcode="B79 7BZ"),
        person("pay-1", "Sian", "Munoz", system=SourceSystem.PAYMENTS, dob=DOB, postcode="B79 7BZ"),
    ]
    assert groups(link_records(records)) == {frozenset({"rev-1", "pay-1"})}
