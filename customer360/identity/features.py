"""What the probabilistic matcher compares: each record's fields, normalised once, held as columns.

A `MatchRecord` is one row of the batch format (CONTRACT.md's `records.csv`); a `PersonRecord` from a
back office converts to one. `Features` holds the normalised values of many records column by column
(numpy arrays), so blocking and comparisons work on whole columns instead of record by record.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import jellyfish
import numpy as np
import numpy.typing as npt

from customer360.domain.people import PersonRecord, normalise_email, normalise_name, normalise_phone
from customer360.identity.names import forename_variants

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """One record as the batch file has it; every field but the ids may be empty (unknown)."""

    source: str
    record_id: str
    title: str = ""
    forenames: str = ""
    surname: str = ""
    date_of_birth: date | None = None
    address_line1: str = ""
    address_line2: str = ""
    town: str = ""
    postcode: str = ""
    email: str = ""
    phone: str = ""

    @classmethod
    def from_person(cls, record: PersonRecord) -> MatchRecord:
        address = record.address
        return cls(
            source=record.system.value,
            record_id=record.record_id,
            title=record.title or "",
            forenames=record.forenames,
            surname=record.surname,
            date_of_birth=record.date_of_birth,
            address_line1=address.line1 if address else "",
            address_line2=(address.line2 or "") if address else "",
            town=(address.town or "") if address else "",
            postcode=address.postcode if address else "",
            email=record.email or "",
            phone=record.phone or "",
        )


# Generation markers as offices write them, after a surname ("Smith Jr") or in the forenames.
_GENERATION = {"JR": "JR", "JNR": "JR", "JUNIOR": "JR", "II": "JR", "SR": "SR", "SNR": "SR", "SENIOR": "SR"}
_MALE_TITLES = {"MR", "MASTER", "SIR", "LORD"}
_FEMALE_TITLES = {"MRS", "MS", "MISS", "LADY", "DAME", "MADAM"}
# Typed into a name field ("Mr John", "Smith MBE"): not part of the name.
_TITLES = _MALE_TITLES | _FEMALE_TITLES | {"DR", "PROF", "REV", "MX"}
_SUFFIXES = {"ESQ", "MBE", "OBE", "CBE", "BSC", "BA", "MA", "MSC", "PHD", "JP", "QC", "KC", "RN"}
# Where older systems hold a date of birth nobody asked for: 1900-01-01 and the like, never a real one.
_PLACEHOLDER_YEARS_BEFORE = 1901
# Street words as typed short; expanded so "High St" and "High Street" compare equal.
_STREET_WORDS = {
    "ST": "STREET", "RD": "ROAD", "LN": "LANE", "AVE": "AVENUE", "AV": "AVENUE", "DR": "DRIVE",
    "CL": "CLOSE", "CT": "COURT", "CRT": "COURT", "PL": "PLACE", "CRES": "CRESCENT", "CR": "CRESCENT",
    "GDNS": "GARDENS", "GRN": "GREEN", "GR": "GROVE", "GRV": "GROVE", "TCE": "TERRACE", "TER": "TERRACE",
    "SQ": "SQUARE", "PDE": "PARADE", "HWY": "HIGHWAY", "WY": "WAY", "CIR": "CIRCUIT", "CCT": "CIRCUIT",
    "FLT": "FLAT", "APT": "FLAT", "VLGE": "VILLAGE",
}  # fmt: skip
_STREET_KINDS = frozenset(_STREET_WORDS.values()) | {"THE", "OF", "UPPER", "LOWER", "NORTH", "SOUTH", "EAST", "WEST"}
# How a flat is written ("Flat 2", "First Floor Flat", "Apartment 2"): which flat, not which street.
_FLAT_WORDS = frozenset({"FLAT", "FLT", "APT", "APARTMENT", "FLOOR", "GROUND", "FIRST", "SECOND", "TOP", "BASEMENT"})
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
_SOUNDEX_CODES = {
    c: str(d) for d, letters in enumerate(("AEIOUYHW", "BFPV", "CGJKQSXZ", "DT", "L", "MN", "R")) for c in letters
}


@dataclass(frozen=True)
class Features:
    """Normalised columns for `len(records)` records; empty string (or -1) means unknown."""

    records: Sequence[MatchRecord]
    forename: npt.NDArray[np.object_]  # first forename, upper case letters, any title typed into it removed
    other_forenames: npt.NDArray[np.object_]  # the second and later forenames ("ROBERT" of "James Robert")
    forename_sound: npt.NDArray[np.object_]  # metaphone: Mohammed and Muhammad sound alike
    forename_has_variants: npt.NDArray[np.bool_]  # the nickname table knows the name (Bob, Robert)
    surname: npt.NDArray[np.object_]  # letters only, generation marker removed ("OBRIEN")
    surname_soundex: npt.NDArray[np.object_]
    surname_sound: npt.NDArray[np.object_]  # metaphone
    surname_parts: npt.NDArray[np.object_]  # a double-barrelled name's parts, sorted ("JONES SMITH"); else ""
    name_pair: npt.NDArray[np.object_]  # forename and surname in alphabetical order: blind to a swap
    generation: npt.NDArray[np.object_]  # "JR", "SR" or ""
    sex: npt.NDArray[np.object_]  # "M", "F" or "" as the title implies
    dob: npt.NDArray[np.object_]  # "YYYYMMDD"
    dob_swapped: npt.NDArray[np.object_]  # "YYYYDDMM": as keyed by someone who swapped day and month
    dob_day: IntArray  # days since 0001-01-01; -1 unknown
    postcode: npt.NDArray[np.object_]  # compact upper case, no space
    postcode_sector: npt.NDArray[np.object_]  # all but the last two characters ("B797" of B79 7BZ)
    street: npt.NDArray[np.object_]  # address words, abbreviations expanded, numbers removed
    street_compact: npt.NDArray[np.object_]  # the same without spaces: "Callistercrescent" is Callister Crescent
    street_word: npt.NDArray[np.object_]  # line 1's longest street word ("MESSENGER" of 4 Messenger Street)
    house: npt.NDArray[np.object_]  # the numbers in the address ("12 3")
    building: npt.NDArray[np.object_]  # the building's number: "12" of "Flat 2, 12 X Street", "2/12", "12B"
    town: npt.NDArray[np.object_]
    email: npt.NDArray[np.object_]
    phone: npt.NDArray[np.object_]  # E.164
    mobile: npt.NDArray[np.bool_]  # a UK mobile: personal, where a landline is shared by a household

    def __len__(self) -> int:
        return len(self.records)


def build_features(records: Sequence[MatchRecord]) -> Features:
    columns: dict[str, list[object]] = {name: [] for name in _COLUMNS}
    appenders = [columns[name].append for name in _COLUMNS]
    for record in records:
        for append, value in zip(appenders, _row(record), strict=True):
            append(value)
    return Features(
        records=records,
        forename=_strings(columns["forename"]),
        other_forenames=_strings(columns["other_forenames"]),
        forename_sound=_strings(columns["forename_sound"]),
        forename_has_variants=np.array(columns["forename_has_variants"], dtype=np.bool_),
        surname=_strings(columns["surname"]),
        surname_soundex=_strings(columns["surname_soundex"]),
        surname_sound=_strings(columns["surname_sound"]),
        surname_parts=_strings(columns["surname_parts"]),
        name_pair=_strings(columns["name_pair"]),
        generation=_strings(columns["generation"]),
        sex=_strings(columns["sex"]),
        dob=_strings(columns["dob"]),
        dob_swapped=_strings(columns["dob_swapped"]),
        dob_day=np.array(columns["dob_day"], dtype=np.int64),
        postcode=_strings(columns["postcode"]),
        postcode_sector=_strings(columns["postcode_sector"]),
        street=_strings(columns["street"]),
        street_compact=_strings(columns["street_compact"]),
        street_word=_strings(columns["street_word"]),
        house=_strings(columns["house"]),
        building=_strings(columns["building"]),
        town=_strings(columns["town"]),
        email=_strings(columns["email"]),
        phone=_strings(columns["phone"]),
        mobile=np.array(columns["mobile"], dtype=np.bool_),
    )


_COLUMNS = (
    "forename", "other_forenames", "forename_sound", "forename_has_variants", "surname", "surname_soundex",
    "surname_sound", "surname_parts", "name_pair", "generation", "sex", "dob", "dob_swapped", "dob_day", "postcode",
    "postcode_sector", "street", "street_compact", "street_word", "house", "building", "town", "email", "phone",
    "mobile",
)  # fmt: skip


@lru_cache(maxsize=200_000)
def _name_words(text: str) -> list[str]:
    """Cached: names repeat across a council's records; callers must not change the list."""
    return normalise_name(text).split()


# Each field is normalised once per distinct value (councils repeat names, streets, postcodes and dates), by
# the cached functions below; a record's row is those parts put together, in `_COLUMNS` order.


def _row(record: MatchRecord) -> tuple[object, ...]:
    forename, other_forenames, forename_sound, has_variants, forename_generation, typed_title = _forenames(
        record.forenames
    )
    surname, surname_soundex, surname_sound, surname_parts, surname_generation = _surname(record.surname)
    phone = _phone(record.phone)
    postcode = _compact(record.postcode)
    return (
        forename,
        other_forenames,
        forename_sound,
        has_variants,
        surname,
        surname_soundex,
        surname_sound,
        surname_parts,
        "|".join(sorted((forename, surname))) if forename and surname else "",
        surname_generation or forename_generation,  # a marker after the surname first, as offices write it
        _sex(record.title, typed_title),
        *_born(record.date_of_birth),
        postcode,
        postcode[:-2] if len(postcode) >= 4 else "",
        *_address(record.address_line1, record.address_line2),
        _compact(record.town),
        normalise_email(record.email) or "",
        phone,
        phone.startswith("+447"),
    )


@lru_cache(maxsize=200_000)
def _forenames(text: str) -> tuple[str, str, str, bool, str, str]:
    """(first forename, the later ones, its metaphone, whether the nickname table knows it, a generation
    marker typed among the forenames, a title typed into them) of a forenames field."""
    words = _name_words(text)
    generation = next((_GENERATION[w] for w in words if w in _GENERATION), "")
    typed_titles = [w for w in words if w in _TITLES]
    given = [w for w in words if w not in _GENERATION and w not in _TITLES]
    forename = given[0] if given else ""
    typed_title = typed_titles[0] if typed_titles else ""
    return forename, " ".join(given[1:]), _sound(forename), _has_variants(forename), generation, typed_title


@lru_cache(maxsize=200_000)
def _surname(text: str) -> tuple[str, str, str, str, str]:
    """(surname, its Soundex, its metaphone, a double-barrelled name's parts, a generation marker after it)."""
    words = _name_words(text)
    generation = next((_GENERATION[w] for w in words if w in _GENERATION), "")
    family = [w for w in words if w not in _GENERATION and w not in _SUFFIXES and w not in _TITLES]
    surname = _mac("".join(family))
    parts = sorted(_mac(w) for w in _joined_prefixes(family) if len(w) >= 3)
    return surname, soundex(surname), _sound(surname), " ".join(parts) if len(parts) > 1 else "", generation


@lru_cache(maxsize=1_000)
def _sex(title_field: str, typed_title: str) -> str:
    """ "M", "F" or "" from the title field, else a title typed into the forenames."""
    title = "".join(_name_words(title_field)) or typed_title
    return "M" if title in _MALE_TITLES else "F" if title in _FEMALE_TITLES else ""


@lru_cache(maxsize=100_000)
def _born(born: date | None) -> tuple[str, str, int]:
    """(YYYYMMDD, YYYYDDMM, days since 0001-01-01), or unknown: no date, or an older system's placeholder."""
    if born is None or born.year < _PLACEHOLDER_YEARS_BEFORE:
        return "", "", -1
    return born.strftime("%Y%m%d"), born.strftime("%Y%d%m"), born.toordinal()


@lru_cache(maxsize=200_000)
def _address(line1: str, line2: str) -> tuple[str, str, str, str, str]:
    """(street words, the same run together, line 1's main street word, house numbers, building number)."""
    street_words, house_numbers = _address_words(f"{line1} {line2}")
    line1_words, line1_numbers = _address_words(line1, ordered=True)
    return (
        " ".join(street_words),
        "".join(street_words),
        max((w for w in line1_words if w not in _STREET_KINDS), key=len, default=""),
        " ".join(house_numbers),
        _building(line1_numbers or house_numbers),
    )


@lru_cache(maxsize=100_000)
def soundex(word: str) -> str:
    """American Soundex (R163 for Robert): a surname's sound, for blocking on names spelt differently."""
    if not word:
        return ""
    digits = [_SOUNDEX_CODES.get(c, "") for c in word]
    code, previous = word[0], digits[0]
    for letter, digit in zip(word[1:], digits[1:], strict=True):
        if digit and digit != "0" and digit != previous:
            code += digit
        if letter not in "HW":  # H and W do not separate two letters of one code
            previous = digit
    return (code + "000")[:4]


@lru_cache(maxsize=200_000)
def _phone(raw: str) -> str:
    return normalise_phone(raw) or ""


def _compact(text: str) -> str:
    return _NOT_ALNUM.sub("", _fold(text))


@lru_cache(maxsize=200_000)
def _fold(text: str) -> str:
    upper = text.upper()
    if upper.isascii():
        return upper  # nothing to fold: most addresses and names
    return "".join(c for c in unicodedata.normalize("NFKD", upper) if not unicodedata.combining(c))


def _mac(surname: str) -> str:
    """McDonald and MacDonald are one name written two ways."""
    return f"MAC{surname[2:]}" if surname.startswith("MC") else surname


_PREFIXES = {"MC", "MAC", "O", "D", "DE", "LE", "LA", "VAN", "VON"}


def _joined_prefixes(words: list[str]) -> list[str]:
    """["MC", "DONALD", "SMITH"] -> ["MCDONALD", "SMITH"]: a prefix written apart belongs to the next word."""
    joined: list[str] = []
    for word in words:
        if joined and joined[-1] in _PREFIXES:
            joined[-1] += word
        else:
            joined.append(word)
    return joined


@lru_cache(maxsize=100_000)
def _has_variants(forename: str) -> bool:
    return len(forename_variants(forename)) > 1


@lru_cache(maxsize=100_000)
def _sound(name: str) -> str:
    """Metaphone, for names of four letters or more (short names sound alike too easily)."""
    return jellyfish.metaphone(name) if len(name) >= 4 else ""


def _building(numbers: list[str]) -> str:
    """The building's number: the last number in the first line, its flat letter dropped ("12B" -> "12")."""
    if not numbers:
        return ""
    digits = "".join(c for c in numbers[-1] if c.isdigit())
    return digits.lstrip("0")


@lru_cache(maxsize=200_000)
def _address_words(text: str, ordered: bool = False) -> tuple[list[str], list[str]]:
    """(street words, numbers) of an address; cached, as a street's lines repeat: callers must not change them."""
    words = _NOT_ALNUM.sub(" ", _fold(text)).split()  # each of A-Z and 0-9 only: no digit is isalpha()
    numbers = [w for w in words if not w.isalpha()]
    numbers = numbers if ordered else sorted(numbers)
    street = [_STREET_WORDS.get(w, w) for w in words if w.isalpha() and w not in _FLAT_WORDS]
    return street, numbers


def _strings(values: list[object]) -> npt.NDArray[np.object_]:
    return np.array(values, dtype=object)
