"""The demo gazetteer and synthetic population: deterministic, realistic, and hard enough to match."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import cache

import pytest

from customer360.demo import spellings
from customer360.demo.gazetteer import GazetteerAddress, by_postcode, by_uprn, demo_gazetteer
from customer360.demo.population import NICKNAMES, HouseholdKind, Population, generate_population
from customer360.demo.spellings import PLACEHOLDER_BIRTH_DATE, TRANSLITERATIONS
from customer360.domain.people import PostalAddress, normalise_email, normalise_postcode
from customer360.domain.systems import SourceSystem

TAMWORTH_WARDS = {
    "Amington", "Belgrave", "Bolehall", "Castle", "Glascote", "Mercian", "Spital", "Stonydelph", "Trinity", "Wilnecote",
}  # fmt: skip
RECORD_ID_FORMATS = {
    SourceSystem.REVENUES: r"RP\d{6}",
    SourceSystem.BENEFITS: r"BC\d{6}",
    SourceSystem.HOUSING: r"HA\d{6}",
    SourceSystem.CRM: r"CON\d{6}",
    SourceSystem.STREET_SCENE: r"SSR\d{6}",
    SourceSystem.HOUSING_MANAGEMENT: r"TN\d{6}",
}


@cache
def population(residents: int = 2000, seed: int = 42) -> Population:
    return generate_population(residents, seed)


def _km_from_town_centre(latitude: float, longitude: float) -> float:
    north = (latitude - 52.6339) * 111.2
    east = (longitude + 1.6950) * 111.2 * math.cos(math.radians(52.6339))
    return math.hypot(north, east)


# --- gazetteer ---------------------------------------------------------------------------------


def test_gazetteer_addresses_are_tamworth_homes_with_unique_uprns() -> None:
    addresses = demo_gazetteer()
    borough = [a for a in addresses if a.in_borough]
    assert len({a.uprn for a in addresses}) == len(addresses)
    assert all(re.fullmatch(r"1000\d{8}", a.uprn) for a in addresses)
    assert len({a.line1.split(" ", 1)[1] for a in borough}) >= 35
    assert {a.postcode.split()[0] for a in borough} == {"B77", "B78", "B79"}
    assert {a.ward for a in borough} == TAMWORTH_WARDS
    assert all(a.town == "Tamworth" and _km_from_town_centre(a.latitude, a.longitude) < 10 for a in borough)


def test_gazetteer_has_homes_outside_the_borough_for_people_who_moved_in() -> None:
    outside = [a for a in demo_gazetteer() if not a.in_borough]
    assert {a.town for a in outside} >= {"Lichfield", "Birmingham"}
    assert all(a.ward is None for a in outside)


def test_gazetteer_lookups_normalise_the_postcode() -> None:
    first = demo_gazetteer()[0]
    assert by_uprn(first.uprn) == first
    assert by_uprn("999999999999") is None
    assert first in by_postcode(first.postcode.replace(" ", "").lower())
    assert by_postcode("nonsense") == ()


# --- determinism --------------------------------------------------------------------------------


def test_generation_is_deterministic_for_a_seed_and_differs_for_another() -> None:
    assert generate_population(300, 7) == generate_population(300, 7)
    assert generate_population(300, 7).records != generate_population(300, 8).records


def test_generates_exactly_the_residents_asked_for() -> None:
    assert len(generate_population(1, 1).people) == 1
    assert len(population(2000).people) == 2000
    with pytest.raises(ValueError):
        generate_population(0, 1)


# --- who is where ---------------------------------------------------------------------------------


def test_each_back_office_holds_a_realistic_share_of_residents() -> None:
    people = population()
    share = {system: len({r.person_id for r in people.records_in(system)}) for system in SourceSystem}
    expected = {
        SourceSystem.REVENUES: (0.80, 0.92),
        SourceSystem.BENEFITS: (0.15, 0.25),
        SourceSystem.HOUSING: (0.07, 0.13),
        SourceSystem.CRM: (0.38, 0.52),
        SourceSystem.STREET_SCENE: (0.20, 0.30),
        SourceSystem.PAYMENTS: (0.33, 0.47),
    }
    for system, (low, high) in expected.items():
        assert low <= share[system] / len(people.people) <= high, system


def test_everyone_liable_for_council_tax_is_in_revenues() -> None:
    people = population()
    in_revenues = {r.person_id for r in people.records_in(SourceSystem.REVENUES)}
    liable = {person_id for household in people.households for person_id in household.liable_ids}
    assert in_revenues == liable


def test_some_residents_are_in_all_six_back_offices_and_lead_the_demo_residents() -> None:
    for people in (population(), population(300, 42)):
        everywhere = [p for p in people.people if people.systems_of(p.person_id) == frozenset(SourceSystem)]
        assert len(everywhere) >= 0.02 * len(people.people)
        first_20 = people.residents()[:20]
        assert sum(people.systems_of(p.person_id) == frozenset(SourceSystem) for p in first_20) >= 5


def test_demo_residents_have_an_email_and_revenues_record_best_connected_first() -> None:
    people = population()
    residents = people.residents()
    assert all(p.email and SourceSystem.REVENUES in people.systems_of(p.person_id) for p in residents)
    counts = [len(people.systems_of(p.person_id)) for p in residents]
    assert counts == sorted(counts, reverse=True)


def test_record_ids_are_in_each_back_offices_own_format() -> None:
    people = population()
    for record in people.records:
        if record.system is SourceSystem.PAYMENTS:
            # GOV.UK Pay has no customer object: a payer is their normalised email.
            assert record.record_id == normalise_email(record.email) == people.person(record.person_id).email
        else:
            assert re.fullmatch(RECORD_ID_FORMATS[record.system], record.record_id), record
    truth = people.truth_rows()
    assert len(truth) == len(people.records) == len({(source, record_id) for source, record_id, _ in truth})


def test_emails_are_unique_and_verified_in_revenues_and_the_crm() -> None:
    people = population()
    emails = [p.email for p in people.people if p.email]
    assert len(emails) == len(set(emails))
    assert all(
        domain in {"example.com", "example.org", "example.net"} or domain.endswith(".example")
        for domain in (e.split("@")[1] for e in emails)
    )
    for record in people.records_in(SourceSystem.REVENUES):
        person = people.person(record.person_id)
        assert record.email == person.email and record.email_verified == bool(person.email)
    verified_in_crm = {r.person_id for r in people.records_in(SourceSystem.CRM) if r.email_verified}
    for person_id in verified_in_crm:
        assert any(
            normalise_email(r.email) == people.person(person_id).email
            for r in people.records_in(SourceSystem.CRM)
            if r.person_id == person_id and r.email_verified
        )
    crm_people_with_email = {
        r.person_id for r in people.records_in(SourceSystem.CRM) if people.person(r.person_id).email
    }
    assert verified_in_crm == crm_people_with_email


# --- how the back offices differ ------------------------------------------------------------------


def test_back_offices_spell_people_differently() -> None:
    people = population()
    nicknames = wrong_birth_dates = with_middle = without_middle = 0
    for record in people.records:
        person = people.person(record.person_id)
        first = record.forenames.split()[0]
        nicknames += first in NICKNAMES.get(person.forenames, ())
        wrong_birth_dates += record.date_of_birth not in (None, person.date_of_birth, PLACEHOLDER_BIRTH_DATE)
        if person.middle_name:
            with_middle += record.forenames.endswith(person.middle_name)
            without_middle += record.forenames == person.forenames
    assert nicknames > 50
    assert wrong_birth_dates >= 20
    assert with_middle > 50 and without_middle > 50


def _variations(people: Population) -> Counter[str]:
    """How often each kind of real-world variation shows in the records (a record may show several)."""
    found: Counter[str] = Counter()
    for record in people.records:
        person = people.person(record.person_id)
        words = record.forenames.split()
        found["second name as first"] += bool(person.middle_name) and record.forenames == person.middle_name
        found["initial"] += bool(words) and len(words[0].rstrip(".")) == 1
        found["title in the forenames"] += bool(words) and words[0] in {"Mr", "Mrs", "Ms", "Miss", "Dr"}
        found["transliteration"] += bool(words) and words[0] in TRANSLITERATIONS.get(person.forenames, ())
        found["old surname"] += record.surname.split()[0] == person.previous_surname
        found["Mc/Mac or apostrophe"] += ("Mc" in person.surname or "'" in person.surname) and (
            record.surname != person.surname
        )
        found["double-barrelled, reordered or half"] += "-" in person.surname and record.surname != person.surname
        found["Jr"] += record.surname.endswith((" Jr", " Jnr", " Junior"))
        found["Sr"] += record.surname.endswith((" Sr", " Snr", " Senior"))
        found["1900-01-01"] += record.date_of_birth == PLACEHOLDER_BIRTH_DATE
        found["joint mailbox"] += record.email is not None and record.email == person.household_email
        found["partner's mobile"] += (
            bool(record.phone)
            and person.partner_phone is not None
            and (record.phone.replace(" ", "")[-6:] == person.partner_phone.replace(" ", "")[-6:])
        )
        if record.address:
            found["flat written another way"] += any(w in record.address.line1 for w in ("Floor", "Apartment", "/"))
            found["house name"] += any(name in record.address.line1 for name in spellings.HOUSE_NAMES)
            found["postcode slip"] += normalise_postcode(record.address.postcode) not in {
                a.postcode for a in (person.address, person.previous_address) if a
            }
    return found


def test_every_kind_of_real_world_variation_is_in_the_records() -> None:
    found = _variations(population())
    for kind in (
        "second name as first", "initial", "title in the forenames", "transliteration", "old surname",
        "Mc/Mac or apostrophe", "double-barrelled, reordered or half", "Jr", "Sr", "1900-01-01", "joint mailbox",
        "partner's mobile", "flat written another way", "house name", "postcode slip",
    ):  # fmt: skip
        assert found[kind] >= 5, kind


def test_a_married_womans_maiden_name_is_held_only_outside_revenues() -> None:
    people = population()
    renamed = {p.person_id: p for p in people.people if p.previous_surname}
    assert len(renamed) > 100
    old_name = [
        r for r in people.records if r.person_id in renamed and r.surname == renamed[r.person_id].previous_surname
    ]
    assert old_name and all(r.system is not SourceSystem.REVENUES for r in old_name)


def test_a_joint_mailbox_is_never_anyones_sign_in_nor_verified() -> None:
    people = population()
    joint = {p.household_email for p in people.people if p.household_email}
    assert joint and not joint & {p.email for p in people.people}
    assert not any(r.email_verified and normalise_email(r.email) in joint for r in people.records)
    assert not any(r.system is SourceSystem.PAYMENTS and r.record_id in joint for r in people.records)


def test_birth_date_mistakes_are_swaps_slips_and_placeholders() -> None:
    people = population()
    for record in people.records:
        born = people.person(record.person_id).date_of_birth
        if record.date_of_birth and record.date_of_birth != born:
            held = record.date_of_birth
            digits_wrong = sum(x != y for x, y in zip(f"{held:%Y%m%d}", f"{born:%Y%m%d}", strict=True))
            assert (
                (held.day, held.month) == (born.month, born.day)
                or digits_wrong == 1
                or sorted(f"{held:%Y%m%d}") == sorted(f"{born:%Y%m%d}")
                or held == born.replace(year=born.year - 1)
                or held == PLACEHOLDER_BIRTH_DATE
            ), (held, born)


def test_emails_and_phones_are_written_in_different_ways() -> None:
    people = population()
    emails = [r.email for r in people.records if r.email]
    assert any(e != e.lower() and normalise_email(e) in {p.email for p in people.people} for e in emails)
    phones = [r.phone for r in people.records if r.phone]
    formats = {
        "national spaced": r"0\d{4} \d{6}",
        "run together": r"0\d{10}",
        "international spaced": r"\+44 \d{4} \d{6}",
        "international": r"\+44\d{10}",
    }
    for name, pattern in formats.items():
        assert any(re.fullmatch(pattern, phone) for phone in phones), name
    assert any(p.startswith("01827") for p in phones) and any(p.startswith("07700") for p in phones)
    assert any(r.email is None and people.person(r.person_id).email for r in people.records)
    assert any(r.phone is None and people.person(r.person_id).phone for r in people.records)


def test_people_who_moved_are_still_at_their_old_address_somewhere() -> None:
    people = population()
    moved_from = {p.person_id: p.previous_address for p in people.people if p.previous_address}
    assert len(moved_from) >= 50
    stale = [
        r for r in people.records if r.address and r.person_id in moved_from and _at(r.address, moved_from[r.person_id])
    ]
    assert stale and all(r.system is not SourceSystem.REVENUES for r in stale)
    assert any(not old.in_borough for old in moved_from.values())
    for record in people.records_in(SourceSystem.REVENUES):
        assert record.address and record.address.uprn == people.person(record.person_id).address.uprn


def _at(address: PostalAddress, home: GazetteerAddress) -> bool:
    """The same house number in the same postcode, however the office wrote it."""
    return normalise_postcode(address.postcode) == home.postcode and address.line1.split()[0] == home.line1.split()[0]


# --- look-alikes and households -------------------------------------------------------------------


def test_twins_share_surname_birth_date_and_address_but_not_forenames() -> None:
    people = generate_population(300, 42)
    twins_households = [h for h in people.households if h.kind is HouseholdKind.TWINS]
    assert len(twins_households) >= 3
    for household in twins_households:
        first, second = (people.person(person_id) for person_id in household.adult_ids[-2:])
        assert first.person_id != second.person_id
        assert (first.surname, first.date_of_birth, first.address) == (
            second.surname,
            second.date_of_birth,
            second.address,
        )
        assert first.forenames != second.forenames


def test_father_and_son_share_a_name_and_an_address_but_not_a_birth_date() -> None:
    people = generate_population(300, 42)
    pairs = [h for h in people.households if h.kind is HouseholdKind.FATHER_SON]
    assert len(pairs) >= 3
    for household in pairs:
        father, son = people.person(household.adult_ids[0]), people.person(household.adult_ids[-1])
        assert father.person_id != son.person_id and son.junior
        assert (father.forenames, father.surname, father.address) == (son.forenames, son.surname, son.address)
        assert son.date_of_birth.year - father.date_of_birth.year >= 20
    assert any(r.surname.endswith(" Jr") for r in population().records)


def test_households_share_an_address_and_single_adults_are_known() -> None:
    people = population()
    by_address = Counter(p.address.uprn for p in people.people)
    assert sum(1 for count in by_address.values() if count >= 2) > 300
    for household in people.households:
        assert {people.person(a).address for a in household.adult_ids} == {household.address}
        assert household.householder_id in household.liable_ids
    assert len({h.address.uprn for h in people.households}) == len(people.households)
