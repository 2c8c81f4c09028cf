"""The borough boundary and distances, with worked examples."""

from __future__ import annotations

from math import cos, degrees, radians, sin

import pytest

from customer360.demo.gazetteer import demo_gazetteer
from customer360.domain.geography import (
    BOROUGH_BOUNDARY,
    EARTH_RADIUS_METRES,
    TAMWORTH_CENTRE,
    distance_metres,
    inside_borough,
)

CENTRE_LAT, CENTRE_LON = TAMWORTH_CENTRE
LICHFIELD_CATHEDRAL = (52.6853, -1.8306)
# One degree of arc on the mean sphere: 6 371 008.8 m x pi / 180.
METRES_PER_DEGREE = 111_195.08


def offset(metres: float, bearing_degrees: float) -> tuple[float, float]:
    """A point `metres` from the centre on a bearing, by the flat-Earth offset (ample over 15 km)."""
    north = metres * cos(radians(bearing_degrees))
    east = metres * sin(radians(bearing_degrees))
    return (
        CENTRE_LAT + degrees(north / EARTH_RADIUS_METRES),
        CENTRE_LON + degrees(east / (EARTH_RADIUS_METRES * cos(radians(CENTRE_LAT)))),
    )


@pytest.mark.parametrize(
    ("place", "position", "inside"),
    [
        ("town centre", TAMWORTH_CENTRE, True),
        ("Tamworth Castle", (52.6330, -1.6970), True),
        ("Amington (Kerria Road)", (52.6490, -1.6470), True),
        ("Dosthill (High Street)", (52.6050, -1.6975), True),
        ("Lichfield Cathedral", LICHFIELD_CATHEDRAL, False),
        ("Atherstone", (52.5760, -1.5460), False),
        ("Birmingham, Erdington", (52.5270, -1.8330), False),
        ("Polesworth", (52.6190, -1.6100), False),
    ],
)
def test_named_places(place: str, position: tuple[float, float], inside: bool) -> None:
    assert inside_borough(*position) is inside, place


@pytest.mark.parametrize("in_borough", [True, False], ids=["borough addresses", "addresses elsewhere"])
def test_gazetteer_addresses_fall_on_their_side_of_the_boundary(in_borough: bool) -> None:
    addresses = [address for address in demo_gazetteer() if address.in_borough is in_borough]
    wrong = [
        address.line1 for address in addresses if inside_borough(address.latitude, address.longitude) != in_borough
    ]

    assert addresses
    assert wrong == []


@pytest.mark.parametrize("bearing", range(0, 360, 15))
def test_anywhere_15_km_from_the_centre_is_outside(bearing: int) -> None:
    assert not inside_borough(*offset(15_000, bearing))


@pytest.mark.parametrize(("direction", "bearing"), [("N", 0), ("E", 90), ("S", 180), ("W", 270)])
def test_points_2_km_from_the_centre_are_inside(direction: str, bearing: int) -> None:
    assert inside_borough(*offset(2_000, bearing)), direction


def test_the_boundary_is_about_10_km_across_and_8_km_from_north_to_south() -> None:
    latitudes = [lat for lat, _ in BOROUGH_BOUNDARY]
    longitudes = [lon for _, lon in BOROUGH_BOUNDARY]

    east_west = distance_metres(CENTRE_LAT, min(longitudes), CENTRE_LAT, max(longitudes))
    north_south = distance_metres(min(latitudes), CENTRE_LON, max(latitudes), CENTRE_LON)
    assert 9_500 < east_west < 10_500
    assert 7_500 < north_south < 8_500


@pytest.mark.parametrize(
    ("start", "end", "metres"),
    [
        (TAMWORTH_CENTRE, TAMWORTH_CENTRE, 0.0),
        # Along a meridian, one degree is one degree of arc.
        ((52.0, -1.7), (53.0, -1.7), METRES_PER_DEGREE),
        # Along the equator too; elsewhere a degree of longitude shrinks with cos(latitude).
        ((0.0, 0.0), (0.0, 1.0), METRES_PER_DEGREE),
        # By hand: dlat = 0.0514 deg, dlon = 0.1356 deg x cos(52.6596 deg) = 0.1356 x 0.6066 = 0.08226 deg;
        # sqrt(0.0514^2 + 0.08226^2) = 0.09700 deg x 111 195 m = 10 786 m.
        (TAMWORTH_CENTRE, LICHFIELD_CATHEDRAL, 10_786.0),
    ],
)
def test_distances(start: tuple[float, float], end: tuple[float, float], metres: float) -> None:
    assert distance_metres(*start, *end) == pytest.approx(metres, rel=0.01, abs=0.001)
    assert distance_metres(*end, *start) == pytest.approx(distance_metres(*start, *end))


def test_short_distances_keep_their_precision() -> None:
    fifty_metres_north = offset(50, 0)

    assert distance_metres(*TAMWORTH_CENTRE, *fifty_metres_north) == pytest.approx(50, abs=1e-6)
