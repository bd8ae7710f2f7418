"""Schemas for form upload, listing and compiled definitions."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.schemas import ReplySchema


class UploadFileSchema(Schema):
    """An XLSForm workbook sent as multipart field ``file``."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class UploadResultSchema(ReplySchema):
    """The form and version an upload created."""

    form_id = fields.String()
    version = fields.String()
    state = fields.String()
    undeclared = fields.List(fields.String(), metadata={
        "description": "save_to properties the dataset lacks, declared as plain text when the draft is published"})


class UploadArgsSchema(Schema):
    """Upload options."""

    declare = fields.String(validate=validate.OneOf(["text"]), metadata={
        "description": "text: let publishing declare undeclared save_to properties as plain, non-sensitive text "
                       "(not for names or labels that look like ID or phone numbers or ethnic groups)"})


class FormVersionBriefSchema(ReplySchema):
    """A version without its definition."""

    version = fields.String()
    state = fields.String()
    title = fields.String()
    xform_md5 = fields.String()
    media_files = fields.List(fields.String())
    dataset = fields.String(allow_none=True)
    created_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)


class VersionEntrySchema(ReplySchema):
    """A version in a form's history."""

    version = fields.String()
    state = fields.String()
    title = fields.String()
    created_at = fields.DateTime()
    uploaded_by = fields.String(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    published_by = fields.String(allow_none=True)


class FormSummarySchema(ReplySchema):
    """A form in the list."""

    form_id = fields.String()
    title = fields.String()
    version = fields.String(attribute="current_version.version", allow_none=True)
    has_draft = fields.Function(lambda form: form.draft is not None, metadata={"type": "boolean"})
    dataset = fields.String(attribute="current_version.dataset", allow_none=True)


class CompiledFormSchema(ReplySchema):
    """A form version with its compiled definition (see server/forms/compiled_form.schema.json)."""

    form_id = fields.String()
    version = fields.String()
    state = fields.String()
    title = fields.String()
    definition = fields.Dict()
