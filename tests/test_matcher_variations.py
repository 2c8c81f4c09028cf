"""What real council files do to a person's details, class by class: each class a hand-written pair of
records that must link (one person written two ways) or must not (two people who look alike).

The model is trained, as in production, on a council's own records (the demo population's); then each
pair is compared and scored with it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from customer360.demo.population import generate_population
from customer360.identity.blocking import candidate_pairs
from customer360.identity.comparisons import COMPARISONS, comparison_vectors
from customer360.identity.features import MatchRecord, build_features
from customer360.identity.matcher import AUTO_LINK, cluster, match_probabilities, score_pairs, train
from customer360.identity.model import MatchModel

HOME = {"address_line1": "14 Church Street", "postcode": "B79 7DE", "town": "Tamworth"}
BORN = date(1961, 4, 12)
MARGARET = {
    "title": "Mrs",
    "forenames": "Margaret Anne",
    "surname": "Holloway",
    "date_of_birth": BORN,
    **HOME,
    "email": "m.holloway@example.org",
    "phone": "07700 900412",
}


@pytest.fixture(scope="module")
def model() -> MatchModel:
    population = generate_population(800, 3)
    records = [
        MatchRecord(
            source=r.system.value,
            record_id=r.record_id,
            title=r.title or "",
            forenames=r.forenames,
            surname=r.surname,
            date_of_birth=r.date_of_birth,
            address_line1=r.address.line1 if r.address else "",
            address_line2=(r.address.line2 or "") if r.address else "",
            town=(r.address.town or "") if r.address else "",
            postcode=r.address.postcode if r.address else "",
            email=r.email or "",
            phone=r.phone or "",
        )
        for r in population.records
    ]
    return train(records)


def rec(source: str, **fields: object) -> MatchRecord:
    return MatchRecord(source=source, record_id=f"{source}-1", **fields)  # type: ignore[arg-type]


def margaret(**changed: object) -> MatchRecord:
    return rec("HOUSING", **(MARGARET | changed))


def probability(model: MatchModel, left: MatchRecord, right: MatchRecord) -> float:
    features = build_features([left, right])
    vectors = comparison_vectors(features, np.array([0]), np.array([1]))
    return float(match_probabilities(model, vectors)[1][0])


def labels(left: MatchRecord, right: MatchRecord) -> dict[str, str]:
    features = build_features([left, right])
    vector = comparison_vectors(features, np.array([0]), np.array([1]))[0]
    return {c.name: ("unknown" if v < 0 else c.levels[v]) for c, v in zip(COMPARISONS, vector.tolist(), strict=True)}


REVENUES_MARGARET = rec("REVENUES", **MARGARET)

# (class, the other office's record of Margaret, the comparison and level the class must land on)
ONE_PERSON = [
    ("nickname", margaret(forenames="Peggy"), ("forename", "nickname")),
    ("second name as first", margaret(forenames="Anne"), ("forename", "nickname")),
    ("initial", margaret(forenames="M A", email=""), ("forename", "fuzzy")),
    ("title typed into the forenames", margaret(title="", forenames="Mrs Margaret"), ("forename", "exact")),
    ("suffix in the surname", margaret(surname="Holloway MBE"), ("surname", "exact")),
    (
        "married name, maiden name kept",
        margaret(surname="Pritchard", email=""),
        ("surname", "different_may_have_changed"),
    ),
    ("day and month swapped", margaret(date_of_birth=date(1961, 12, 4)), ("date_of_birth", "day_month_swapped")),
    ("one digit of the date wrong", margaret(date_of_birth=date(1961, 4, 13)), ("date_of_birth", "one_slip")),
    ("1900-01-01 placeholder", margaret(date_of_birth=date(1900, 1, 1)), ("date_of_birth", "unknown")),
    ("no date of birth", margaret(date_of_birth=None), ("date_of_birth", "unknown")),
    ("house name", margaret(address_line1="Rose Cottage, 14 Church Street"), ("address", "same_address_and_postcode")),
    ("postcode one character out", margaret(postcode="B79 7DF"), ("address", "same_address")),
    (
        "moved: the old address in the slower office",
        margaret(address_line1="3 Mill Lane", postcode="B77 1AA", town="Tamworth"),
        ("address", "same_area"),
    ),
]


@pytest.mark.parametrize(("variation", "other", "expected"), ONE_PERSON, ids=[c[0] for c in ONE_PERSON])
def test_one_person_written_two_ways_links(
    model: MatchModel, variation: str, other: MatchRecord, expected: tuple[str, str]
) -> None:
    comparison, level = expected
    assert labels(REVENUES_MARGARET, other)[comparison] == level
    assert probability(model, REVENUES_MARGARET, other) >= AUTO_LINK, variation
    assert len(candidate_pairs(build_features([REVENUES_MARGARET, other]))) == 1  # blocking brings them together


NAMES = {"date_of_birth": date(1984, 9, 30), "address_line1": "7 Mill Lane", "postcode": "B77 2AB"}
# (class, one record, another office's record of the same person, comparison, level)
NAME_SPELLINGS = [
    ("British diminutive", ("Darren", "Foster"), ("Daz", "Foster"), "forename", "nickname"),
    ("transliteration", ("Yusuf", "Hussain"), ("Youssef", "Hussain"), "forename", "typo"),
    ("transliteration of a surname", ("Mohammed", "Hussain"), ("Mohammed", "Hussein"), "surname", "typo"),
    ("Mc and Mac", ("Ian", "McDonald"), ("Ian", "Mac Donald"), "surname", "exact"),
    ("apostrophe", ("Siobhan", "O'Neill"), ("Siobhan", "O Neill"), "surname", "exact"),
    ("double-barrelled, other order", ("Amy", "Smith-Jones"), ("Amy", "Jones Smith"), "surname", "typo"),
    ("double-barrelled, half", ("Amy", "Smith-Jones"), ("Amy", "Jones"), "surname", "typo"),
]


@pytest.mark.parametrize(
    ("variation", "a", "b", "comparison", "level"), NAME_SPELLINGS, ids=[c[0] for c in NAME_SPELLINGS]
)
def test_a_name_spelt_two_ways_links(
    model: MatchModel, variation: str, a: tuple[str, str], b: tuple[str, str], comparison: str, level: str
) -> None:
    left = rec("REVENUES", forenames=a[0], surname=a[1], **NAMES)
    right = rec("CRM", forenames=b[0], surname=b[1], **NAMES)
    assert labels(left, right)[comparison] == level
    assert probability(model, left, right) >= AUTO_LINK, variation


FLAT = {"postcode": "B79 7JH", "forenames": "Karen", "surname": "Patel", "date_of_birth": date(1979, 2, 2)}


@pytest.mark.parametrize(
    "written",
    ["12B Marmion Street", "2/12 Marmion St", "First Floor Flat, 12 Marmion Street", "Apartment 2, 12 Marmion Street"],
)
def test_a_flat_written_many_ways_is_one_address(model: MatchModel, written: str) -> None:
    left = rec("REVENUES", address_line1="Flat 2, 12 Marmion Street", **FLAT)
    right = rec("BENEFITS", address_line1=written, **FLAT)
    assert labels(left, right)["address"] == "same_address_and_postcode"
    assert probability(model, left, right) >= AUTO_LINK


# (class, one person, another at the same home): look-alikes that must never be merged.
HOUSEHOLD = {**HOME, "phone": "01827 700700"}
TWO_PEOPLE = [
    (
        "twins",
        {"forenames": "Daniel", "surname": "Quarrie", "date_of_birth": date(1999, 3, 4)},
        {"forenames": "Matthew", "surname": "Quarrie", "date_of_birth": date(1999, 3, 4)},
    ),
    (
        "father and son, Sr and Jr",
        {"title": "Mr", "forenames": "John", "surname": "Quarrie Snr"},
        {"title": "Mr", "forenames": "John", "surname": "Quarrie Jr"},
    ),
    (
        "father and son, a generation apart",
        {"title": "Mr", "forenames": "John", "surname": "Quarrie", "date_of_birth": date(1961, 6, 2)},
        {"title": "Mr", "forenames": "John", "surname": "Quarrie", "date_of_birth": date(1990, 8, 19)},
    ),
    (
        "a couple sharing a mailbox",
        {"title": "Mrs", "forenames": "Margaret", "surname": "Holloway", "email": "hollowayfamily@example.org"},
        {"title": "Mr", "forenames": "Peter", "surname": "Holloway", "email": "hollowayfamily@example.org"},
    ),
    (
        "a couple sharing a mobile",
        {"title": "Mrs", "forenames": "Margaret", "surname": "Holloway", "phone": "07700 900412"},
        {"title": "Mr", "forenames": "Peter", "surname": "Holloway", "phone": "07700 900412"},
    ),
    (
        "a lodger: another woman's name at the same home",
        {"title": "Mrs", "forenames": "Margaret", "surname": "Holloway", "date_of_birth": BORN},
        {"title": "Ms", "forenames": "Susan", "surname": "Pritchard"},
    ),
]


@pytest.mark.parametrize(("variation", "a", "b"), TWO_PEOPLE, ids=[c[0] for c in TWO_PEOPLE])
def test_two_people_at_one_home_do_not_link(
    model: MatchModel, variation: str, a: dict[str, object], b: dict[str, object]
) -> None:
    left, right = rec("REVENUES", **(HOUSEHOLD | a)), rec("BENEFITS", **(HOUSEHOLD | b))
    assert probability(model, left, right) < AUTO_LINK, variation  # at most a question for a steward
    assert len(cluster([left, right], score_pairs(model, [left, right]))) == 2
