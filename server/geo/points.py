"""Positions on the map: reading a geopoint in any of the shapes it arrives in, writing it as WKT, reading it back.

A geopoint answer from a phone is ODK's ``"lat lon [alt [acc]]"`` text or a
``{lat, lon, altitude, accuracy}`` object; a registry property or an import
row may also hold GeoJSON (``{"type": "Point", "coordinates": [lon, lat]}``) or
a ``(lon, lat)`` pair. All are WGS 84 (SRID 4326, server/geo/models.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from geoalchemy2.elements import WKBElement, WKTElement
from geoalchemy2.shape import to_shape

from server.geo.models import SRID


@dataclass(frozen=True)
class Location:
    """A GPS fix: WGS 84 lon/lat, optional altitude and accuracy in metres."""

    lon: float
    lat: float
    altitude_m: float | None = None
    accuracy_m: float | None = None
    field: str | None = None  # the geopoint question it came from; None for meta.location

    @property
    def lon_lat(self) -> tuple[float, float]:
        """The (lon, lat) pair."""
        return self.lon, self.lat


def finite_number(value: Any) -> float | None:
    """The value as a finite number, or None (booleans, blanks, text and NaN are not numbers here)."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_geopoint(value: Any, field: str | None = None) -> Location | None:
    """A geopoint in any shape above, or None when it is missing, unreadable or off the globe."""
    alt = acc = None
    if isinstance(value, Mapping) and value.get("type") == "Point":
        coordinates = value.get("coordinates")
        if not isinstance(coordinates, (list, tuple)) or len(coordinates) < 2:
            return None
        lon, lat = finite_number(coordinates[0]), finite_number(coordinates[1])
    elif isinstance(value, Mapping):
        lat, lon = finite_number(value.get("lat", value.get("latitude"))), finite_number(
            value.get("lon", value.get("lng", value.get("longitude"))))
        alt, acc = finite_number(value.get("altitude", value.get("alt"))), finite_number(value.get("accuracy"))
    elif isinstance(value, (list, tuple)) and len(value) >= 2:
        lon, lat = finite_number(value[0]), finite_number(value[1])
    elif isinstance(value, str):
        parts = value.split()
        if len(parts) < 2:
            return None
        nums = [finite_number(p) for p in parts[:4]] + [None, None]
        lat, lon, alt, acc = nums[0], nums[1], nums[2], nums[3]
    else:
        return None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if acc is not None and acc < 0:
        acc = None
    return Location(lon, lat, alt, acc, field)


def point_wkt(lon: float, lat: float) -> str:
    """The point as WKT, every digit kept."""
    return f"POINT({lon!r} {lat!r})"


def point_element(lon: float, lat: float) -> WKTElement:
    """The point as a geometry value to store."""
    return WKTElement(point_wkt(lon, lat), srid=SRID)


def lon_lat_of(geometry: WKBElement | WKTElement | None) -> tuple[float, float] | None:
    """A stored point (as read from the database, or as ``point_element`` made it) as (lon, lat)."""
    if geometry is None:
        return None
    point = to_shape(geometry)
    return float(point.x), float(point.y)
