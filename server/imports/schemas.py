"""Import API shapes: the upload's form fields, its answer, and an import's progress and report."""

from __future__ import annotations

from marshmallow import Schema, fields

from server.schemas import ReplySchema


class ImportFormSchema(Schema):
    """The upload's form fields (the file is the multipart part ``file``, the mapping optionally ``mapping``)."""

    dataset = fields.String(required=True, metadata={"description": "数据集，如 persons"})
    source = fields.String(required=True, metadata={"description": "来源，如 police-platform"})
    encoding = fields.String(load_default=None, metadata={"description": "utf-8 | gb18030 | gbk；省略则自动识别"})
    mapping = fields.String(load_default=None, metadata={"description": "列映射 YAML（也可作为文件部分上传）"})


class ImportAcceptedSchema(ReplySchema):
    """The upload's answer."""

    id = fields.Integer()
    status = fields.String()


class ImportSchema(ReplySchema):
    """An import's progress, and its report once rows are done."""

    id = fields.Integer()
    status = fields.String(metadata={"description": "queued | running | done | failed"})
    dataset = fields.String()
    source = fields.String()
    filename = fields.String()
    format = fields.String()
    encoding = fields.String(allow_none=True)
    done = fields.Integer()
    total = fields.Integer()
    error = fields.Dict(allow_none=True, metadata={"description": "code, message, stopped_at_row"})
    created_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    report = fields.Dict(metadata={"description": "counts by outcome; rows by outcome with row number and reason"})
