"""Schemas for admin units."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.geo.service import boundary_geojson
from server.schemas import ReplySchema


class UnitBriefSchema(ReplySchema):
    """An admin unit without geometry."""

    code = fields.String()
    name = fields.String()
    level = fields.String()
    is_demo = fields.Boolean()


class UnitShapeSchema(UnitBriefSchema):
    """An admin unit with its boundary, for drawing it."""

    boundary = fields.Function(lambda unit: boundary_geojson(unit), allow_none=True,
                               metadata={"type": "object", "description": "GeoJSON MultiPolygon, SRID 4326"})


class UnitTreeNodeSchema(ReplySchema):
    """A node of the unit tree."""

    code = fields.String()
    name = fields.String()
    level = fields.String()
    boundary = fields.Dict(allow_none=True, metadata={
        "optional": True, "description": "GeoJSON MultiPolygon (only with ?boundaries=true)"})
    children = fields.List(fields.Nested(lambda: UnitTreeNodeSchema()))


class UnitTreeArgsSchema(Schema):
    """Tree options."""

    boundaries = fields.Boolean(load_default=False, metadata={"description": "include each unit's boundary"})


class UnitDetailSchema(UnitBriefSchema):
    """An admin unit with its boundary (GeoJSON), ancestors and children."""

    path = fields.String()
    parent_code = fields.String(allow_none=True)
    boundary = fields.Dict(allow_none=True, metadata={"description": "GeoJSON MultiPolygon, SRID 4326"})
    ancestors = fields.List(fields.Nested(UnitBriefSchema))
    children = fields.List(fields.Nested(UnitBriefSchema))


class LocateArgsSchema(Schema):
    """A WGS84 point."""

    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))


class LocateSchema(ReplySchema):
    """The grid containing a point, and its ancestors from the top."""

    grid = fields.Nested(UnitBriefSchema)
    ancestors = fields.List(fields.Nested(UnitBriefSchema))
