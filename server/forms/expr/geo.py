"""Geometry for ODK's area(), distance() and geofence().

Like JavaRosa, lengths and areas are computed on a sphere of radius 6,378,100 m
(haversine for distances, the spherical-excess sum for polygon areas), so the
numbers match what a grid worker sees in ODK Collect.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6378100.0


class GeoError(ValueError):
    """A geopoint/geotrace/geoshape string is malformed."""


def parse_point(text: str) -> tuple[float, float]:
    """'lat lon [alt [accuracy]]' -> (lat, lon) in degrees."""
    parts = text.split()
    if len(parts) < 2 or len(parts) > 4:
        raise GeoError(f"invalid geopoint {text!r}")
    try:
        lat, lon = float(parts[0]), float(parts[1])
        for extra in parts[2:]:
            float(extra)
    except ValueError:
        raise GeoError(f"invalid geopoint {text!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise GeoError(f"geopoint out of range {text!r}")
    return lat, lon


def parse_points(values: list[str]) -> list[tuple[float, float]]:
    """Points from geopoint values and/or ';'-separated geotrace/geoshape values."""
    points: list[tuple[float, float]] = []
    for value in values:
        for chunk in value.split(";"):
            if chunk.strip():
                points.append(parse_point(chunk))
    return points


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lon) points."""
    lat1, lon1 = math.radians(a[0]), math.radians(a[1])
    lat2, lon2 = math.radians(b[0]), math.radians(b[1])
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def path_length(points: list[tuple[float, float]]) -> float:
    """Total length in metres of the polyline through the points."""
    return sum(haversine(points[i], points[i + 1]) for i in range(len(points) - 1))


def polygon_area(points: list[tuple[float, float]]) -> float:
    """Area in square metres of the spherical polygon (closing point optional)."""
    if len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]
    if len(points) < 3:
        return 0.0
    total = 0.0
    n = len(points)
    for i in range(n):
        lat1, lon1 = points[i]
        lat2, lon2 = points[(i + 1) % n]
        total += math.radians(lon2 - lon1) * (2 + math.sin(math.radians(lat1)) + math.sin(math.radians(lat2)))
    return abs(total * EARTH_RADIUS_M * EARTH_RADIUS_M / 2.0)


def point_in_polygon(point: tuple[float, float], shape: list[tuple[float, float]]) -> bool:
    """Ray-casting test in the lon/lat plane; the shape's closing point is optional."""
    if len(shape) > 1 and shape[0] == shape[-1]:
        shape = shape[:-1]
    if len(shape) < 3:
        return False
    y, x = point
    inside = False
    n = len(shape)
    j = n - 1
    for i in range(n):
        yi, xi = shape[i]
        yj, xj = shape[j]
        if (yi > y) != (yj > y):
            x_cross = (xj - xi) * (y - yi) / (yj - yi) + xi
            if x < x_cross:
                inside = not inside
        j = i
    return inside
