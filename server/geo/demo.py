"""Demo geography for Xinzheng: real township-level units, generated communities and grids.

Township names and codes are real (NBS 2023, server/data/xinzheng_townships.csv).
Their boundaries are NOT: the city's extent around its real location
(~34.40 N, 113.74 E) is cut into rectangles, each township into 3x3 demo
communities and each community into 2x2 grids of roughly 0.9 x 1.5 km. Every
generated unit is marked ``is_demo`` and named "(演示)".
"""

from __future__ import annotations

import csv
from importlib import resources
from typing import Any

CITY_CODE = "410184"
# Demo extent of the city (lon/lat): about 26 km x 27 km around the real centre.
WEST, EAST, SOUTH, NORTH = 113.595, 113.88, 34.28, 34.525
TOWNSHIP_COLS, TOWNSHIP_ROWS = 5, 3
COMMUNITY_SIDE, GRID_SIDE = 3, 2
CHINESE_NUMERALS = "一二三四五六七八九"


def _rect(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


Box = tuple[float, float, float, float]


def _split(box: Box, side: int) -> list[Box]:
    west, south, east, north = box
    dx, dy = (east - west) / side, (north - south) / side
    return [
        (west + c * dx, north - (r + 1) * dy, west + (c + 1) * dx, north - r * dy)
        for r in range(side) for c in range(side)
    ]


def townships() -> list[dict[str, str]]:
    """Xinzheng's township-level units from the reference table."""
    text = resources.files("server.data").joinpath("xinzheng_townships.csv").read_text(encoding="utf-8")
    return [row for row in csv.DictReader(text.splitlines()) if row["parent_code"] == CITY_CODE]


def demo_feature_collection() -> dict[str, Any]:
    """The demo city as a GeoJSON FeatureCollection that ``import_units`` accepts."""
    features: list[dict[str, Any]] = []

    def add(code: str, name: str, level: str, parent: str | None, geom: dict[str, Any]) -> None:
        features.append({"type": "Feature", "geometry": geom,
                         "properties": {"code": code, "name": name, "level": level, "parent_code": parent,
                                        "demo_geometry": True}})

    add(CITY_CODE, "新郑市", "city", None, _rect(WEST, SOUTH, EAST, NORTH))
    dx = (EAST - WEST) / TOWNSHIP_COLS
    dy = (NORTH - SOUTH) / TOWNSHIP_ROWS
    for i, township in enumerate(townships()):
        r, c = divmod(i, TOWNSHIP_COLS)
        t_box: Box = (WEST + c * dx, NORTH - (r + 1) * dy, WEST + (c + 1) * dx, NORTH - r * dy)
        add(township["code"], township["name_zh"], "township", CITY_CODE, _rect(*t_box))
        for j, c_box in enumerate(_split(t_box, COMMUNITY_SIDE), start=1):
            community_code = f"{township['code']}{j:03d}"
            community_name = f"{township['name_zh']}第{CHINESE_NUMERALS[j - 1]}社区(演示)"
            add(community_code, community_name, "community", township["code"], _rect(*c_box))
            for k, g_box in enumerate(_split(c_box, GRID_SIDE), start=1):
                add(f"{community_code}{k:03d}", f"{community_name}第{k}网格", "grid", community_code, _rect(*g_box))
    return {"type": "FeatureCollection", "features": features}
