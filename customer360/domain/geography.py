"""Where the borough is, and how far apart two places are: the geometry behind street reports.

Positions are WGS84 latitude and longitude in decimal degrees, as Open311 and the gazetteer give them.
"""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

TAMWORTH_CENTRE = (52.6339, -1.6950)

# The IUGG mean Earth radius; on a sphere of this radius haversine distances are within about 0.5%
# of the ellipsoid's, far closer than a resident's finger on a map.
EARTH_RADIUS_METRES = 6_371_008.8

# An approximation of Tamworth borough, (latitude, longitude) clockwise from the north: about 10 km
# east to west (Hopwas edge to Alvecote) and 8 km north to south (Wigginton edge to Dosthill). It is
# drawn for the demo: it holds every borough address of the demo gazetteer with a few hundred metres
# to spare, and none of the addresses outside it. A real deployment would load the Ordnance
# Survey Boundary-Line polygon instead.
BOROUGH_BOUNDARY: tuple[tuple[float, float], ...] = (
    (52.6660, -1.6950),
    (52.6640, -1.6500),
    (52.6560, -1.6050),
    (52.6380, -1.5970),
    (52.6180, -1.6150),
    (52.5990, -1.6400),
    (52.5940, -1.6800),
    (52.5990, -1.7200),
    (52.6200, -1.7450),
    (52.6450, -1.7400),
    (52.6600, -1.7200),
)


def inside_borough(latitude: float, longitude: float) -> bool:
    """Whether a point lies inside `BOROUGH_BOUNDARY`.

    Ray casting on the raw degrees: with edges a few kilometres long, treating latitude and longitude
    as flat coordinates moves an edge by under a metre, and one polygon of a dozen vertices needs neither
    projections nor spatial indexes, so a GIS library (shapely, GEOS) would buy nothing here.
    """
    inside = False
    previous_lat, previous_lon = BOROUGH_BOUNDARY[-1]
    for lat, lon in BOROUGH_BOUNDARY:
        # An edge counts when it straddles the point's latitude (half-open, so a shared vertex counts once)
        # and crosses that latitude east of the point.
        if (lat > latitude) != (previous_lat > latitude):
            crossing_lon = lon + (latitude - lat) * (previous_lon - lon) / (previous_lat - lat)
            if longitude < crossing_lon:
                inside = not inside
        previous_lat, previous_lon = lat, lon
    return inside


def distance_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance by the haversine formula, which keeps its precision over a few metres
    (the spherical law of cosines loses it there)."""
    phi1, phi2 = radians(lat1), radians(lat2)
    half_chord = sin((phi2 - phi1) / 2) ** 2 + cos(phi1) * cos(phi2) * sin(radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * asin(min(1.0, sqrt(half_chord)))
