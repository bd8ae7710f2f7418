"""Schemas for the registry API: query arguments in, pages and records out."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.schemas import ReplySchema, Verbatim

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


class EntitySummarySchema(ReplySchema):
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


class EntityPageSchema(ReplySchema):
    """A page of records."""

    items = fields.List(fields.Nested(EntitySummarySchema))
    next_cursor = fields.String(allow_none=True)


_DATE_TIME = {"format": "date-time"}
# The services shape records, versions, events, candidates and held moves as dicts: they are sent as
# they are (Verbatim), described by the schemas below, and held to them by the contract test.


class VersionViewSchema(ReplySchema):
    """One version of a record (values masked as for the caller)."""

    version = fields.Integer()
    base_version = fields.Integer(allow_none=True)
    label = fields.String(allow_none=True)
    changed = fields.List(fields.String(), metadata={"description": "the properties this version changed"})
    unit_path = fields.String(allow_none=True)
    author_id = fields.Integer(allow_none=True)
    source_type = fields.String()
    source_id = fields.String(allow_none=True)
    conflict = fields.String(allow_none=True)
    resolved_at = fields.String(allow_none=True, metadata=_DATE_TIME)
    created_at = fields.String(allow_none=True, metadata=_DATE_TIME)
    properties = fields.Dict()
    conflict_detail = fields.Dict(metadata={"optional": True,
                                            "description": "a conflict's base, current and incoming values"})


class EventViewSchema(ReplySchema):
    """One registry event of a record."""

    cursor = fields.Integer()
    kind = fields.String(metadata={"description": "created, updated, moved, departed, returned, merged…"})
    version = fields.Integer()
    unit_path = fields.String(allow_none=True)
    previous_unit_path = fields.String(allow_none=True)
    event_date = fields.String(allow_none=True)
    source_type = fields.String(allow_none=True)
    source_id = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    detail = fields.Dict(allow_none=True)
    at = fields.String(allow_none=True, metadata=_DATE_TIME)


class EntitySubmissionSchema(ReplySchema):
    """A submission that wrote a version of the record."""

    instance_id = fields.String()
    version = fields.Integer()
    at = fields.String(allow_none=True, metadata=_DATE_TIME)
    unit_path = fields.String(allow_none=True)


class EntityDetailSchema(EntitySummarySchema):
    """A record with its versions, events, submissions and merge links."""

    etag = fields.String()
    merged_into = fields.String(allow_none=True)
    merged_from = fields.List(fields.String())
    versions = fields.List(Verbatim(VersionViewSchema))
    events = fields.List(Verbatim(EventViewSchema))
    submissions = fields.List(Verbatim(EntitySubmissionSchema))


class ConflictSchema(VersionViewSchema):
    """An unresolved conflicting version with the record it belongs to."""

    entity_uuid = fields.String()
    etag = fields.String(metadata={"description": "the record's ETag, for If-Match on the resolution"})
    current_version = fields.Integer()


class ConflictPageSchema(ReplySchema):
    """A page of the conflict queue."""

    items = fields.List(Verbatim(ConflictSchema))
    next_cursor = fields.String(allow_none=True)


class CandidateSchema(ReplySchema):
    """A duplicate candidate: both records (masked), the score and the reasons they look alike."""

    id = fields.Integer()
    score = fields.Float()
    reasons = fields.List(fields.Dict())
    status = fields.String(metadata={"description": "open, merged, distinct or unmerged"})
    etag = fields.String(metadata={"description": "for If-Match on a decision"})
    created_at = fields.String(allow_none=True, metadata=_DATE_TIME)
    resolved_at = fields.String(allow_none=True, metadata=_DATE_TIME)
    survivor = fields.String(allow_none=True, metadata={"description": "the uuid that survived a merge"})
    a = Verbatim(EntitySummarySchema)
    b = Verbatim(EntitySummarySchema)


class CandidatePageSchema(ReplySchema):
    """A page of the duplicate-candidate queue."""

    items = fields.List(Verbatim(CandidateSchema))
    next_cursor = fields.String(allow_none=True)


class PointSchema(ReplySchema):
    """A WGS 84 point."""

    lon = fields.Float()
    lat = fields.Float()


class PlacementSchema(ReplySchema):
    """A held move: the record (masked), where it is, where the submission saw it, and by whom."""

    id = fields.Integer()
    status = fields.String(metadata={"description": "open, accepted, rejected or superseded"})
    etag = fields.String(metadata={"description": "for If-Match on a decision"})
    reason = fields.String()
    from_grid = fields.String(allow_none=True)
    to_grid = fields.String(allow_none=True)
    path_from = fields.String(allow_none=True)
    path_to = fields.String(allow_none=True)
    point = Verbatim(PointSchema, allow_none=True)
    submission = fields.String(allow_none=True, metadata={"description": "the submission's instance id"})
    submitter_id = fields.Integer(allow_none=True)
    event_date = fields.String(allow_none=True)
    created_at = fields.String(allow_none=True, metadata=_DATE_TIME)
    resolved_at = fields.String(allow_none=True, metadata=_DATE_TIME)
    entity = Verbatim(EntitySummarySchema)


class PlacementPageSchema(ReplySchema):
    """A page of held moves."""

    items = fields.List(Verbatim(PlacementSchema))
    next_cursor = fields.String(allow_none=True)


class SyncItemSchema(ReplySchema):
    """A change for a device: ``upsert`` with the record's state, or ``remove`` with why."""

    op = fields.String(metadata={"description": "upsert | remove"})
    uuid = fields.String()
    version = fields.Integer()
    label = fields.String(allow_none=True, metadata={"optional": True, "description": "upsert only"})
    status = fields.String(metadata={"optional": True, "description": "upsert only"})
    grid_code = fields.String(allow_none=True, metadata={"optional": True, "description": "upsert only"})
    properties = fields.Dict(metadata={"optional": True, "description": "upsert only (masked as for the caller)"})
    reason = fields.String(metadata={"optional": True, "description": "remove only: merged | out_of_scope"})


class SyncPageSchema(ReplySchema):
    """A page of the caller's changes (``sync.dumps`` writes it by hand; this is its shape)."""

    items = fields.List(fields.Nested(SyncItemSchema))
    next_cursor = fields.String()
    has_more = fields.Boolean()


class ResolveSchema(Schema):
    """The supervisor's chosen values for the properties in conflict."""

    properties = fields.Dict(keys=fields.String(), required=True)


class MergeSchema(Schema):
    """Which record survives (default: the older one)."""

    survivor = fields.String(load_default=None, allow_none=True)


class MergeBlockSchema(ReplySchema):
    """What merging a submission did to one dataset."""

    dataset = fields.String()
    outcome = fields.String(metadata={"description": "created | updated | deduplicated | skipped"})
    entity_uuid = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "why skipped: create_if_false, update_if_false…"})
    detail = fields.Dict()
    at = fields.String(metadata={"format": "date-time"})


class MergeResultSchema(ReplySchema):
    """The registry's merge result for one submission."""

    instance_id = fields.String()
    blocks = fields.List(fields.Nested(MergeBlockSchema))


class DatasetSchema(ReplySchema):
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


class DeclarationVersionSchema(ReplySchema):
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
