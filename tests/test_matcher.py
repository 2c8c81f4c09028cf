"""The probabilistic matcher: comparison levels, relatives kept apart, EM, determinism."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from customer360.identity.clustering import connected_clusters, one_to_one, two_deduplicated_files
from customer360.identity.comparisons import (
    COMPARISONS,
    compare_address,
    compare_date_of_birth,
    compare_email,
    compare_forename,
    compare_surname,
    comparison_vectors,
)
from customer360.identity.features import MatchRecord, build_features
from customer360.identity.matcher import MatchDecision, cluster, score_pairs, train
from customer360.identity.model import HouseholdTable, initial_model, u_without_matches


def level(compare, left: MatchRecord, right: MatchRecord) -> int:  # type: ignore[no-untyped-def]
    features = build_features([left, right])
    return int(compare(features, np.array([0]), np.array([1]))[0])


def label(name: str, left: MatchRecord, right: MatchRecord) -> str:
    """The level of comparison `name` for one pair, by its label ("unknown" where either side lacks it)."""
    features = build_features([left, right])
    vector = comparison_vectors(features, np.array([0]), np.array([1]))[0]
    column = [c.name for c in COMPARISONS].index(name)
    chosen = int(vector[column])
    return "unknown" if chosen < 0 else COMPARISONS[column].levels[chosen]


def rec(record_id: str, **fields: object) -> MatchRecord:
    return MatchRecord(source="CRM", record_id=record_id, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Robert", "Robert", 0),
        ("Robert James", "Robert", 0),  # a middle name is not a different forename
        ("Bob", "Robert", 1),  # nickname
        ("Liz", "Elizabeth", 1),
        ("Kaet", "Katherine", 1),  # a slip of a nickname (Kate)
        ("Robret", "Robert", 2),  # typo
        ("Jonathon", "Jonathan", 2),
        ("Emma", "Liam", 5),  # different
        ("", "Robert", -1),  # unknown
    ],
)
def test_forename_levels(a: str, b: str, expected: int) -> None:
    assert (
        level(compare_forename, rec("1", forenames=a, surname="Smith"), rec("2", forenames=b, surname="Smith"))
        == expected
    )


def test_forename_and_surname_the_wrong_way_round_still_agree() -> None:
    left, right = rec("1", forenames="Amber", surname="Kexel"), rec("2", forenames="Kexel", surname="Amber")
    assert level(compare_forename, left, right) == 0
    assert level(compare_surname, left, right) == 0


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("Smith", "Smith", 0), ("Smith Jr", "Smith", 0), ("Hodgkinson", "Hodgkisnon", 1), ("Smith", "Patel", 4)],
)
def test_surname_levels(a: str, b: str, expected: int) -> None:
    assert (
        level(compare_surname, rec("1", forenames="Ann", surname=a), rec("2", forenames="Ann", surname=b)) == expected
    )


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(1980, 5, 7), date(1980, 5, 7), 0),
        (date(1980, 5, 7), date(1980, 7, 5), 1),  # day and month swapped
        (date(1980, 5, 13), date(1980, 5, 31), 2),  # 13 -> 31: two digits transposed
        (date(1980, 5, 7), date(1980, 5, 8), 2),  # one digit
        (date(1980, 5, 7), date(1983, 9, 21), 3),  # different
        (date(1958, 5, 7), date(1986, 9, 21), 4),  # a generation apart
    ],
)
def test_date_of_birth_levels(a: date, b: date, expected: int) -> None:
    assert level(compare_date_of_birth, rec("1", date_of_birth=a), rec("2", date_of_birth=b)) == expected


def test_address_levels_forgive_abbreviations_and_a_kept_second_line() -> None:
    left = rec("1", address_line1="12 High Street", postcode="B79 7BZ")
    assert (
        level(
            compare_address, left, rec("2", address_line1="12 High St", address_line2="Rose Cottage", postcode="b797bz")
        )
        == 0
    )
    assert level(compare_address, left, rec("3", address_line1="14 High Street", postcode="B79 7BZ")) == 2
    assert level(compare_address, left, rec("4", address_line1="3 Mill Lane", postcode="B77 1AA")) == 6  # different


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (("Jonathan", "Smith"), ("Jonathan", "Smith"), "exact"),
        (("Catherine", "Smith"), ("Kathryn", "Smith"), "nickname"),
        (("Kylie", "Smith"), ("Kyle", "Smith"), "typo"),
        (("Zachary", "Smith"), ("Zachery", "Smith"), "typo"),
        (("Braiden", "Smith"), ("Braid En", "Smith"), "typo"),  # only the first word of a forename counts
        (("Mikaela", "Smith"), ("Michaela", "Smith"), "similar"),
        (("Tahlia", "Smith"), ("Talia", "Smith"), "typo"),
        (("Jasmine", "Smith"), ("Jazmyne", "Smith"), "typo"),  # spelt apart, but they sound alike (metaphone)
        (("Jasmine", "Smith"), ("Jacinta", "Smith"), "fuzzy"),  # too far for a slip, too near to be another name
        (("J", "Smith"), ("John", "Smith"), "fuzzy"),  # an initial that fits
        (("K", "Smith"), ("John", "Smith"), "different"),
        (("Daniel", "Smith"), ("Matthew", "Smith"), "different"),
        # names the wrong way round, one of them replaced as well: Schuman is compared with Schumann
        (("Schuman", "Alexandra"), ("Harrison", "Schumann"), "typo"),
        (("Amber", "Kexel"), ("Kexel", "Amber"), "exact"),
    ],
)
def test_forename_levels_by_label(a: tuple[str, str], b: tuple[str, str], expected: str) -> None:
    left, right = rec("1", forenames=a[0], surname=a[1]), rec("2", forenames=b[0], surname=b[1])
    assert label("forename", left, right) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (("Harrison", "Schumann"), ("Schuman", "Alexandra"), "typo"),  # crossed: Schumann against Schuman
        (("Ann", "Hodgkinson"), ("Ann", "Hodgkinson"), "exact"),
        (("Ann", "Ebert"), ("Ann", "Ebhrt"), "similar"),
        (("Ann", "Wilkins"), ("Ann", "Wilkinson"), "typo"),
        (("Ann", "Rundle"), ("Ann", "Randall"), "typo"),  # they sound alike (metaphone RNTL)
        (("Ann", "Rundle"), ("Ann", "Ridley"), "fuzzy"),
        (("Ann", "Smith"), ("Ann", "Patel"), "different_may_have_changed"),  # no title: she may have married
        (("Mr Ann", "Smith"), ("Ann", "Patel"), "different"),  # a man's surname seldom changes
    ],
)
def test_surname_levels_by_label(a: tuple[str, str], b: tuple[str, str], expected: str) -> None:
    left, right = rec("1", forenames=a[0], surname=a[1]), rec("2", forenames=b[0], surname=b[1])
    assert label("surname", left, right) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (("12 High Street", "B79 7BZ", ""), ("12 High St", "B79 7BZ", ""), "same_address_and_postcode"),
        (("226 Callistercrescent", "B79 7BZ", ""), ("226 Callister Crescent", "B79 7ZB", ""), "same_address"),
        (("4 Anzac Park", "B79 7BZ", "Villa 5"), ("4 Villa 5", "B79 7BZ", "Anzac Park"), "same_address_and_postcode"),
        (("34 Beetaloo Street", "3996", "Downer"), ("23 Beetaloo Street", "3969", "Downer"), "same_street"),
        (("14 High Street", "B79 7BZ", ""), ("2 Mill Lane", "B79 7BZ", ""), "same_postcode"),
        # one office left the first line out: the postcode agrees and no street disagrees
        (("14 High Street", "B79 7BZ", ""), ("", "B79 7BZ", ""), "same_postcode_no_street"),
        (("", "B79 7BZ", ""), ("", "B79 7BZ", ""), "same_postcode_no_street"),
        (("14 High Street", "B79 7BZ", "Tamworth"), ("2 Mill Lane", "B77 1AA", "Tamworth"), "same_area"),
        (("14 High Street", "B79 7BZ", "Tamworth"), ("2 Mill Lane", "B77 1AA", "Lichfield"), "different"),
    ],
)
def test_address_levels_by_label(a: tuple[str, str, str], b: tuple[str, str, str], expected: str) -> None:
    left = rec("1", address_line1=a[0], postcode=a[1], address_line2="" if a[2] in ("", "Tamworth") else a[2])
    right = rec("2", address_line1=b[0], postcode=b[1], address_line2="" if b[2] in ("", "Tamworth") else b[2])
    if a[2] in ("Tamworth", "Downer") or b[2] in ("Tamworth", "Lichfield", "Downer"):
        left, right = (
            rec("1", address_line1=a[0], postcode=a[1], town=a[2]),
            rec("2", address_line1=b[0], postcode=b[1], town=b[2]),
        )
    assert label("address", left, right) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("ann.lee@example.org", "Ann.Lee@Example.org", 0),
        ("ann.lee@example.org", "ann.leee@example.org", 1),  # a letter slip
        ("ann.lee@example.org", "ann.lee2@example.org", 2),  # the second Ann Lee's account
        ("ann.lee@example.org", "annlee@example.org", 2),  # another mailbox, not a slip
        ("ann.lee@example.org", "bob@example.org", 2),
    ],
)
def test_email_levels(a: str, b: str, expected: int) -> None:
    assert level(compare_email, rec("1", email=a), rec("2", email=b)) == expected


HOME = {"address_line1": "7 Mill Lane", "postcode": "B77 2AB", "phone": "01827 700700"}


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # twins: one surname, birthday and home, two clearly different forenames
        (
            {"forenames": "Daniel", "surname": "Quarrie", "date_of_birth": date(1999, 3, 4), **HOME},
            {"forenames": "Matthew", "surname": "Quarrie", "date_of_birth": date(1999, 3, 4), **HOME},
            "twins",
        ),
        # a forename mistyped is not a twin
        (
            {"forenames": "Daniel", "surname": "Quarrie", "date_of_birth": date(1999, 3, 4), **HOME},
            {"forenames": "Daneil", "surname": "Quarrie", "date_of_birth": date(1999, 3, 4), **HOME},
            "none",
        ),
        # different forenames, but elsewhere: not the household pattern (EM weighs it as any other)
        (
            {"forenames": "Daniel", "surname": "Quarrie", "date_of_birth": date(1999, 3, 4), **HOME},
            {"forenames": "Matthew", "surname": "Quarrie", "date_of_birth": date(1999, 3, 4)},
            "none",
        ),
        # two forenames at one home, one date of birth unknown: a spouse or a sibling
        (
            {"forenames": "Victoria", "surname": "Foster", "date_of_birth": date(1962, 10, 30), **HOME},
            {"forenames": "Michael", "surname": "Foster", **HOME},
            "housemates",
        ),
        # ... and sharing only the landline is one home too
        (
            {"forenames": "Victoria", "surname": "Foster", "phone": HOME["phone"]},
            {"forenames": "Michael", "surname": "Foster", "phone": HOME["phone"]},
            "housemates",
        ),
        # a nickname is one forename, not two people
        (
            {"forenames": "Victoria", "surname": "Foster", **HOME},
            {"forenames": "Vicky", "surname": "Foster", **HOME},
            "none",
        ),
        # father and son of one name, a generation apart, at one address
        (
            {"forenames": "John", "surname": "Quarrie", "date_of_birth": date(1961, 6, 2), **HOME},
            {"forenames": "John", "surname": "Quarrie", "date_of_birth": date(1990, 8, 19), **HOME},
            "parent_and_child",
        ),
        # a year keyed wrong (1985 for 1958 is one transposition) is a slip, not a generation
        (
            {"forenames": "John", "surname": "Quarrie", "date_of_birth": date(1958, 6, 2), **HOME},
            {"forenames": "John", "surname": "Quarrie", "date_of_birth": date(1985, 6, 2), **HOME},
            "none",
        ),
        (
            {"forenames": "John", "surname": "Quarrie Jr", **HOME},
            {"forenames": "John", "surname": "Quarrie Snr", **HOME},
            "junior_and_senior",
        ),
        # a Jr and an unmarked namesake at his home, nothing to tell whether it is his father
        (
            {"forenames": "John", "surname": "Quarrie Jr", "date_of_birth": date(1990, 8, 19), **HOME},
            {"forenames": "John", "surname": "Quarrie", **HOME},
            "namesakes",
        ),
        # ... his own date of birth shows the unmarked record is his, the marker merely dropped
        (
            {"forenames": "John", "surname": "Quarrie Jr", "date_of_birth": date(1990, 8, 19), **HOME},
            {"forenames": "John", "surname": "Quarrie", "date_of_birth": date(1990, 8, 19), **HOME},
            "none",
        ),
        # ... and so does his own mobile, or e-mail
        (
            {"forenames": "John", "surname": "Quarrie Jr", "address_line1": "7 Mill Lane", "phone": "07700 900111"},
            {"forenames": "John", "surname": "Quarrie", "address_line1": "7 Mill Lane", "phone": "07700 900111"},
            "none",
        ),
        (
            {"forenames": "John", "surname": "Quarrie Jr", "email": "jq@example.com", **HOME},
            {"forenames": "John", "surname": "Quarrie", "email": "jq@example.com", **HOME},
            "none",
        ),
        (
            {"forenames": "John", "surname": "Quarrie", "date_of_birth": date(1961, 6, 2), **HOME},
            {"forenames": "John", "surname": "Quarrie", "date_of_birth": date(1961, 6, 2), **HOME},
            "none",
        ),
    ],
)
def test_relatives_levels(a: dict[str, object], b: dict[str, object], expected: str) -> None:
    assert label("relatives", rec("1", **a), rec("2", **b)) == expected


def test_relative_guards_weigh_twenty_bits_against_and_nothing_when_off() -> None:
    on, _ = run(council())
    tables = dict(zip([c.name for c in on.comparisons], on.weight_table(), strict=True))
    assert list(np.round(tables["relatives"], 6)) == [-20.0, -20.0, -20.0, -20.0, -20.0, 0.0]
    off = train(council(), relative_guards=False)
    tables = dict(zip([c.name for c in off.comparisons], off.weight_table(), strict=True))
    assert list(np.round(tables["relatives"], 6)) == [0.0] * 6


@pytest.mark.parametrize(
    ("table", "households"),
    [
        # the demo council: spouses and siblings, two forenames and two birthdays at one home, by the hundred
        (HouseholdTable(both=846, forename_only=4, date_only=25, neither=931), True),
        # FEBRL3 and FEBRL4: a forename or a date replaced at random, independently (odds ratio 0.7, 1.1)
        (HouseholdTable(both=21, forename_only=409, date_only=183, neither=2454), False),
        (HouseholdTable(both=14, forename_only=268, date_only=125, neither=2610), False),
        # no relatives pattern at all, or too few pairs to tell: the guards stay
        (HouseholdTable(both=0, forename_only=0, date_only=0, neither=60), True),
        (HouseholdTable(both=0, forename_only=5, date_only=5, neither=100), True),
        # one twin pair and a father and son at one home are enough to keep them
        (HouseholdTable(both=4, forename_only=1, date_only=1, neither=60), True),
    ],
)
def test_household_table_tells_households_from_independent_slips(table: HouseholdTable, households: bool) -> None:
    assert table.shows_households is households


def replaced_at_random() -> list[MatchRecord]:
    """FEBRL's way: 240 people at homes of their own, each with a duplicate; one duplicate in six has its
    forename replaced by an unrelated one, about one in five its date of birth, and one in 36 both
    (as often as independence has it)."""
    records = []
    for i in range(240):
        forename, surname = FORENAMES[i % 12], f"{SURNAMES[i % 9]}{'abcdefghijklmnopqrstuvwxyz'[i % 26] * (i // 9)}"
        home = {"address_line1": f"{i + 1} Station Road", "postcode": f"B7{i % 10} {i % 9}A{chr(65 + i % 26)}"}
        born = date(1930 + i % 60, 1 + i % 12, 1 + i % 28)
        records.append(rec(f"org-{i}", forenames=forename, surname=surname, date_of_birth=born, **home))
        replaced_forename, replaced_date = i % 6 == 0, i % 6 == 1 or i % 36 == 0
        records.append(
            rec(
                f"dup-{i}",
                forenames=FORENAMES[(i + 5) % 12] if replaced_forename else forename,
                surname=surname,
                date_of_birth=date(1930 + (i + 31) % 60, 1 + i % 12, 1 + i % 28) if replaced_date else born,
                **home,
            )
        )
    return records


def test_guards_are_released_where_relatives_patterns_are_independent_slips() -> None:
    records = replaced_at_random()
    assert not train(records).pinned  # no households, so a twin-shaped pair is a replaced forename
    _, clusters = run(records)
    assert all(together(records, clusters, f"org-{i}", f"dup-{i}") for i in range(240))
    # The same duplicates where one home in six also holds a spouse: households, so the guards stay.
    spouses = [
        rec(
            f"spouse-{i}",
            forenames="Margaret",
            surname=records[2 * i].surname,
            date_of_birth=date(1931 + i % 60, 7, 9),
            address_line1=records[2 * i].address_line1,
            postcode=records[2 * i].postcode,
        )
        for i in range(3, 240, 6)
    ]
    assert train([*records, *spouses]).pinned


def test_u_leaves_out_the_true_matches_among_the_random_pairs() -> None:
    model = initial_model(np.array([[0]] * 10 + [[1]] * 990, dtype=np.int8), {}, (COMPARISONS[0],))
    model.parameters["forename"].m = [0.9, 0.02, 0.02, 0.02, 0.02, 0.02]
    model.prior = 0.5  # every exact agreement among the random pairs is then a match, nearly
    before = model.parameters["forename"].u[0]
    u_without_matches(model, np.array([[0]] * 10 + [[1]] * 990, dtype=np.int8))
    assert model.parameters["forename"].u[0] < before / 5


def test_relatives_are_never_chained_into_one_cluster() -> None:
    # 0-1 and 1-2 are links, but 0 and 2 are relatives: 2 joins 1's cluster only if 0 is not in it.
    left, right, probability = np.array([0, 1]), np.array([1, 2]), np.array([0.9999, 0.999])
    labels, _ = connected_clusters(3, left, right, probability, 0.99)
    assert labels[0] == labels[1] == labels[2]
    labels, _ = connected_clusters(3, left, right, probability, 0.99, apart=(np.array([0]), np.array([2])))
    assert labels[0] == labels[1] != labels[2]


def test_two_deduplicated_files_link_one_to_one() -> None:
    sources = np.array(["A", "A", "B", "B"], dtype=object)
    left, right = np.array([0, 0, 1, 0]), np.array([2, 3, 3, 1])
    probability = np.array([0.7, 0.6, 0.4, 0.2])
    assert two_deduplicated_files(sources, left, right, probability >= 0.99)
    # A0-B2 is each one's best in the other file: linked; A0-B3 is not B3's... best for B3 is A0 (0.6)
    # but not A0's best; A1-B3 is below the floor; A0-A1 is within one file: dropped.
    assert one_to_one(sources, left, right, probability, 0.5).tolist() == [1.0, 0.6, 0.4, 0.0]
    assert not two_deduplicated_files(sources, left, right, np.array([False, False, False, True]))
    assert not two_deduplicated_files(np.array(["A", "B", "C", "C"], dtype=object), left, right, probability > 1)


# --- a small council ------------------------------------------------------------------------

FORENAMES = ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Noah", "Mia", "Leo", "Ivy", "Oscar", "Freya"]
SURNAMES = ["Ashdown", "Bramley", "Cotterill", "Dunmore", "Ellery", "Fenwick", "Garside", "Hollins", "Ingham"]


def council() -> list[MatchRecord]:
    """60 people, each in two offices (one spelling varies), plus the look-alikes a matcher must keep apart."""
    records = []
    for i in range(60):
        forename, surname = FORENAMES[i % len(FORENAMES)], SURNAMES[i % len(SURNAMES)] + ("" if i < 9 else str(i))
        surname = "".join(c for c in surname if c.isalpha()) + "abcdefghijklmnopqrstuvwxyz"[i % 26] * (i // 9)
        born = date(1950 + i % 40, 1 + i % 12, 1 + i % 28)
        postcode = f"B7{i % 10} {i % 9}A{chr(65 + i % 26)}"
        line1 = f"{i + 1} Station Road"
        phone = f"07700 9{i:05d}"
        email = f"{forename}.{surname}@example.com".lower()
        records.append(
            rec(
                f"rev-{i}",
                forenames=forename,
                surname=surname,
                date_of_birth=born,
                address_line1=line1,
                postcode=postcode,
                phone=phone,
                email=email,
            )
        )
        records.append(
            MatchRecord(
                source="BENEFITS",
                record_id=f"ben-{i}",
                forenames=forename if i % 3 else forename[:-1] + forename[-1] * 2,
                surname=surname,
                date_of_birth=born,
                address_line1=line1,
                postcode=postcode,
                phone=phone if i % 2 else "",
                email=email if i % 4 else "",
            )
        )
    return records


def together(records: list[MatchRecord], clusters, a: str, b: str) -> bool:  # type: ignore[no-untyped-def]
    index = {r.record_id: i for i, r in enumerate(records)}
    return any(index[a] in c.members and index[b] in c.members for c in clusters)


def run(records: list[MatchRecord]):  # type: ignore[no-untyped-def]
    model = train(records)
    return model, cluster(records, score_pairs(model, records))


def test_em_learns_that_agreement_is_evidence_of_a_match() -> None:
    model, _ = run(council())
    assert model.converged
    for name in ("forename", "surname", "date_of_birth", "address", "phone"):
        parameters = model.parameters[name]
        assert parameters.m[0] > parameters.u[0], name


def test_people_in_two_offices_are_linked() -> None:
    records = council()
    _, clusters = run(records)
    assert all(together(records, clusters, f"rev-{i}", f"ben-{i}") for i in range(60))
    assert len(clusters) == 60


def quarrie_household() -> list[MatchRecord]:
    home = {"address_line1": "7 Mill Lane", "postcode": "B77 2AB", "phone": "01827 700700"}
    return [
        rec("twin-a", forenames="Daniel", surname="Quarrie", date_of_birth=date(1999, 3, 4), **home),
        rec("twin-b", forenames="Matthew", surname="Quarrie", date_of_birth=date(1999, 3, 4), **home),
        rec("father", title="Mr", forenames="John", surname="Quarrie", date_of_birth=date(1961, 6, 2), **home),
        rec("son", title="Mr", forenames="John", surname="Quarrie Jr", date_of_birth=date(1990, 8, 19), **home),
    ]


def test_twins_and_father_and_son_at_one_address_are_not_linked() -> None:
    records = [*council(), *quarrie_household()]
    model, clusters = run(records)
    for a, b in (("twin-a", "twin-b"), ("father", "son")):
        assert not together(records, clusters, a, b)
    index = {r.record_id: i for i, r in enumerate(records)}
    for pair in score_pairs(model, records):
        if {pair.left, pair.right} in ({index["twin-a"], index["twin-b"]}, {index["father"], index["son"]}):
            assert pair.decision is MatchDecision.NO_LINK


def test_a_fathers_record_does_not_join_his_sons_through_an_unmarked_one() -> None:
    home = {"address_line1": "7 Tamworth Road", "postcode": "B77 3BS"}
    records = [
        *council(),
        *quarrie_household(),
        rec("son-jr", forenames="John", surname="Matthews Jr", date_of_birth=date(1982, 4, 21), **home),
        MatchRecord(
            source="HOUSING",
            record_id="son",
            forenames="John",
            surname="Matthews",
            date_of_birth=date(1982, 4, 21),
            **home,
        ),
        # The father's record holds nothing the son's unmarked one does not: alone, the pair would link.
        MatchRecord(source="REVENUES", record_id="father", forenames="John", surname="Matthews", **home),
    ]
    _, clusters = run(records)
    assert together(records, clusters, "son-jr", "son")
    assert not together(records, clusters, "father", "son-jr")


def test_a_person_who_moved_is_still_linked() -> None:
    records = [
        *council(),
        rec(
            "old",
            forenames="Imogen",
            surname="Marchbank",
            date_of_birth=date(1984, 2, 9),
            address_line1="1 Elm Close",
            postcode="B78 3ZZ",
            email="imogen.m@example.com",
        ),
        MatchRecord(
            source="REVENUES",
            record_id="new",
            forenames="Imogen",
            surname="Marchbank",
            date_of_birth=date(1984, 2, 9),
            address_line1="40 Ash Grove",
            postcode="B79 8QQ",
            email="Imogen.M@Example.com",
        ),
    ]
    model, clusters = run(records)
    assert together(records, clusters, "old", "new")
    index = {r.record_id: i for i, r in enumerate(records)}
    pair = next(p for p in score_pairs(model, records) if {p.left, p.right} == {index["old"], index["new"]})
    assert pair.evidence["address"][0] == "different"
    assert pair.evidence["address"][1] > -5  # weak evidence against, not a veto


def test_training_and_clustering_are_deterministic() -> None:
    records = council()
    first_model, first = run(records)
    second_model, second = run(records)
    assert first_model.to_json() == second_model.to_json()
    assert [(c.cluster_id, c.members) for c in first] == [(c.cluster_id, c.members) for c in second]


def test_model_round_trips_through_json() -> None:
    from customer360.identity.model import MatchModel

    model, _ = run(council())
    assert MatchModel.from_json(model.to_json()).to_json() == model.to_json()


def test_arrivals_get_exactly_the_candidate_pairs_a_full_run_gives_them() -> None:
    from customer360.identity.blocking import candidate_pairs, candidate_pairs_touching

    records = council()
    features = build_features(records)
    new = np.zeros(len(records), dtype=np.bool_)
    new[-15:] = True  # the last fifteen arrived today
    full = candidate_pairs(features)
    everything = set(zip(full.left.tolist(), full.right.tolist(), strict=True))
    touching = candidate_pairs_touching(features, new)
    assert set(zip(touching.left.tolist(), touching.right.tolist(), strict=True)) == {
        (a, b) for a, b in everything if new[a] or new[b]
    }
    assert len(touching) > 0


def test_distinct_patterns_are_numpys_unique_rows_with_their_counts() -> None:
    """EM and the prior count each distinct row of levels once: the packing must give exactly the rows,
    order and counts of np.unique, unknown levels (NULL) included."""
    from customer360.identity.model import distinct_patterns

    rng = np.random.default_rng(2)
    vectors = rng.integers(-1, 7, size=(50_000, 9)).astype(np.int8)
    vectors[:, 4] = rng.integers(-1, 1, size=50_000)  # a column mostly unknown: many repeated rows
    patterns, counts = distinct_patterns(vectors)
    expected, expected_counts = np.unique(vectors, axis=0, return_counts=True)
    assert patterns.dtype == np.int8
    assert np.array_equal(patterns, expected) and np.array_equal(counts, expected_counts)
    assert counts.sum() == len(vectors) and len(patterns) < len(vectors)


def test_a_level_past_the_models_weights_is_refused_not_weighed_as_unknown():
    # A saved model from before a comparison gained a level must not score that level as nothing.
    import numpy as np

    from customer360.identity.model import LevelParameters, MatchModel

    first = COMPARISONS[0]
    levels = len(first.levels)
    model = MatchModel(
        comparisons=(first,), parameters={first.name: LevelParameters(m=[0.5] * levels, u=[0.5] * levels)}
    )
    known = np.array([[0], [levels - 1], [-1]], dtype=np.int64)
    totals, _ = model.match_weights(known)
    assert list(totals) == [model.prior_weight] * 3  # m = u: every known level and NULL weigh nothing
    with pytest.raises(ValueError, match="has no weight"):
        model.match_weights(np.array([[levels]], dtype=np.int64))
