"""The demo council's address gazetteer: Tamworth streets, house by house, each with a UPRN.

A council's gazetteer (its LLPG) gives every addressable property a Unique Property Reference
Number, a position and the ward it lies in. The demo holds about forty streets in the borough's
own postcode districts (B77, B78, B79) plus a few streets outside it, where residents who moved
in used to live. Street names and wards are Tamworth's; house numbers, postcodes' inward codes,
positions and UPRNs are made up, and deterministic so a seed always produces the same town.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from customer360.domain.people import normalise_postcode

TOWN_CENTRE = (52.6339, -1.6950)


@dataclass(frozen=True, slots=True)
class GazetteerAddress:
    uprn: str
    line1: str
    line2: str | None
    town: str
    postcode: str
    latitude: float
    longitude: float
    ward: str | None  # outside the borough there is no Tamworth ward
    in_borough: bool


@dataclass(frozen=True, slots=True)
class _Street:
    name: str
    locality: str | None
    postcode: str
    ward: str | None
    latitude: float
    longitude: float
    houses: int
    bearing: tuple[float, float]  # which way the house numbers run, in degrees per house
    town: str = "Tamworth"


# Roughly 10 m a house; the bearings keep each street a short straight line near its start.
_NE = (0.00007, 0.00010)
_SE = (-0.00007, 0.00010)
_N = (0.00009, 0.0)
_E = (0.0, 0.00013)

_BOROUGH_STREETS: tuple[_Street, ...] = (
    _Street("Lichfield Street", None, "B79 7QE", "Castle", 52.6330, -1.6985, 80, _E),
    _Street("Church Street", None, "B79 7DE", "Castle", 52.6345, -1.6940, 40, _N),
    _Street("Aldergate", None, "B79 7DJ", "Castle", 52.6352, -1.6968, 40, _NE),
    _Street("Colehill", None, "B79 7HE", "Castle", 52.6348, -1.6925, 30, _SE),
    _Street("Marmion Street", None, "B79 7JH", "Castle", 52.6360, -1.6905, 70, _E),
    _Street("Albert Road", None, "B79 7JN", "Castle", 52.6372, -1.6890, 90, _N),
    _Street("Victoria Road", None, "B79 7HL", "Castle", 52.6381, -1.6920, 110, _NE),
    _Street("Upper Gungate", None, "B79 8AA", "Spital", 52.6395, -1.6942, 80, _N),
    _Street("Comberford Road", None, "B79 8PB", "Spital", 52.6450, -1.7005, 150, _N),
    _Street("Wigginton Road", None, "B79 8RH", "Spital", 52.6440, -1.6930, 140, _N),
    _Street("Masefield Drive", None, "B79 8JB", "Spital", 52.6478, -1.6975, 90, _E),
    _Street("Brown's Lane", None, "B79 8TA", "Spital", 52.6502, -1.6880, 60, _SE),
    _Street("Ashby Road", None, "B79 8AQ", "Mercian", 52.6420, -1.6870, 160, _NE),
    _Street("Perrycrofts Crescent", None, "B79 8UA", "Mercian", 52.6530, -1.6820, 100, _E),
    _Street("Leedham Avenue", None, "B79 8UN", "Mercian", 52.6515, -1.6790, 70, _N),
    _Street("Hospital Street", None, "B79 7EE", "Trinity", 52.6380, -1.7010, 90, _N),
    _Street("Coton Lane", None, "B79 8LT", "Trinity", 52.6445, -1.7120, 80, _NE),
    _Street("Fontenaye Road", None, "B79 8JS", "Trinity", 52.6420, -1.7085, 70, _E),
    _Street("Tamworth Road", "Amington", "B77 3BS", "Amington", 52.6465, -1.6560, 150, _E),
    _Street("Kerria Road", "Amington", "B77 4ET", "Amington", 52.6490, -1.6470, 110, _N),
    _Street("Mercer Avenue", "Amington", "B77 3ND", "Amington", 52.6440, -1.6520, 70, _SE),
    _Street("Ninian Way", "Amington", "B77 3PU", "Amington", 52.6520, -1.6500, 60, _NE),
    _Street("Amington Road", None, "B77 3AA", "Bolehall", 52.6355, -1.6770, 150, _E),
    _Street("Bamford Street", "Glascote", "B77 2AS", "Bolehall", 52.6298, -1.6760, 80, _N),
    _Street("Lower House Lane", None, "B77 3LA", "Bolehall", 52.6370, -1.6700, 50, _NE),
    _Street("Glascote Road", "Glascote", "B77 2AA", "Glascote", 52.6270, -1.6715, 160, _SE),
    _Street("Hedging Lane", "Wilnecote", "B77 5EZ", "Glascote", 52.6190, -1.6620, 90, _E),
    _Street("Tame Drive", "Glascote", "B77 2PF", "Glascote", 52.6230, -1.6690, 60, _N),
    _Street("Quince", "Stonydelph", "B77 4EP", "Stonydelph", 52.6185, -1.6520, 120, _NE),
    _Street("Silverlands Close", "Stonydelph", "B77 4HQ", "Stonydelph", 52.6160, -1.6480, 40, _N),
    _Street("Stonydelph Lane", "Stonydelph", "B77 4AD", "Stonydelph", 52.6140, -1.6560, 90, _E),
    _Street("Watling Street", "Wilnecote", "B77 5BA", "Wilnecote", 52.6085, -1.6690, 160, _E),
    _Street("Hockley Road", "Wilnecote", "B77 5EH", "Wilnecote", 52.6050, -1.6610, 130, _SE),
    _Street("Dunstall Lane", "Wilnecote", "B78 3UL", "Wilnecote", 52.6020, -1.6760, 60, _N),
    _Street("Dosthill Road", "Two Gates", "B77 1HX", "Wilnecote", 52.6110, -1.6880, 120, _N),
    _Street("Belgrave Road", "Belgrave", "B77 2LN", "Belgrave", 52.6200, -1.6820, 110, _E),
    _Street("Ellerbeck", "Belgrave", "B77 2QZ", "Belgrave", 52.6175, -1.6865, 60, _NE),
    _Street("Kettlebrook Road", "Kettlebrook", "B77 1AJ", "Belgrave", 52.6235, -1.6905, 90, _SE),
    _Street("High Street", "Dosthill", "B77 1LQ", "Belgrave", 52.6050, -1.6975, 70, _N),
    _Street("Fazeley Road", "Bitterscote", "B78 3SJ", "Castle", 52.6265, -1.7010, 50, _SE),
)

# Where residents who moved into the borough used to live.
_ELSEWHERE_STREETS: tuple[_Street, ...] = (
    _Street("Beacon Street", None, "WS13 7AA", None, 52.6868, -1.8310, 30, _N, town="Lichfield"),
    _Street("Cross Keys", None, "WS13 6DN", None, 52.6830, -1.8260, 20, _E, town="Lichfield"),
    _Street("Sutton Road", "Erdington", "B23 6QL", None, 52.5270, -1.8330, 30, _N, town="Birmingham"),
    _Street("Kingsbury Road", "Erdington", "B23 7DP", None, 52.5230, -1.8190, 30, _E, town="Birmingham"),
    _Street("Long Street", None, "CV9 1AX", None, 52.5760, -1.5460, 20, _NE, town="Atherstone"),
)


@cache
def demo_gazetteer() -> tuple[GazetteerAddress, ...]:
    """Every demo address, borough streets first, in a stable order with UPRNs 1000xxxxxxxx."""
    addresses: list[GazetteerAddress] = []
    for street in _BOROUGH_STREETS + _ELSEWHERE_STREETS:
        for number in range(1, street.houses + 1):
            addresses.append(_address(street, number, uprn=f"1000{len(addresses) + 1:08d}"))
    return tuple(addresses)


def by_uprn(uprn: str) -> GazetteerAddress | None:
    return _uprn_index().get(uprn.strip())


def by_postcode(postcode: str) -> tuple[GazetteerAddress, ...]:
    """All addresses in a postcode, however it is spelt (`b797qe`, `B79 7QE`)."""
    key = normalise_postcode(postcode)
    return _postcode_index().get(key, ()) if key else ()


def matching(search: str) -> tuple[GazetteerAddress, ...]:
    """At the postcode `search` is (`b797qe`), else in streets whose name (and locality) contain every
    word of it, case aside (`market st` finds nothing, `market street` and `Market` do), in order."""
    at_postcode = by_postcode(search)
    if at_postcode:
        return at_postcode
    words = search.lower().split()
    if not words:
        return ()
    return tuple(
        address
        for address in demo_gazetteer()
        if all(word in f"{address.line1.partition(' ')[2]} {address.line2 or ''}".lower() for word in words)
    )


@cache
def _uprn_index() -> dict[str, GazetteerAddress]:
    return {address.uprn: address for address in demo_gazetteer()}


@cache
def _postcode_index() -> dict[str, tuple[GazetteerAddress, ...]]:
    index: dict[str, list[GazetteerAddress]] = {}
    for address in demo_gazetteer():
        index.setdefault(address.postcode, []).append(address)
    return {postcode: tuple(found) for postcode, found in index.items()}


def _address(street: _Street, number: int, uprn: str) -> GazetteerAddress:
    offset = number - street.houses / 2
    return GazetteerAddress(
        uprn=uprn,
        line1=f"{number} {street.name}",
        line2=street.locality,
        town=street.town,
        postcode=street.postcode,
        latitude=round(street.latitude + offset * street.bearing[0], 6),
        longitude=round(street.longitude + offset * street.bearing[1], 6),
        ward=street.ward,
        in_borough=street.ward is not None,
    )
