"""A form's submissions as tables shaped like ODK Central's or Kobo's exports, so analysis scripts keep working.

Central's shape (the default): the main table starts with ``SubmissionDate``,
then one column per question named by its group path joined with ``-``
(``residence-arrival_date``, ``meta-instanceID``), a geopoint split into
``-Latitude``, ``-Longitude``, ``-Altitude``, ``-Accuracy``, a split
select_multiple as ``question/choice`` columns of 1 and 0, and ends with
``KEY``, ``SubmitterID``, ``SubmitterName``, ``Status``, ``DeviceID`` and
``FormVersion``. Each repeat is its own table (``form-repeat``) whose rows
carry ``PARENT_KEY`` and ``KEY`` (``uuid:…/family/children[1]``). Kobo's
shape joins paths with ``/``, splits a geopoint into ``_q_latitude`` … and
keys tables by ``_index`` and ``_parent_index``. Headers may be the
questions' labels and values the choices' labels instead of codes.

Only the current version of each submission is exported (edits replace what
they edit), in the caller's scope, with sensitive answers masked unless the
caller's duty needs them (``privacy.shown_data``, the rule the API applies).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from server.accounts.models import User
from server.exports.files import Output
from server.forms.models import Form, FormVersion
from server.sealing.crypto import Sealer
from server.submissions import queries
from server.submissions.models import Submission
from server.submissions.privacy import body_of, shown_data
from server.submissions.sealing import open_answers

SKIPPED = frozenset({"note", "group", "repeat"})
GEO_PARTS = {"odk": ("Latitude", "Longitude", "Altitude", "Accuracy"),
             "kobo": ("latitude", "longitude", "altitude", "precision")}


@dataclass
class Column:
    """One question's column(s)."""

    steps: tuple[str, ...]  # path below the table's own node
    field: Mapping[str, Any]
    headers: list[str]


@dataclass
class Table:
    """The main table or one repeat's table."""

    name: str
    steps: tuple[str, ...]  # path of the repeat below the root ((): the main table)
    rel: tuple[str, ...] = ()  # path of the repeat below its parent table's row (groups included)
    columns: list[Column] = field(default_factory=list)
    children: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class Shape:
    """How the export names and fills its columns."""

    flavour: str = "odk"  # odk | kobo
    labels_as_headers: bool = False
    labels_as_values: bool = False
    split_multiples: bool = False
    language: str | None = None

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> Shape:
        """The shape the export's options ask for."""
        return cls(options.get("shape") or "odk", options.get("headers") == "labels",
                   options.get("values") == "labels", bool(options.get("split_select_multiple")))

    @property
    def sep(self) -> str:
        """Path separator in headers."""
        return "-" if self.flavour == "odk" else "/"


def _form(session: Session, name: str) -> Form | None:
    return session.scalar(select(Form).where(Form.form_id == name))


def check(session: Session, user: User, name: str, fmt: str) -> None:
    """The form exists (else 422) and the caller reads submissions (departments 404, audited)."""
    from server.exports.service import UnknownExportError

    if _form(session, name) is None:
        raise UnknownExportError("name", f"no form {name!r}", "没有该表单")
    queries.check_reader(session, user)


def _where(form: Form, user: User) -> list[Any]:
    newer = aliased(Submission)
    return [Submission.form_pk == form.id, queries.visible(user),
            ~exists().where(newer.deprecated_id == Submission.instance_id)]


def count(session: Session, user: User, name: str, fmt: str) -> int:
    """How many submissions the export will write."""
    form = _form(session, name)
    assert form is not None
    query = select(func.count()).select_from(Submission).where(*_where(form, user))
    if fmt == "geojson":
        query = query.where(Submission.location.is_not(None))
    return int(session.scalar(query) or 0)


def _definition(session: Session, form: Form) -> dict[str, Any]:
    version_id = form.current_version_id or session.scalar(
        select(func.max(FormVersion.id)).where(FormVersion.form_pk == form.id))
    version = session.get(FormVersion, version_id)
    return dict(version.definition_json) if version is not None else {"fields": [], "choices": {}, "root": "data"}


def _text(texts: Mapping[str, str] | None, language: str | None) -> str | None:
    if not texts:
        return None
    return texts.get(language or "") or next(iter(texts.values()))


def build_tables(definition: Mapping[str, Any], form_id: str, shape: Shape) -> Table:
    """The main table and its repeats' tables from the form's fields."""
    language = shape.language or definition.get("default_language")
    main = Table(form_id, ())

    def header(field_: Mapping[str, Any], rel: tuple[str, ...]) -> str:
        if shape.labels_as_headers and (label := _text(field_.get("label"), language)):
            return label
        return shape.sep.join(rel)

    def walk(fields: Any, table: Table, rel: tuple[str, ...]) -> None:
        for f in fields or ():
            here = (*rel, f["name"])
            if f["type"] == "repeat":
                child = Table(f"{form_id}-{f['name']}", (*table.steps, *here), here)
                table.children.append(child)
                walk(f.get("children"), child, ())
            elif f["type"] == "group":
                walk(f.get("children"), table, here)
            elif f["type"] not in SKIPPED:
                head = header(f, here)
                heads = [head]
                if f["type"] == "geopoint":
                    parts = GEO_PARTS[shape.flavour]
                    heads = ([head, *(f"{head}-{p}" for p in parts)] if shape.flavour == "odk"
                             else [head, *(f"_{f['name']}_{p}" for p in parts)])
                elif f["type"] == "select_multiple" and shape.split_multiples:
                    choices = definition.get("choices", {}).get(f.get("list_name") or "", [])
                    heads = [head, *(f"{head}/{c['name']}" for c in choices)]
                table.columns.append(Column(here, f, heads))

    walk(definition.get("fields"), main, ())
    return main


def headers(table: Table, shape: Shape) -> list[str]:
    """A table's full header row."""
    own = [h for c in table.columns for h in c.headers]
    if table.steps:
        return [*own, "PARENT_KEY", "KEY"] if shape.flavour == "odk" else [*own, "_index", "_parent_index"]
    if shape.flavour == "odk":
        return ["SubmissionDate", *own, "KEY", "SubmitterID", "SubmitterName", "Status", "DeviceID", "FormVersion"]
    return [*own, "_id", "_uuid", "_submission_time", "_submitted_by", "_status", "_index"]


def _at(node: Any, steps: tuple[str, ...]) -> Any:
    for step in steps:
        if not isinstance(node, dict):
            return None
        node = node.get(step)
    return node


def cells(column: Column, node: Any, definition: Mapping[str, Any], shape: Shape) -> list[Any]:
    """A question's cell(s) in one row."""
    value = _at(node, column.steps)
    if isinstance(value, (dict, list)):
        value = None
    kind = column.field["type"]
    choices = {c["name"]: c for c in definition.get("choices", {}).get(column.field.get("list_name") or "", [])}
    language = shape.language or definition.get("default_language")
    if kind == "geopoint":
        parts = str(value).split() if value else []
        return [value, *[(parts[i] if i < len(parts) else None) for i in range(4)]]
    shown = value
    if shape.labels_as_values and value not in (None, "") and kind in ("select_one", "select_multiple"):
        shown = " ".join(_text(choices[v].get("label"), language) or v if v in choices else v
                         for v in str(value).split())
    if kind == "select_multiple" and shape.split_multiples:
        picked = set(str(value).split()) if value else set()
        return [shown, *[(1 if name in picked else 0) if value is not None else None for name in choices]]
    return [shown]


@dataclass
class Writers:
    """The output's table writers, by table name."""

    output: Output
    shape: Shape
    opened: dict[str, Any] = field(default_factory=dict)

    def get(self, table: Table) -> Any:
        """The table's writer, its header written on first use."""
        if table.name not in self.opened:
            self.opened[table.name] = self.output.table(table.name, headers(table, self.shape))
        return self.opened[table.name]


def _open_all(writers: Writers, table: Table) -> None:
    writers.get(table)
    for child in table.children:
        _open_all(writers, child)


def _repeat_rows(writers: Writers, table: Table, node: Any, parent_key: str, parent_index: int,
                 definition: Mapping[str, Any], counter: list[int]) -> None:
    items = _at(node, table.rel)
    for i, item in enumerate(items if isinstance(items, list) else [items] if isinstance(items, dict) else [], 1):
        key = f"{parent_key}/{table.steps[-1]}[{i}]"
        counter[0] += 1
        row = [v for c in table.columns for v in cells(c, item, definition, writers.shape)]
        row += [parent_key, key] if writers.shape.flavour == "odk" else [counter[0], parent_index]
        writers.get(table).write(row)
        for child in table.children:
            _repeat_rows(writers, child, item, key, counter[0], definition, counter)


class FormExport:
    """Writes a form's submissions page by page (a page per short transaction, see jobs.py)."""

    page_factor = 1  # pages of jobs.PAGE submissions

    def __init__(self, name: str, fmt: str, options: dict[str, Any], output: Output, sealer: Sealer) -> None:
        self.name, self.fmt, self.output, self.sealer = name, fmt, output, sealer
        self.shape = Shape.of(options)
        self.writers = Writers(output, self.shape)
        self.definition: dict[str, Any] | None = None
        self.main = Table(name, ())
        self.revealed: set[str] = set()
        self.index, self.counter = 0, [0]

    def page(self, session: Session, user: User, after: int, limit: int) -> tuple[int, int]:
        """Write the submissions after id ``after``; (last id, submissions written)."""
        form = _form(session, self.name)
        assert form is not None
        if self.definition is None:
            self.definition = _definition(session, form)
            self.main = build_tables(self.definition, self.name, self.shape)
            if self.fmt != "geojson":
                _open_all(self.writers, self.main)
        definition, shape, sealer = self.definition, self.shape, self.sealer
        query = select(Submission).where(*_where(form, user), Submission.id > after).order_by(Submission.id)
        if self.fmt == "geojson":
            query = query.where(Submission.location.is_not(None))
        last, written = after, 0
        for sub in session.scalars(query.limit(limit)):
            sub_definition = sub.form_version.definition
            opened = open_answers(sub.data, sub_definition, sealer, sub.instance_id)
            tree, shown = shown_data(opened, sub_definition, user)
            self.revealed.update(shown)
            body = body_of(tree, sub_definition)
            if isinstance(body, dict) and isinstance(body.setdefault("meta", {}), dict):
                body["meta"].setdefault("instanceID", sub.instance_id)  # JSON intake keeps it on the row only
            self.index += 1
            if self.fmt == "geojson":
                point = queries.point_of(sub)
                props = {"instanceID": sub.instance_id, "submitted_at": sub.received_at.isoformat()}
                for c in self.main.columns:
                    props.update(zip(c.headers, cells(c, body, definition, shape), strict=False))
                if point is not None:
                    self.output.table(self.name, []).write([point[0], point[1], props])
            else:
                _main_row(self.writers, self.main, sub, body, definition, self.index)
                for child in self.main.children:
                    _repeat_rows(self.writers, child, body, sub.instance_id, self.index,
                                 definition, self.counter)
            last, written = sub.id, written + 1
        return last, written

    def audit_detail(self) -> dict[str, Any]:
        """What the export revealed, for its audit row."""
        return {"revealed": sorted(self.revealed)} if self.revealed else {}


def _main_row(writers: Writers, main: Table, sub: Submission, body: Any, definition: Mapping[str, Any],
              index: int) -> None:
    own = [v for c in main.columns for v in cells(c, body, definition, writers.shape)]
    submitter = sub.submitter
    if writers.shape.flavour == "odk":
        row = [sub.received_at.isoformat(), *own, sub.instance_id, sub.submitter_id, submitter.username,
               sub.status, sub.device_id, sub.form_version.version]
    else:
        row = [*own, sub.id, sub.instance_id.removeprefix("uuid:"), sub.received_at.isoformat(), submitter.username,
               sub.status, index]
    writers.get(main).write(row)


__all__ = ["FormExport", "Shape", "build_tables", "check", "count", "headers"]
