"""Comparisons: for each candidate pair and each field, how well the two records agree.

Each comparison turns a pair into a level: 0 is the closest agreement, the last level is plain
disagreement, and NULL (-1) means one side does not know the field (no evidence either way). The
levels are what Fellegi-Sunter weighs: the model learns how often true matches and non-matches land
on each. Everything works on whole arrays of pairs; the string similarity runs in rapidfuzz's C++
(`cpdist`, both cores), so there is no per-pair Python except for the nickname table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from customer360.identity.features import Features, IntArray
from customer360.identity.names import forename_variants

NULL = -1
Levels = npt.NDArray[np.int8]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Column = npt.NDArray[np.object_]
# Fifteen years or more between two dates of birth is a parent and child, not a keying slip.
GENERATION_GAP_DAYS = round(15 * 365.25)
SIMILAR_NAME = 0.88  # Jaro-Winkler at or above which two names are one name mistyped
FUZZY_NAME = 0.7  # below this, two forenames are different names (the twins guard's test)
CROSSED_NAME = 0.8  # both names this close crossed over: written the wrong way round
FORENAME_DIFFERENT = 5  # the level of compare_forename that says "different"
DOB_DIFFERENT = 3  # the level of compare_date_of_birth that says "different" (no slip explains it)
DOB_GENERATION_APART = 4  # the level of compare_date_of_birth that says "15+ years apart"


@dataclass(frozen=True, slots=True)
class Comparison:
    name: str
    levels: tuple[str, ...]  # labels, closest agreement first, disagreement last
    compare: Callable[..., Levels]  # (features, left, right), and the earlier comparisons' levels if derived
    derived: bool = False  # computed from the earlier comparisons' levels, not from the fields


def _levels(conditions: list[Bools], known: Bools) -> Levels:
    """Level = index of the first true condition, else the last level (disagreement); NULL where unknown."""
    chosen = np.select(conditions, list(range(len(conditions))), default=len(conditions)).astype(np.int8)
    chosen[~known] = NULL
    return chosen


def _both_known(a: Column, b: Column) -> Bools:
    known: Bools = (a != "") & (b != "")
    return known


def _similarity(
    a: Column, b: Column, mask: Bools, scorer: Callable[..., float], fill: float = 1.0, floor: float | None = None
) -> Floats:
    """scorer(a, b) where `mask`, else `fill`: the C++ scorer only runs on the pairs that need it. With
    `floor`, a similarity well below it is 0 (rapidfuzz's score_cutoff, which lets the scorer give up early
    on two names that have little in common: most candidate pairs): for callers that only ask whether the
    similarity reaches the floor or more. The cutoff sits a hair under the floor: given one, rapidfuzz
    rounds a similarity of exactly the floor (0.8 for HAMISH and HARI) either way."""
    scores = np.full(len(a), fill, dtype=np.float64)
    if mask.any():
        cutoff = None if floor is None else floor - _CUTOFF_MARGIN
        scores[mask] = process.cpdist(
            a[mask].tolist(), b[mask].tolist(), scorer=scorer, score_cutoff=cutoff, workers=-1
        )
    return scores


_CUTOFF_MARGIN = 1e-6


NamePairs = tuple[Column, Column, Column, Column]
# The forename and surname comparisons of one chunk both need `_names`: the last answer is kept, with the
# very arrays it was for (held, so they cannot be freed and their ids reused by other arrays).
_last_names: list[tuple[Features, IntArray, IntArray, NamePairs]] = []


def _names(f: Features, left: IntArray, right: IntArray) -> NamePairs:
    """(forename a, forename b, surname a, surname b), with b's two names exchanged where b has them the
    wrong way round ("Kexel, Amber" against "Amber Kexel": a slip every register makes), including where
    one of the two was also mistyped or replaced: neither name agrees in place, one agrees crossed."""
    if _last_names and _last_names[0][0] is f and _last_names[0][1] is left and _last_names[0][2] is right:
        return _last_names[0][3]
    names = _names_uncached(f, left, right)
    _last_names[:] = [(f, left, right, names)]
    return names


def _names_uncached(f: Features, left: IntArray, right: IntArray) -> NamePairs:
    fa, fb, sa, sb = f.forename[left], f.forename[right].copy(), f.surname[left], f.surname[right].copy()
    known = _both_known(fa, fb) & _both_known(sa, sb)
    similar = JaroWinkler.normalized_similarity
    straight = _similarity(fa, fb, known & (fa != fb), similar, fill=1.0, floor=SIMILAR_NAME)
    suspect = known & (straight < SIMILAR_NAME)
    surname_straight = _similarity(sa, sb, suspect & (sa != sb), similar, fill=1.0, floor=SIMILAR_NAME)
    forename_crossed = _similarity(fa, sb, suspect, similar, fill=0.0, floor=CROSSED_NAME)
    surname_crossed = _similarity(sa, fb, suspect, similar, fill=0.0, floor=CROSSED_NAME)
    crossed = suspect & (
        ((forename_crossed >= CROSSED_NAME) & (surname_crossed >= CROSSED_NAME))
        | ((surname_straight < SIMILAR_NAME) & (np.maximum(forename_crossed, surname_crossed) >= SIMILAR_NAME))
    )
    fb[crossed], sb[crossed] = sb[crossed], f.forename[right][crossed]
    return fa, fb, sa, sb


def compare_forename(f: Features, left: IntArray, right: IntArray) -> Levels:
    a, b, _, _ = _names(f, left, right)
    sound_a, sound_b = f.forename_sound[left], f.forename_sound[right]
    # Mohammed and Muhammad, Zainab and Zaynab: one name romanised two ways (where not written crossed).
    sounds_alike = (sound_a == sound_b) & (sound_a != "") & (b == f.forename[right])
    # Only a name the nickname table knows can be a nickname, or a slip of one, of another.
    tabled = f.forename_has_variants[left] | f.forename_has_variants[right]
    return _forename_levels(a, b, f.other_forenames[left], f.other_forenames[right], sounds_alike, tabled)


def _forename_levels(
    a: Column,
    b: Column,
    others_a: Column | None = None,
    others_b: Column | None = None,
    sounds_alike: Bools | None = None,
    tabled: Bools | None = None,
) -> Levels:
    known = _both_known(a, b)
    same = a == b
    unequal = known & ~same
    # Every test below asks for FUZZY_NAME or more (or less), so lower similarities need not be exact.
    jw = _similarity(a, b, unequal, JaroWinkler.normalized_similarity, floor=FUZZY_NAME)
    nickname = np.zeros(len(a), dtype=np.bool_)
    if sounds_alike is None:
        sounds_alike = np.zeros(len(a), dtype=np.bool_)
    differ = unequal & (jw < 0.94)
    positions = np.flatnonzero(differ if tabled is None else differ & tabled)
    nickname[positions] = [_nickname(x, y) for x, y in zip(a[positions], b[positions], strict=True)]
    if others_a is not None and others_b is not None:
        positions = np.flatnonzero(differ & ((others_a != "") | (others_b != "")))
        if len(positions):
            # "Robert" against "James Robert": the second name used as the first is the same person's name.
            second = [
                x in oy.split() or y in ox.split()
                for x, y, ox, oy in zip(
                    a[positions], b[positions], others_a[positions], others_b[positions], strict=True
                )
            ]
            nickname[positions] |= np.array(second, dtype=np.bool_)
    # "J" against "John": an initial that fits is weak agreement, not a different name.
    initial = unequal & (jw < FUZZY_NAME)
    positions = np.flatnonzero(initial)
    initial[positions] = [
        (len(x) == 1 or len(y) == 1) and x[0] == y[0] for x, y in zip(a[positions], b[positions], strict=True)
    ]
    return _levels(
        [same, nickname, (jw >= 0.94) | sounds_alike, jw >= SIMILAR_NAME, (jw >= FUZZY_NAME) | initial], known
    )


@lru_cache(maxsize=500_000)
def _nickname(a: str, b: str) -> bool:
    """One is a nickname of the other, or of a slip of the other ("Kaet" for Kate for Katherine).
    Slips rarely touch the first letter, so only names that share it are tried against the table."""
    variants_a, variants_b = forename_variants(a), forename_variants(b)
    if variants_a & variants_b:
        return True
    if a[0] != b[0]:
        return False
    similar = JaroWinkler.normalized_similarity
    return any(similar(a, v) >= 0.9 for v in variants_b) or any(similar(b, v) >= 0.9 for v in variants_a)


def compare_surname(f: Features, left: IntArray, right: IntArray) -> Levels:
    _, _, a, b = _names(f, left, right)
    known = _both_known(a, b)
    same = a == b
    unequal = known & ~same
    jw = _similarity(a, b, unequal, JaroWinkler.normalized_similarity, floor=FUZZY_NAME)  # tests at >= FUZZY_NAME
    # Smith-Jones against Jones, or Jones Smith: a double-barrelled name written in another order or in half.
    parts_a, parts_b = f.surname_parts[left], f.surname_parts[right]
    barrelled = unequal & ((parts_a != "") | (parts_b != ""))
    positions = np.flatnonzero(barrelled)
    barrelled[positions] = [
        _one_name_in_parts(x, y, px, py)
        for x, y, px, py in zip(a[positions], b[positions], parts_a[positions], parts_b[positions], strict=True)
    ]
    sound_a, sound_b = f.surname_sound[left], f.surname_sound[right]
    sounds = unequal & (sound_a == sound_b) & (sound_a != "") & (b == f.surname[right])  # Hussain and Hussein
    # A surname that changed on marriage or divorce: a woman's, or someone's whose records say no sex.
    sex_a, sex_b = f.sex[left], f.sex[right]
    may_have_changed = (sex_a != "M") & (sex_b != "M")
    return _levels(
        [same, (jw >= 0.94) | barrelled | sounds, jw >= SIMILAR_NAME, jw >= FUZZY_NAME, may_have_changed], known
    )


def _one_name_in_parts(a: str, b: str, parts_a: str, parts_b: str) -> bool:
    names_a = set(parts_a.split()) if parts_a else {a}
    names_b = set(parts_b.split()) if parts_b else {b}
    return names_a <= names_b or names_b <= names_a


def compare_date_of_birth(f: Features, left: IntArray, right: IntArray) -> Levels:
    a, b = f.dob[left], f.dob[right]
    known = _both_known(a, b)
    same = a == b
    unequal = known & ~same
    swapped = unequal & (f.dob_swapped[left] == b)
    one_slip = _similarity(a, b, unequal & ~swapped, OSA.distance, fill=0) == 1
    apart = np.abs(f.dob_day[left] - f.dob_day[right])
    return _levels([same, swapped, one_slip, apart < GENERATION_GAP_DAYS], known)


def compare_address(f: Features, left: IntArray, right: IntArray) -> Levels:
    """One comparison for postcode, street, house number and town, which move together: an old
    address after a move costs one (weak) disagreement, not four."""
    pa, pb = f.postcode[left], f.postcode[right]
    sa, sb = f.street[left], f.street[right]
    postcode_known, street_known = _both_known(pa, pb), _both_known(sa, sb)
    same_postcode = postcode_known & (pa == pb)
    # A postcode one keystroke out, or in the same sector (all but the last two characters).
    near_postcode = postcode_known & (
        ((f.postcode_sector[left] == f.postcode_sector[right]) & (f.postcode_sector[left] != ""))
        | (_similarity(pa, pb, postcode_known & ~same_postcode, OSA.distance, fill=0) == 1)
    )
    # Token-set: a second line one office keeps and another drops ("Rose Cottage") is not a difference;
    # and the words run together: a space typed or missed ("Callistercrescent") is not one either.
    differ = street_known & (sa != sb)
    street = (
        np.maximum(
            _similarity(sa, sb, differ, fuzz.token_set_ratio, fill=100.0),
            _similarity(f.street_compact[left], f.street_compact[right], differ, fuzz.ratio, fill=100.0),
        )
        / 100
    )
    same_street = street_known & (street >= SIMILAR_NAME)
    # The building's number: "Flat 2, 12", "2/12" and "12B" are all number 12 (which flat is the names' job).
    same_address = same_street & (
        (f.house[left] == f.house[right]) | ((f.building[left] == f.building[right]) & (f.building[left] != ""))
    )
    town_known = _both_known(f.town[left], f.town[right])
    same_town = town_known & (f.town[left] == f.town[right])
    nearby = near_postcode | same_town
    return _levels(
        [
            same_address & same_postcode,
            same_address & (nearby | ~postcode_known),
            same_street & (nearby | ~postcode_known),
            same_postcode & ~street_known,  # a line left out is not another street
            same_postcode,
            nearby,
        ],
        postcode_known | street_known,
    )


def compare_email(f: Features, left: IntArray, right: IntArray) -> Levels:
    a, b = f.email[left], f.email[right]
    known = _both_known(a, b)
    same = a == b
    # One keystroke out. Not "same name at another domain": people who share a name share that too.
    # Nor a digit or a dot more or less: "ann.lee2@" is the second Ann Lee's account, not a slip of hers.
    one_slip = _similarity(a, b, known & ~same, OSA.distance, fill=0) == 1
    positions = np.flatnonzero(one_slip)
    one_slip[positions] = [_letters(x) != _letters(y) for x, y in zip(a[positions], b[positions], strict=True)]
    return _levels([same, one_slip], known)


def _letters(email: str) -> str:
    return "".join(c for c in email if c.isalpha())


def compare_phone(f: Features, left: IntArray, right: IntArray) -> Levels:
    """A mobile is one person's; a landline is a household's, so it is weaker evidence."""
    a, b = f.phone[left], f.phone[right]
    known = _both_known(a, b)
    same = a == b
    one_slip = _similarity(a, b, known & ~same, OSA.distance, fill=0) == 1
    return _levels([same & f.mobile[left], same, one_slip], known)


def compare_sex(f: Features, left: IntArray, right: IntArray) -> Levels:
    """Mr against Mrs: from titles, where both offices recorded one that says."""
    a, b = f.sex[left], f.sex[right]
    return _levels([a == b], _both_known(a, b))


def compare_generation(f: Features, left: IntArray, right: IntArray) -> Levels:
    """Jr and Sr: known only where at least one record carries a marker."""
    a, b = f.generation[left], f.generation[right]
    either = (a != "") | (b != "")
    return _levels([a == b, (a == "") | (b == "")], either)


def one_surname_one_home(surname: Levels, address: Levels, phone: Levels) -> Bools:
    """The pair could be one household: one surname (or a slip of it) and one home (the same address,
    or the same phone number)."""
    one_home = ((address >= 0) & (address <= 1)) | ((phone >= 0) & (phone <= 1))
    together: Bools = (surname >= 0) & (surname <= 2) & one_home
    return together


def one_forename(forename: Levels) -> Bools:
    """Exact, a nickname or a slip of one: not "fuzzy" (level 4), not different."""
    one: Bools = (forename >= 0) & (forename <= 3)
    return one


def compare_relatives(f: Features, left: IntArray, right: IntArray, earlier: Mapping[str, Levels]) -> Levels:
    """The patterns of two relatives at one home (one surname, and the same address or phone number),
    which Fellegi-Sunter's independent fields cannot see: twins (one birthday, two clearly different
    forenames); housemates (two clearly different forenames, birthdays unknown or not the same: a spouse,
    a sibling); a parent and a child of one name (a generation between their dates of birth); a Jr
    against a Sr; and namesakes (one name, one record marked Jr or Sr and the other not, and neither a
    date of birth nor their own e-mail or mobile that shows them one person). Any one field disagreeing
    is an ordinary slip the model learns; these combinations are not. Known for every pair ("none" when
    no pattern holds)."""
    forename, born, generation = earlier["forename"], earlier["date_of_birth"], earlier["generation"]
    household = one_surname_one_home(earlier["surname"], earlier["address"], earlier["phone"])
    two_forenames = household & (forename == FORENAME_DIFFERENT)
    one_name = household & one_forename(forename)
    twins = two_forenames & (born == 0)
    parent_and_child = one_name & (born == DOB_GENERATION_APART)
    junior_and_senior = generation == 2
    # A Jr's other records often drop the marker; his own e-mail or mobile shows which of the two he is.
    personal = (earlier["email"] == 0) | (earlier["phone"] == 0)
    namesakes = one_name & (generation == 1) & ((born == NULL) | (born >= DOB_DIFFERENT)) & ~personal
    return _levels(
        [twins, two_forenames, parent_and_child, junior_and_senior, namesakes], np.ones(len(left), dtype=np.bool_)
    )


COMPARISONS: tuple[Comparison, ...] = (
    Comparison("forename", ("exact", "nickname", "typo", "similar", "fuzzy", "different"), compare_forename),
    Comparison(
        "surname", ("exact", "typo", "similar", "fuzzy", "different_may_have_changed", "different"), compare_surname
    ),
    Comparison(
        "date_of_birth",
        ("exact", "day_month_swapped", "one_slip", "different", "generation_apart"),
        compare_date_of_birth,
    ),
    Comparison(
        "address",
        (
            "same_address_and_postcode",
            "same_address",
            "same_street",
            "same_postcode_no_street",
            "same_postcode",
            "same_area",
            "different",
        ),
        compare_address,
    ),
    Comparison("email", ("exact", "one_slip", "different"), compare_email),
    Comparison("phone", ("same_mobile", "same_number", "one_slip", "different"), compare_phone),
    Comparison("sex", ("same", "different"), compare_sex),
    Comparison("generation", ("same_marker", "one_marked", "conflict"), compare_generation),
    Comparison(
        "relatives",
        ("twins", "housemates", "parent_and_child", "junior_and_senior", "namesakes", "none"),
        compare_relatives,
        derived=True,
    ),
)


def comparison_vectors(
    features: Features, left: IntArray, right: IntArray, comparisons: tuple[Comparison, ...] = COMPARISONS
) -> npt.NDArray[np.int8]:
    """(pairs x comparisons) levels."""
    out = np.empty((len(left), len(comparisons)), dtype=np.int8)
    done: dict[str, Levels] = {}
    for column, comparison in enumerate(comparisons):
        if comparison.derived:
            out[:, column] = comparison.compare(features, left, right, done)
        else:
            out[:, column] = comparison.compare(features, left, right)
        done[comparison.name] = out[:, column]
    _last_names.clear()  # nothing of this chunk is kept past it
    return out
