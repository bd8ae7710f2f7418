"""Admin unit tree, unit detail and point location, all scoped to the caller."""

from __future__ import annotations

from typing import Any

from server.accounts.auth import current_user
from server.api import API_PREFIX, BaseView, Blueprint
from server.db import get_session
from server.geo import service
from server.geo.models import AdminUnit
from server.geo.schemas import (
    LocateArgsSchema,
    LocateSchema,
    UnitDetailSchema,
    UnitShapeSchema,
    UnitTreeArgsSchema,
    UnitTreeNodeSchema,
)

blp = Blueprint("geo", __name__, url_prefix=f"{API_PREFIX}/geo", description="行政区划与网格 (geography)")


@blp.route("/units")
class UnitTree(BaseView):
    """The caller's part of the hierarchy."""

    @blp.arguments(UnitTreeArgsSchema, location="query")
    @blp.response(200, UnitTreeNodeSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        """The admin units the caller may see, as a tree; ``boundaries=true`` adds each unit's GeoJSON (for a map)."""
        return service.unit_tree(get_session(), current_user(), boundaries=args["boundaries"])


@blp.route("/units/<string:code>")
class UnitDetail(BaseView):
    """One admin unit."""

    @blp.response(200, UnitDetailSchema)
    def get(self, code: str) -> dict[str, Any]:
        """A unit with its boundary as GeoJSON, its ancestors and children."""
        session = get_session()
        unit = service.get_unit(session, current_user(), code)
        return {
            "code": unit.code, "name": unit.name, "level": unit.level, "is_demo": unit.is_demo,
            "path": unit.path, "parent_code": unit.parent.code if unit.parent else None,
            "boundary": service.boundary_geojson(unit),
            "ancestors": service.ancestors(session, unit), "children": service.children(session, unit),
        }


@blp.route("/units/<string:code>/neighbours")
class UnitNeighbours(BaseView):
    """The units around one unit."""

    @blp.response(200, UnitShapeSchema(many=True))
    def get(self, code: str) -> list[AdminUnit]:
        """Units of the same level touching this one, with their boundaries (only those in the caller's scope)."""
        return service.neighbours(get_session(), current_user(), code)


@blp.route("/locate")
class Locate(BaseView):
    """Which grid a point lies in."""

    @blp.arguments(LocateArgsSchema, location="query")
    @blp.response(200, LocateSchema)
    def get(self, args: dict[str, float]) -> dict[str, Any]:
        """The grid containing (lon, lat) and its ancestors."""
        grid, chain = service.locate(get_session(), current_user(), args["lon"], args["lat"])
        return {"grid": grid, "ancestors": chain}
