"""Schemas for the registry API: query arguments in, pages and records out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

STATUSES = ("active", "departed", "merged")


class SearchArgsSchema(Schema):
    """Filters for a registry search; every one is optional."""

    q = fields.String(metadata={"description": "name in characters (prefix) or pinyin / initials prefix"})
    id_number = fields.String(metadata={"description": "exact resident ID number (matched by keyed hash)"})
    phone = fields.String(metadata={"description": "exact phone number (matched by keyed hash)"})
    grid = fields.String(metadata={"description": "grid code"})
    follows = fields.String(metadata={"description": "uuid of the record these follow (a person's follow-ups)"})
    ethnicity = fields.String(metadata={"description": "GB/T 3304 code"})
    status = fields.String(validate=validate.OneOf(STATUSES))
    arrived_from = fields.Date()
    arrived_to = fields.Date()
    cursor = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class PageArgsSchema(Schema):
    """Keyset paging."""

    cursor = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class CandidateArgsSchema(PageArgsSchema):
    """Candidates by status (open by default)."""

    status = fields.String(validate=validate.OneOf(("open", "merged", "distinct", "unmerged")))


class PlacementArgsSchema(PageArgsSchema):
    """Held moves by status (open by default)."""

    status = fields.String(validate=validate.OneOf(("open", "accepted", "rejected", "superseded")))


class SyncArgsSchema(Schema):
    """Delta sync position."""

    cursor = fields.String()
    limit = fields.Integer(validate=validate.Range(1, 100_000))


class EntitySummarySchema(Schema):
    """A record in a list (sensitive values masked unless the role needs them)."""

    uuid = fields.String()
    label = fields.String()
    version = fields.Integer()
    status = fields.String()
    grid_code = fields.String(allow_none=True)
    unit_path = fields.String()
    conflict = fields.String(allow_none=True)
    updated_at = fields.String(metadata={"format": "date-time"})
    properties = fields.Dict()


class EntityPageSchema(Schema):
    """A page of records."""

    items = fields.List(fields.Nested(EntitySummarySchema))
    next_cursor = fields.String(allow_none=True)


class EntityDetailSchema(EntitySummarySchema):
    """A record with its versions, events, submissions and merge links."""

    etag = fields.String()
    merged_into = fields.String(allow_none=True)
    merged_from = fields.List(fields.String())
    versions = fields.List(fields.Dict())
    events = fields.List(fields.Dict())
    submissions = fields.List(fields.Dict())


class DictPageSchema(Schema):
    """A page of conflicts or candidates."""

    items = fields.List(fields.Dict())
    next_cursor = fields.String(allow_none=True)


class SyncPageSchema(Schema):
    """A page of the caller's changes."""

    items = fields.List(fields.Dict())
    next_cursor = fields.String()
    has_more = fields.Boolean()


class ResolveSchema(Schema):
    """The supervisor's chosen values for the properties in conflict."""

    properties = fields.Dict(keys=fields.String(), required=True)


class MergeSchema(Schema):
    """Which record survives (default: the older one)."""

    survivor = fields.String(load_default=None, allow_none=True)


class MergeBlockSchema(Schema):
    """What merging a submission did to one dataset."""

    dataset = fields.String()
    outcome = fields.String(metadata={"description": "created | updated | deduplicated | skipped"})
    entity_uuid = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "why skipped: create_if_false, update_if_false…"})
    detail = fields.Dict()
    at = fields.String(metadata={"format": "date-time"})


class MergeResultSchema(Schema):
    """The registry's merge result for one submission."""

    instance_id = fields.String()
    blocks = fields.List(fields.Nested(MergeBlockSchema))


class DatasetSchema(Schema):
    """A dataset's declaration in force."""

    name = fields.String()
    version = fields.Integer(metadata={"description": "the declaration's version in force"})
    updated_at = fields.DateTime(metadata={"description": "when that version took effect"})
    label_zh = fields.String()
    label_en = fields.String()
    label_property = fields.String()
    properties = fields.List(fields.Dict())
    identity = fields.Dict()
    placement = fields.Dict()
    merge_requires_approval = fields.Boolean()
    merge_after_review = fields.Boolean(metadata={
        "description": "its submissions merge only once a supervisor has approved them"})


class DeclarationVersionSchema(Schema):
    """One version of a dataset's declaration."""

    version = fields.Integer()
    source = fields.String(metadata={"description": "file (datasets.yaml), api or form (declared on publish)"})
    created_at = fields.DateTime()
    created_by = fields.Integer(allow_none=True)
    properties = fields.List(fields.String())


class DatasetDetailSchema(DatasetSchema):
    """A dataset's declaration in force and every version of it."""

    versions = fields.List(fields.Nested(DeclarationVersionSchema))


# One line of text: no control characters (PostgreSQL refuses NUL in text and JSON).
_PRINTABLE = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="control characters are not allowed")


class PropertyCreateSchema(Schema):
    """A property a designer declares (names and labels are checked by the service, located by field)."""

    name = fields.String(required=True, validate=validate.Length(max=200))
    type = fields.String(required=True, validate=validate.Length(max=64))
    label_zh = fields.String(required=True, validate=validate.Length(max=1000))
    label_en = fields.String(validate=validate.Length(max=1000))
    sensitive = fields.Boolean()
    list = fields.String(validate=[validate.Length(min=1, max=64), _PRINTABLE],
                         metadata={"description": "select: the choices list name"})
    multiple = fields.Boolean()
    values = fields.List(fields.String(validate=[validate.Length(min=1, max=64), _PRINTABLE]),
                         validate=validate.Length(max=200))
    dataset = fields.String(validate=[validate.Length(min=1, max=64), _PRINTABLE],
                            metadata={"description": "entity: the dataset the uuid belongs to"})
