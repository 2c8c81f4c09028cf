"""Forename equivalence that understands nicknames (Bob is Robert, Liz is Elizabeth)."""

from __future__ import annotations

from functools import lru_cache

from nicknames import NickNamer

from customer360.domain.people import normalise_name


@lru_cache(maxsize=1)
def _namer() -> NickNamer:
    return NickNamer()


# British and Polish diminutives the `nicknames` table (American usage) lacks: full name -> short forms.
BRITISH_DIMINUTIVES: dict[str, tuple[str, ...]] = {
    "DARREN": ("DAZ",), "GARY": ("GAZ",), "GARETH": ("GAZ",), "BARRY": ("BAZ",), "SHARON": ("SHAZ",),
    "CHARLES": ("CHAZ",), "TERENCE": ("TEL",), "DEREK": ("DEL",), "REBECCA": ("BEX",), "DEBORAH": ("DEBS",),
    "NICOLA": ("NIKKI", "NICKY"), "NICOLE": ("NIKKI",), "VICTORIA": ("VIKKI", "VIKI"), "OLIVIA": ("LIV", "LIVVY"),
    "SOPHIE": ("SOPH",), "SOPHIA": ("SOPH",), "ROBERT": ("ROBBIE",), "CATHERINE": ("KITTY", "CATH"),
    "KATHERINE": ("KATH", "KITTY"), "KATHLEEN": ("KATH",), "MOHAMMED": ("MO",), "MUHAMMAD": ("MO",),
    "MAUREEN": ("MO",), "HELEN": ("NELL",), "ELEANOR": ("NELL",), "JACQUELINE": ("JACQUI",), "JAMES": ("JAMIE",),
    "AGNIESZKA": ("AGA",), "KATARZYNA": ("KASIA",), "MALGORZATA": ("GOSIA",), "TOMASZ": ("TOMEK",),
    "JAKUB": ("KUBA",), "BARBARA": ("BASIA",), "ALEKSANDRA": ("OLA",), "PIOTR": ("PETER",),
    "GRAHAM": ("GRAY",), "KEVIN": ("KEV",), "STEPHEN": ("STEVE", "STEVIE"), "EMILY": ("EM", "EMMY"),
}  # fmt: skip
_DIMINUTIVE_OF: dict[str, set[str]] = {}
for _full, _shorts in BRITISH_DIMINUTIVES.items():
    for _short in _shorts:
        _DIMINUTIVE_OF.setdefault(_short, set()).add(_full)


@lru_cache(maxsize=20_000)
def forename_variants(forename: str) -> frozenset[str]:
    """The first forename, its nicknames and the names it is a nickname of (upper case)."""
    first = normalise_name(forename).split(" ")[0] if forename else ""
    if not first:
        return frozenset()
    lower = first.lower()
    namer = _namer()
    related = {lower} | namer.nicknames_of(lower) | namer.canonicals_of(lower)
    british = set(BRITISH_DIMINUTIVES.get(first, ())) | _DIMINUTIVE_OF.get(first, set())
    return frozenset(name.upper() for name in related) | british


def forenames_compatible(left: str, right: str) -> bool:
    """Same first forename, one a nickname of the other, or one a prefix of the other (Rob/Robert)."""
    a, b = forename_variants(left), forename_variants(right)
    if not a or not b or a & b:
        return bool(a and b)
    first_a = normalise_name(left).split(" ")[0]
    first_b = normalise_name(right).split(" ")[0]
    shorter, longer = sorted((first_a, first_b), key=len)
    return len(shorter) >= 3 and longer.startswith(shorter)
