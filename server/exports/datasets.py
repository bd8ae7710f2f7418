"""Registry datasets as export rows: the caller's scope and purpose, masked unless the purpose needs full values.

Rows are read a page at a time in id order, never all held in memory; on
PostgreSQL the database renders CSV and XLSX pages itself (fastpath.py).
Properties outside a
department's purpose are not columns at all. ID and phone numbers are
masked, unless ``masking.sees_full_values`` says the caller's duty needs them:
then their sealed values are opened, and the export's audit row names the
properties revealed and how many records.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.domain.datasets import DatasetSpec, PropertySpec, PropertyType
from server.exports import fastpath
from server.exports.files import Output
from server.exports.shaping import Shaper, cells
from server.registry import service, store
from server.registry.models import Entity, EntityStatus
from server.scope import deny, purpose_clause, readable_properties, require_dataset, scope_clause
from server.sealing.crypto import Sealer

BASE_COLUMNS = ("uuid", "label", "version", "status", "grid_code", "unit_path", "updated_at")
BASE_LABELS = {"uuid": "编号", "label": "名称", "version": "版本", "status": "状态", "grid_code": "网格",
               "unit_path": "区划路径", "updated_at": "更新时间"}
_NOTHING: dict[str, str] = {}
_ROW = (Entity.id, Entity.uuid, Entity.label, Entity.version, Entity.status, Entity.grid_code, Entity.unit_path,
        Entity.updated_at, Entity.properties, Entity.sealed)


def check(session: Session, user: User, name: str, fmt: str) -> None:
    """The dataset exists (else 422) and lies in the caller's purpose (else 404, audited)."""
    from server.exports.service import UnknownExportError

    service.require_reader(user)
    if name not in store.declared(session):
        raise UnknownExportError("name", f"no dataset {name!r}", "没有该数据集")
    require_dataset(session, user, name, code="export.not_found")
    if fmt == "geojson" and _geometry(store.declared(session)[name], user) is None:
        deny(session, user, f"registry.{name}", None, "locations outside the purpose", code="export.not_found")


def _geometry(spec: DatasetSpec, user: User) -> str | None:
    allowed = readable_properties(user, spec.name)
    return next((p.name for p in spec.properties.values() if p.type is PropertyType.GEOPOINT
                 and (allowed is None or p.name in allowed)), None)


def _where(ds: store.DatasetRef, user: User) -> list[Any]:
    return [Entity.dataset_id == ds.id, Entity.status != EntityStatus.MERGED.value,
            scope_clause(user, Entity.unit_path), purpose_clause(user, ds.spec.name, Entity.properties)]


def count(session: Session, user: User, name: str, fmt: str) -> int:
    """How many rows the export will write."""
    ds = store.get_dataset(session, name)
    query = select(func.count()).select_from(Entity).where(*_where(ds, user))
    if fmt == "geojson":
        query = query.where(Entity.geometry.is_not(None))
    return int(session.scalar(query) or 0)


# Types whose values the registry always stores as JSON strings (rules.coerce): picked as text, no decoding.
_TEXT = frozenset({PropertyType.TEXT, PropertyType.DATE, PropertyType.CN_RESIDENT_ID, PropertyType.PHONE,
                   PropertyType.DIVISION_CODE, PropertyType.ETHNICITY_CODE, PropertyType.ENTITY})


def _pick(column: Any, name: str, prop: PropertySpec) -> Any:
    """One property out of a JSON column: as text when it is always a string, else as JSON."""
    if prop.type in _TEXT or (prop.type is PropertyType.SELECT and not prop.multiple):
        return column[name].as_string()
    return column[name]


def columns(spec: DatasetSpec, user: User) -> list[str]:
    """The dataset's properties the caller may read, in declaration order."""
    allowed = readable_properties(user, spec.name)
    return [n for n in spec.properties if allowed is None or n in allowed]


class DatasetExport:
    """Writes a dataset's rows page by page (a page per short transaction, see jobs.py)."""

    def __init__(self, name: str, fmt: str, options: dict[str, Any], output: Output, sealer: Sealer) -> None:
        self.name, self.fmt, self.options, self.output, self.sealer = name, fmt, options, output, sealer
        self.table: Any = None
        self.shaper: Shaper | None = None
        self._picks: list[Any] | None = None
        self._tokens: list[Any] = []
        self._copy: fastpath.Pages | None = None
        self.fast = True  # PostgreSQL renders CSV and XLSX rows itself (fastpath.py); tests turn it off to compare

    def _start(self, spec: DatasetSpec, user: User) -> Shaper:
        shaper = self.shaper = Shaper(spec, user, self.sealer)
        if self.fmt == "geojson":
            self.table = self.output.table(self.name, [])
            return shaper
        labels = self.options.get("headers") == "labels"
        header = [BASE_LABELS[c] if labels else c for c in BASE_COLUMNS]
        header += [spec.properties[n].label_zh if labels else n for n in shaper.names]
        self.table = self.output.table(self.name, header)
        return shaper

    @property
    def page_factor(self) -> int:
        """Pages of jobs.PAGE rows; four times as many once the database renders them (a page's own cost,
        planning and its progress commit, then weighs less)."""
        return 4 if self._copy is not None else 1

    def page(self, session: Session, user: User, after: int, limit: int) -> tuple[int, int]:
        """Write the next page of rows after id ``after``; (last id, rows written)."""
        ds = store.get_dataset(session, self.name)
        shaper = self.shaper or self._start(ds.spec, user)
        if self.fast and fastpath.supports(session, self.fmt):
            self._copy = self._copy or fastpath.Pages(ds.spec, shaper, self.fmt)
            return self._copy.page(session, _where(ds, user), after, limit, self.table.write_text)
        if self.fmt != "geojson":
            return self._table_page(session, ds, user, shaper, after, limit)
        # Sealed tokens are read only when this caller's values are opened from them.
        columns_: list[Any] = list(_ROW) if shaper.full else [c for c in _ROW if c is not Entity.sealed]
        columns_ += [func.ST_X(Entity.geometry).label("lon"), func.ST_Y(Entity.geometry).label("lat")]
        where = [*_where(ds, user), Entity.id > after, Entity.geometry.is_not(None)]
        # Core execution (as sync.py does): no ORM row processing for what may be millions of rows.
        rows = session.connection().execute(select(*columns_).where(*where).order_by(Entity.id).limit(limit)).all()
        write = self.table.write

        def sealed_of(row: Any) -> Any:
            return row.sealed if shaper.full else _NOTHING

        for row in rows:
            write([row.lon, row.lat, {"uuid": row.uuid, "label": row.label, "version": row.version,
                                      "status": row.status, "grid_code": row.grid_code,
                                      **shaper.properties(row.properties, sealed_of(row))}])
        return (rows[-1].id if rows else after), len(rows)

    def _table_page(self, session: Session, ds: store.DatasetRef, user: User, shaper: Shaper, after: int,
                    limit: int) -> tuple[int, int]:
        """A CSV or XLSX page: each readable property (and sealed token) is its own column, picked out of the
        record's JSON by the database, so no row's whole properties are decoded here."""
        if self._picks is None:
            self._picks = [_pick(Entity.properties, name, ds.spec.properties[name]) for name in shaper.names]
            self._tokens = [Entity.sealed[name].as_string() for _, name in shaper.sealed] if shaper.full else []
        picks, width = self._picks, len(self._picks)
        query = select(*_ROW[:8], *picks, *self._tokens).where(*_where(ds, user), Entity.id > after)
        rows = session.connection().execute(query.order_by(Entity.id).limit(limit)).all()
        write, ordered, first = self.table.write, shaper.ordered, 8 + width
        for row in rows:
            tokens = row[first:]
            write([row[1], row[2], row[3], row[4], row[5], row[6], row[7].isoformat() if row[7] else None,
                   *cells(ordered(list(row[8:first]), tokens if any(tokens) else ()))])
        return (rows[-1][0] if rows else after), len(rows)

    def audit_detail(self) -> dict[str, Any]:
        """What the export revealed, for its audit row."""
        if self._copy is not None:
            self._copy.count_revealed()
        return self.shaper.audit_detail() if self.shaper else {}
