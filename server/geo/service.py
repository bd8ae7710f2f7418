"""Admin units: import from GeoJSON, the scoped tree, detail, and locating a point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.validation import explain_validity
from sqlalchemy import String, bindparam, func, select
from sqlalchemy.orm import Session, lazyload

from server.accounts.models import User
from server.audit.service import record
from server.errors import NotFoundError, RuleViolation
from server.geo.models import LEVEL_ORDER, SRID, AdminUnit, UnitLevel
from server.geo.points import point_wkt
from server.scope import get_in_scope, scope_clause


@dataclass(frozen=True)
class UnitDraft:
    """One feature of an import, checked but not yet stored."""

    code: str
    name: str
    level: UnitLevel
    parent_code: str | None
    geometry: MultiPolygon | None


def _in_lon_lat(bounds: tuple[float, float, float, float]) -> bool:
    west, south, east, north = bounds
    return -180 <= west <= east <= 180 and -90 <= south <= north <= 90


def _check_feature(index: int, feature: Any, errors: dict[str, list[str]]) -> UnitDraft | None:
    where = f"features[{index}]"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        errors[where] = ["not a GeoJSON Feature"]
        return None
    props = feature.get("properties") or {}
    problems: list[str] = []
    code, name, level = (str(props.get(k) or "").strip() for k in ("code", "name", "level"))
    parent_code = str(props.get("parent_code") or "").strip() or None
    if not code.isdigit() or len(code) > 32:
        problems.append("properties.code must be a division code of digits")
    if not name:
        problems.append("properties.name is required")
    if level not in {lv.value for lv in UnitLevel}:
        problems.append(f"properties.level must be one of {', '.join(lv.value for lv in UnitLevel)}")
    if level and level != UnitLevel.CITY and parent_code is None:
        problems.append("properties.parent_code is required below city level")
    geometry: MultiPolygon | None = None
    raw_geometry = feature.get("geometry")
    if raw_geometry is not None:
        try:
            geom = shape(raw_geometry)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            problems.append(f"geometry is not valid GeoJSON: {exc}")
        else:
            if isinstance(geom, Polygon):
                geom = MultiPolygon([geom])
            if not isinstance(geom, MultiPolygon):
                problems.append(f"geometry must be a Polygon or MultiPolygon, not {geom.geom_type}")
            elif geom.is_empty or not geom.is_valid:
                problems.append(f"geometry is invalid: {explain_validity(geom)}")
            elif not _in_lon_lat(geom.bounds):
                problems.append("geometry is outside lon/lat bounds (SRID 4326 expected)")
            else:
                geometry = geom
    if problems:
        errors[where] = problems
        return None
    return UnitDraft(code, name, UnitLevel(level), parent_code, geometry)


def import_units(
    session: Session, collection: Any, *, is_demo: bool = False, actor_id: int | None = None
) -> list[AdminUnit]:
    """Import a GeoJSON FeatureCollection of admin units, all or nothing."""
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise RuleViolation("not a GeoJSON FeatureCollection", code="geo.invalid_file",
                            errors={"$": ["expected a FeatureCollection"]})
    features = collection.get("features") or []
    errors: dict[str, list[str]] = {}
    drafts: list[tuple[int, UnitDraft]] = []
    seen: dict[str, int] = {}
    for index, feature in enumerate(features):
        draft = _check_feature(index, feature, errors)
        if draft is None:
            continue
        if draft.code in seen:
            errors.setdefault(f"features[{index}]", []).append(
                f"duplicate code {draft.code} (also features[{seen[draft.code]}])")
            continue
        seen[draft.code] = index
        drafts.append((index, draft))
    existing = {
        unit.code: unit
        for unit in session.scalars(select(AdminUnit).where(
            AdminUnit.code.in_([d.code for _, d in drafts] + [d.parent_code for _, d in drafts if d.parent_code])))
    }
    in_file = {d.code: d for _, d in drafts}
    for index, draft in drafts:
        if draft.code in existing:
            errors.setdefault(f"features[{index}]", []).append(f"code {draft.code} already exists")
        if draft.parent_code is None:
            continue
        parent_draft = in_file.get(draft.parent_code)
        parent_level = parent_draft.level if parent_draft else (
            UnitLevel(existing[draft.parent_code].level) if draft.parent_code in existing else None)
        if parent_level is None:
            errors.setdefault(f"features[{index}]", []).append(f"unknown parent_code {draft.parent_code}")
        elif LEVEL_ORDER[parent_level] != LEVEL_ORDER[draft.level] - 1:
            errors.setdefault(f"features[{index}]", []).append(
                f"a {draft.level.value} cannot sit under a {parent_level.value}")
    if errors:
        raise RuleViolation(f"{len(errors)} feature(s) refused; nothing imported",
                            code="geo.invalid_features", errors=errors,
                            message_zh=f"{len(errors)} 个要素有误，未导入任何数据")
    created: list[AdminUnit] = []
    by_code = dict(existing)
    for _, draft in sorted(drafts, key=lambda item: LEVEL_ORDER[item[1].level]):
        parent = by_code.get(draft.parent_code) if draft.parent_code else None
        unit = AdminUnit(
            code=draft.code, name=draft.name, level=draft.level.value,
            parent_id=parent.id if parent else None,
            path=(parent.path if parent else "/") + draft.code + "/",
            boundary=from_shape(draft.geometry, srid=SRID) if draft.geometry is not None else None,
            is_demo=is_demo,
        )
        session.add(unit)
        session.flush()
        by_code[unit.code] = unit
        created.append(unit)
    record(session, actor_id, "geo.import", detail={"units": len(created), "demo": is_demo})
    return created


def visible_units(session: Session, user: User) -> list[AdminUnit]:
    """Every unit in the user's scope, parents before children."""
    return list(session.scalars(
        select(AdminUnit).where(scope_clause(user, AdminUnit.path)).order_by(AdminUnit.path)))


def unit_tree(session: Session, user: User, *, boundaries: bool = False) -> list[dict[str, Any]]:
    """The user's units as nested nodes, rooted at the top of what they may see (with GeoJSON boundaries)."""
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for unit in visible_units(session, user):
        node: dict[str, Any] = {"code": unit.code, "name": unit.name, "level": unit.level, "children": []}
        if boundaries:
            node["boundary"] = boundary_geojson(unit)
        nodes[unit.id] = node
        parent = nodes.get(unit.parent_id) if unit.parent_id else None
        (parent["children"] if parent else roots).append(node)
    return roots


def get_unit(session: Session, user: User, code: str) -> AdminUnit:
    """One unit in the user's scope, or 404."""
    return get_in_scope(session, user, AdminUnit, AdminUnit.code, code, AdminUnit.path, code="geo.unit_not_found")


def ancestors(session: Session, unit: AdminUnit) -> list[AdminUnit]:
    """The unit's ancestors, from the top down (not including the unit)."""
    codes = [c for c in unit.path.strip("/").split("/") if c and c != unit.code]
    if not codes:
        return []
    found = {u.code: u for u in session.scalars(select(AdminUnit).where(AdminUnit.code.in_(codes)))}
    return [found[c] for c in codes if c in found]


def children(session: Session, unit: AdminUnit) -> list[AdminUnit]:
    """The unit's direct children."""
    return list(session.scalars(select(AdminUnit).where(AdminUnit.parent_id == unit.id).order_by(AdminUnit.code)))


# Shared edges of neighbouring units are stored rounded; a micro-degree margin (about 0.1 m) makes them meet.
_TOUCH_MARGIN_DEG = 1e-6


def neighbours(session: Session, user: User, code: str) -> list[AdminUnit]:
    """Units of the same level whose boundary touches the unit's (a corner is enough), in the caller's scope."""
    unit = get_unit(session, user, code)
    if unit.boundary is None:
        return []
    around = to_shape(unit.boundary).buffer(_TOUCH_MARGIN_DEG, join_style="mitre")
    query = (
        select(AdminUnit)
        .where(AdminUnit.level == unit.level, AdminUnit.id != unit.id, scope_clause(user, AdminUnit.path),
               func.ST_Intersects(AdminUnit.boundary, func.ST_GeomFromText(bindparam("wkt", type_=String), SRID)))
        .order_by(AdminUnit.code)
    )
    return list(session.scalars(query, {"wkt": around.wkt}))


def boundary_geojson(unit: AdminUnit) -> dict[str, Any] | None:
    """The unit's boundary as a GeoJSON geometry."""
    return mapping(to_shape(unit.boundary)) if unit.boundary is not None else None


# Built once (every located submission and merge asks): the grid containing the point, by code order.
_IN_GRID = (AdminUnit.level == UnitLevel.GRID.value,
            func.ST_Contains(AdminUnit.boundary, func.ST_GeomFromText(bindparam("wkt", type_=String), SRID)))
_GRID_AT = select(AdminUnit).options(lazyload(AdminUnit.parent)).where(*_IN_GRID).order_by(AdminUnit.code).limit(1)
# For callers that need only where the grid is (the registry merge): plain columns, no ORM object.
_GRID_PATH_AT = select(AdminUnit.path, AdminUnit.code).where(*_IN_GRID).order_by(AdminUnit.code).limit(1)


def _point_wkt(lon: float, lat: float) -> dict[str, str]:
    return {"wkt": point_wkt(lon, lat)}


def grid_at(session: Session, lon: float, lat: float) -> AdminUnit | None:
    """The grid whose boundary contains the point, if any (no scope applied)."""
    return session.scalar(_GRID_AT, _point_wkt(lon, lat))


def grid_path_at(session: Session, lon: float, lat: float) -> tuple[str, str] | None:
    """The (path, code) of the grid containing the point, as ``grid_at`` finds it."""
    row = session.execute(_GRID_PATH_AT, _point_wkt(lon, lat)).first()
    return (row.path, row.code) if row is not None else None


def locate(session: Session, user: User, lon: float, lat: float) -> tuple[AdminUnit, list[AdminUnit]]:
    """The grid containing the point and its ancestors, if the grid is in the user's scope."""
    grid = grid_at(session, lon, lat)
    if grid is None or session.scalar(
            select(AdminUnit.id).where(AdminUnit.id == grid.id, scope_clause(user, AdminUnit.path))) is None:
        raise NotFoundError("no grid of yours contains this point", code="geo.not_located",
                            message_zh="该位置不在您的网格范围内")
    return grid, ancestors(session, grid)


def distance_to_unit_m(unit: AdminUnit, lon: float, lat: float) -> float:
    """Approximate distance in metres from the point to the unit's boundary (0 inside)."""
    if unit.boundary is None:
        return float("nan")
    import math

    geom = to_shape(unit.boundary)
    point = Point(lon, lat)
    if geom.contains(point):
        return 0.0
    nearest = geom.boundary.interpolate(geom.boundary.project(point))
    dx = math.radians(nearest.x - lon) * math.cos(math.radians(lat)) * 6_371_008.8
    dy = math.radians(nearest.y - lat) * 6_371_008.8
    return math.hypot(dx, dy)


def units_by_codes(session: Session, codes: Sequence[str]) -> list[AdminUnit]:
    """Units for the given codes (no scope applied; callers check)."""
    return list(session.scalars(select(AdminUnit).where(AdminUnit.code.in_(codes))))
