"""Schemas for the monthly report API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.schemas import ReplySchema


class ReportArgsSchema(Schema):
    """Which unit's report (default: the caller's first unit, or the city for admins) and which revision."""

    unit = fields.String(validate=validate.Length(1, 32), metadata={"description": "admin unit code"})
    revision = fields.Integer(validate=validate.Range(1), metadata={"description": "default: the newest"})


class RunArgsSchema(Schema):
    """Which unit (and everything below it) to count; default: the city."""

    unit = fields.String(validate=validate.Length(1, 32), metadata={"description": "admin unit code"})


class UnitSchema(ReplySchema):
    """The unit a report is about."""

    code = fields.String()
    name = fields.String()
    level = fields.String(metadata={"description": "city, township, community or grid"})


class ChildSchema(ReplySchema):
    """One child unit's figures in the same revision."""

    unit = fields.Nested(UnitSchema)
    figures = fields.Dict()


class ReportSchema(ReplySchema):
    """One stored revision of a unit's monthly report."""

    period = fields.String(metadata={"description": "YYYY-MM, the month the period ends in"})
    start = fields.String(metadata={"description": "first day of the period"})
    end = fields.String(metadata={"description": "last day of the period"})
    unit = fields.Nested(UnitSchema)
    revision = fields.Integer()
    provisional = fields.Boolean(metadata={"description": "run before the period's report was due"})
    trigger = fields.String(metadata={"description": "schedule, api or cli"})
    generated_at = fields.DateTime()
    figures = fields.Dict(metadata={"description": "persons_present, persons_present_by_ethnicity (GB/T 3304), "
                                                   "arrivals, departures, transfers_in/out, visits, not_visited_90d, "
                                                   "school_age_not_in_school, cases_new/resolved/overdue, services…"})
    changes = fields.Dict(allow_none=True, metadata={"description": "figure -> [previous revision, this one]"})
    children = fields.List(fields.Nested(ChildSchema))


class OverviewArgsSchema(Schema):
    """Which unit (default: the caller's first unit, or the city for admins)."""

    unit = fields.String(validate=validate.Length(1, 32), metadata={"description": "admin unit code"})


class OverviewFiguresSchema(ReplySchema):
    """How a unit stands today."""

    persons_present = fields.Integer(metadata={"description": "persons living in the unit now"})
    arrivals = fields.Integer(metadata={"description": "arrivals and returns so far in the running period"})
    cases_open = fields.Integer(metadata={"description": "cases open or in progress"})
    cases_overdue = fields.Integer(metadata={"description": "of those, past their due date today"})


class OverviewChildSchema(ReplySchema):
    """A child unit's figures."""

    unit = fields.Nested(UnitSchema)
    figures = fields.Nested(OverviewFiguresSchema)


class PeriodSchema(ReplySchema):
    """A report period."""

    name = fields.String()
    start = fields.String()
    end = fields.String()


class OverviewSchema(ReplySchema):
    """The leader's overview of a unit and its child units, counted now."""

    as_of = fields.String(metadata={"description": "today in the city (YYYY-MM-DD)"})
    period = fields.Nested(PeriodSchema, metadata={"description": "the running report period"})
    unit = fields.Nested(UnitSchema)
    figures = fields.Nested(OverviewFiguresSchema)
    children = fields.List(fields.Nested(OverviewChildSchema))
