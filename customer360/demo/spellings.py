"""How a back office writes down what a resident told it: the variation real council files hold.

Each function takes the true value and a `random.Random`, and returns one way an office may have it:
names (nicknames and diminutives, the second name used as the first, initials, a title or suffix typed
into a name field, transliterations; Mc/Mac, apostrophes, double-barrelled names in either order or
half), dates of birth (day and month swapped, one digit wrong, the 1900-01-01 placeholder) and
addresses (flats written many ways, house names, a postcode one character out). Deterministic for
the generator's seed; nothing here decides who is in which office.
"""

from __future__ import annotations

import random
from datetime import date

# Diminutives as British offices see them (the demo's own table, not the matcher's).
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby", "Robbie"), "Elizabeth": ("Liz", "Beth", "Lizzie", "Betty", "Libby"),
    "William": ("Bill", "Will", "Billy"), "Margaret": ("Maggie", "Peggy", "Meg"),
    "James": ("Jim", "Jimmy", "Jamie"), "Katherine": ("Kate", "Kathy", "Katie"),
    "Catherine": ("Cathy", "Kate", "Cath"), "Michael": ("Mike", "Mick"), "Thomas": ("Tom", "Tommy"),
    "Richard": ("Rick", "Dick", "Rich"), "Christopher": ("Chris", "Kit"), "Anthony": ("Tony", "Ant"),
    "Edward": ("Ted", "Eddie", "Ed"), "Daniel": ("Dan", "Danny"), "Matthew": ("Matt",),
    "Andrew": ("Andy", "Drew"), "Joseph": ("Joe",), "David": ("Dave",), "Stephen": ("Steve",),
    "Jennifer": ("Jenny", "Jen"), "Susan": ("Sue", "Susie"), "Patricia": ("Pat", "Trish", "Patsy"),
    "Deborah": ("Debbie", "Deb", "Debs"), "Rebecca": ("Becky", "Becca", "Bex"), "Samantha": ("Sam",),
    "Victoria": ("Vicky", "Tori"), "Alexander": ("Alex", "Sandy"), "Alexandra": ("Alex", "Sandra"),
    "Benjamin": ("Ben",), "Nicholas": ("Nick",), "Jonathan": ("Jon", "Johnny"),
    "Christine": ("Chris", "Tina"), "Jacqueline": ("Jackie", "Jacqui"), "Peter": ("Pete",),
    "Sarah": ("Sally",), "Nicola": ("Nicky", "Nikki"), "Joanne": ("Jo",), "Jessica": ("Jess",),
    "Oliver": ("Ollie",), "Kevin": ("Kev",), "Darren": ("Daz",), "Gary": ("Gaz",), "Olivia": ("Liv",),
    "Emily": ("Em",), "Janet": ("Jan",), "Helen": ("Nell",), "Sophie": ("Soph",), "John": ("Jack", "Johnny"),
    "Henry": ("Harry", "Hal"), "Agnieszka": ("Aga",),
}  # fmt: skip
# One name, romanised or anglicised more than one way.
TRANSLITERATIONS: dict[str, tuple[str, ...]] = {
    "Mohammed": ("Muhammad", "Mohammad", "Mohamed", "Muhammed"), "Aisha": ("Ayesha", "Aysha"),
    "Yusuf": ("Yousef", "Youssef"), "Fatima": ("Fatimah", "Fatma"), "Zainab": ("Zaynab", "Zenab"),
    "Piotr": ("Peter",), "Priya": ("Pria",), "Hussain": ("Hussein", "Husain"), "Nowak": ("Novak",),
    "Begum": ("Begam",), "Kowalski": ("Kowalsky",), "Chaudhry": ("Choudhury", "Chowdhury"),
}  # fmt: skip
_SUFFIXES = ("Esq", "MBE", "BSc")
_ORDINAL_FLOORS = ("Ground Floor", "First Floor", "Second Floor", "Top Floor")
HOUSE_NAMES = (
    "Rose Cottage", "The Willows", "Oak Lodge", "Ivy House", "The Old Forge", "Fern Bank", "Holly Cottage",
    "The Laurels", "Meadow View", "Orchard House",
)  # fmt: skip
_POSTCODE_NEIGHBOURS = {"A": "S", "B": "V", "D": "S", "E": "R", "H": "J", "J": "H", "L": "K", "N": "M", "Q": "W"}


def forenames_variant(rng: random.Random, forenames: str, middle: str | None, goes_by_middle: bool, title: str) -> str:
    """Another office's spelling of a given name (the true first name and middle name, and the title)."""
    roll = rng.random()
    if goes_by_middle and middle and roll < 0.7:
        return middle  # known by the second name ("James Robert" who is Robert to everyone)
    nicknames = NICKNAMES.get(forenames, ())
    if nicknames and roll < 0.45:
        return rng.choice(nicknames)
    if forenames in TRANSLITERATIONS and roll < 0.6:
        return rng.choice(TRANSLITERATIONS[forenames])
    if roll < 0.75:
        return forenames[0] if not middle or rng.random() < 0.5 else f"{forenames[0]} {middle[0]}"
    if roll < 0.9:
        return f"{title} {forenames}"
    return f"{forenames[0]}. {middle}" if middle else f"{forenames[0]}."


def surname_variant(rng: random.Random, surname: str) -> str:
    """Mc/Mac, an apostrophe dropped or spaced, a hyphenated name in the other order or half, a suffix."""
    if "-" in surname:
        first, second = surname.split("-", 1)
        return rng.choice((f"{first} {second}", f"{second}-{first}", first, second, f"{second} {first}"))
    if surname.startswith("Mc"):
        return rng.choice((f"Mac{surname[2:]}", f"Mc {surname[2:]}", surname.upper()))
    if surname.startswith("Mac") and len(surname) > 4 and surname[3].isupper():
        return rng.choice((f"Mc{surname[3:]}", f"Mac {surname[3:]}"))
    if "'" in surname:
        return rng.choice((surname.replace("'", ""), surname.replace("'", " "), surname.replace("'", "`")))
    if surname in TRANSLITERATIONS and rng.random() < 0.7:
        return rng.choice(TRANSLITERATIONS[surname])
    return f"{surname} {rng.choice(_SUFFIXES)}"


def birth_date_variant(rng: random.Random, born: date, as_of: date) -> date:
    """Day and month swapped, one digit keyed wrong, or two transposed; never in the future."""
    text = born.strftime("%Y%m%d")
    tries = []
    tries.append(f"{text[:4]}{text[6:]}{text[4:6]}")  # swapped (US-style entry)
    for _ in range(6):
        position = rng.choice((2, 3, 5, 6, 7))  # not the century, not the month's leading 0/1 usually
        digit = str((int(text[position]) + rng.choice((-1, 1))) % 10)
        tries.append(text[:position] + digit + text[position + 1 :])
    tries.append(f"{text[:6]}{text[7]}{text[6]}")  # 13 -> 31
    rng.shuffle(tries)
    for candidate in tries:
        try:
            wrong = date(int(candidate[:4]), int(candidate[4:6]), int(candidate[6:]))
        except ValueError:
            continue
        if wrong != born and wrong < as_of:
            return wrong
    return born.replace(year=born.year - 1)


PLACEHOLDER_BIRTH_DATE = date(1900, 1, 1)  # what older systems hold when nobody asked


def is_flat(uprn: str) -> bool:
    """About one home in six is a flat in a converted house: the same gazetteer line, a flat in it."""
    return int(uprn) % 6 == 0


def house_name(uprn: str) -> str | None:
    """About one home in eleven also has a name on the gate."""
    number = int(uprn)
    return HOUSE_NAMES[number % len(HOUSE_NAMES)] if number % 11 == 0 else None


def flat_number(uprn: str) -> int:
    return int(uprn) % 4 + 1


def canonical_line1(uprn: str, line1: str) -> str:
    """The gazetteer's way: "Flat 2, 12 Marmion Street", "Rose Cottage, 14 Church Street"."""
    name = house_name(uprn)
    if is_flat(uprn):
        return f"Flat {flat_number(uprn)}, {line1}"
    return f"{name}, {line1}" if name else line1


def line1_variant(rng: random.Random, uprn: str, line1: str) -> str:
    """An office's own way with a flat or a named house."""
    number, _, street = line1.partition(" ")
    if is_flat(uprn):
        flat = flat_number(uprn)
        return rng.choice(
            (
                f"Flat {flat} {line1}",
                f"{flat}/{number} {street}",
                f"{number}{'ABCD'[flat - 1]} {street}",
                f"{_ORDINAL_FLOORS[flat - 1]} Flat, {line1}",
                f"Apartment {flat}, {line1}",
                f"{flat} {line1}",
            )
        )
    name = house_name(uprn)
    if name:
        return rng.choice((f"{name}, {street}", line1, f"{name} {line1}"))
    return line1


def postcode_typo(rng: random.Random, postcode: str) -> str:
    """One character out: a neighbouring key or a digit one off."""
    positions = [i for i, c in enumerate(postcode) if c != " "]
    for _ in range(5):
        i = rng.choice(positions[1:])
        c = postcode[i]
        new = str((int(c) + rng.choice((-1, 1))) % 10) if c.isdigit() else _POSTCODE_NEIGHBOURS.get(c, "")
        if new and new != c:
            return postcode[:i] + new + postcode[i + 1 :]
    return postcode
