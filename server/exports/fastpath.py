"""A dataset's CSV rendered by PostgreSQL itself: why this path bypasses the ORM and the csv module.

At a million rows the generic writer (datasets.py's ``_table_page``: rows
read into Python, shaped, then through ``csv.writer``) spends ~20 µs of
Python a row on values Python does not change. Here one ``COPY (SELECT …)
TO STDOUT (FORMAT csv)`` a page renders the rows in column order, values as
the generic writer shows them (``_cell_sql``) and formula-leading text
neutralised by the same rule as ``files.neutralise`` (``_neutral_sql``);
tests/exports/test_fastpath.py checks that both paths write the same bytes.

Python sees only the cells it must shape for this caller (``Shaper``): a
sealed value opened for a duty that needs it, or a value masked. The
database writes such a cell as a *marker*: ``\\x01``, a random nonce drawn
per export, what Python needs split by ``|`` (the token and whether a stored
value is there; or the stored value in hex), ``\\x01``. A marker holds no
character that CSV quotes, so the database never quotes it. A regular
expression over the page swaps each marker for its shaped, quoted cell;
text a user typed cannot forge one without the nonce. A sealed property
without a token keeps its stored value after its marker (the marker then
becomes nothing).

SQLite keeps the generic path.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from sqlalchemy import String, and_, case, cast, func, literal, literal_column, null, select
from sqlalchemy.orm import Session

from server.domain.datasets import DatasetSpec, PropertyType
from server.exports.files import FORMULA_LEADS, neutralise
from server.exports.shaping import Shaper
from server.registry.models import Entity
from server.sealing import masking

# The same rule as files._PLAIN_NUMBER: a number that starts with + or - is not a formula.
_PLAIN_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
_QUOTED = re.compile(r'[",\r\n]')
# Types stored as JSON strings (datasets._TEXT and single selects): read as text, no JSON typing.
_TEXT = frozenset({PropertyType.TEXT, PropertyType.DATE, PropertyType.CN_RESIDENT_ID, PropertyType.PHONE,
                   PropertyType.DIVISION_CODE, PropertyType.ETHNICITY_CODE, PropertyType.ENTITY})


def supports(session: Session, fmt: str) -> bool:
    """True when this path writes the export (a CSV on PostgreSQL)."""
    return fmt == "csv" and session.get_bind().dialect.name == "postgresql"


def csv_text(value: str) -> str:
    """One text cell as ``csv.writer`` writes it after ``files.csv_cell``."""
    value = neutralise(value)
    return '"' + value.replace('"', '""') + '"' if _QUOTED.search(value) else value


def _neutral_sql(text: Any) -> Any:
    """Text that no spreadsheet runs as a formula, and NULL for the empty string (as csv.writer writes it)."""
    leads = func.left(text, 1).in_(FORMULA_LEADS)
    return func.nullif(case((and_(leads, text.op("!~")(_PLAIN_NUMBER)), literal("'") + text), else_=text), "")


def _json_cell_sql(value: Any) -> Any:
    """A JSON value as ``shaping.cells`` then ``csv_cell`` show it: numbers as they are, True/False, a list
    joined by spaces (then neutralised), an object or null as nothing. The registry stores only strings and
    integers (rules.coerce); a float or a nested list would read as PostgreSQL writes it."""
    element = func.jsonb_array_elements(value).table_valued("value").alias("element")
    joined = select(func.string_agg(case(
        (func.jsonb_typeof(element.c.value) == "string", element.c.value.op("#>>")(literal_column("'{}'"))),
        (func.jsonb_typeof(element.c.value) == "boolean", func.initcap(cast(element.c.value, String))),
        else_=cast(element.c.value, String)), " ")).scalar_subquery()
    kind = func.jsonb_typeof(value)
    return case(
        (kind == "string", _neutral_sql(value.op("#>>")(literal_column("'{}'")))),
        (kind == "number", cast(value, String)),
        (kind == "boolean", func.initcap(cast(value, String))),
        (kind == "array", _neutral_sql(joined)),
        else_=null())


def _cell_sql(name: str, ptype: PropertyType, multiple: bool) -> Any:
    """One property's cell, as the generic path picks (datasets._pick) and writes it."""
    if ptype in _TEXT or (ptype is PropertyType.SELECT and not multiple):
        return _neutral_sql(Entity.properties[name].as_string())
    return _json_cell_sql(Entity.properties[name])


def _iso_utc_sql(column: Any) -> Any:
    """A timestamp as ``datetime.isoformat()`` writes it in UTC (no fraction when it has none)."""
    utc = func.timezone("UTC", column)
    whole = func.date_trunc("second", utc) == utc
    return case((whole, func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS')),
                else_=func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS.US')) + "+00:00"


class CsvPages:
    """Writes one caller's pages of one dataset as CSV text; counts what it opened on the shaper."""

    def __init__(self, spec: DatasetSpec, shaper: Shaper) -> None:
        self.shaper = shaper
        nonce = secrets.token_hex(8)
        self.marker = re.compile(b"\x01" + nonce.encode() + rb"([om])(\d+)\|([^|\x01]*)\|([^\x01]*)\x01")
        opened = {name: k for k, name in enumerate(shaper.opened_names)}
        masked = {name: k for k, (name, _) in enumerate(shaper.masked_names)}
        self.opened = shaper.opened_names
        self.masked = [ptype for _, ptype in shaper.masked_names]
        self._row: list[str] = []
        self._row_opened = False
        cells: list[Any] = []
        for name in shaper.names:
            prop = spec.properties[name]
            stored = Entity.properties[name].as_string()
            if name in opened:
                token = Entity.sealed[name].as_string()
                cells.append(literal(f"\x01{nonce}o{opened[name]}|") + func.coalesce(token, "") + "|"
                             + case((stored.is_(None), "0"), else_="1") + "\x01"
                             + case((token.is_(None), func.coalesce(_neutral_sql(stored), "")), else_=""))
            elif name in masked:
                cells.append(case((stored.is_(None), null()), else_=literal(f"\x01{nonce}m{masked[name]}|")
                                  + func.encode(func.convert_to(stored, "UTF8"), "hex") + "|\x01"))
            else:
                cells.append(_cell_sql(name, prop.type, prop.multiple))
        self.columns = [Entity.id, Entity.uuid, _neutral_sql(Entity.label), Entity.version, Entity.status,
                        _neutral_sql(Entity.grid_code), _neutral_sql(Entity.unit_path),
                        _iso_utc_sql(Entity.updated_at), *cells]
        self.shaping = bool(opened or masked)

    def page(self, session: Session, where: list[Any], after: int, limit: int) -> tuple[int, int, str]:
        """The page of rows after id ``after``: (last id, rows, CSV text with CRLF line ends)."""
        query = select(*self.columns).where(*where, Entity.id > after).order_by(Entity.id).limit(limit)
        compiled = query.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
        raw = session.connection().connection.driver_connection
        assert raw is not None
        lines: list[bytes] = []
        last = b""
        with raw.cursor() as cursor, cursor.copy(f"COPY ({compiled}) TO STDOUT (FORMAT csv)",
                                                 compiled.params) as copy:
            for data in copy:  # one message a row: "id,cells...\n"
                line = bytes(data)
                comma = line.index(b",")
                last = line[:comma]
                lines.append(line[comma + 1:-1])
        if not lines:
            return after, 0, ""
        body = b"\r\n".join(lines) + b"\r\n"
        if self.shaping:
            body = self.marker.sub(self._shape, body)
        return int(last), len(lines), body.decode("utf-8")

    def _shape(self, match: re.Match[bytes]) -> bytes:
        """A marker's cell: a value masked, or opened from its token (the row counted as ``Shaper.ordered``
        counts it once its last opened property is seen)."""
        k = int(match[2])
        if match[1] == b"m":
            value = bytes.fromhex(match[3].decode("ascii")).decode("utf-8")
            return csv_text(masking.mask_value(self.masked[k], value)).encode("utf-8")
        name, token = self.opened[k], match[3]
        if k == 0:
            self._row, self._row_opened = [], False
        out = b""
        if token:
            self._row.append(name)
            self._row_opened = True
            out = csv_text(self.shaper.sealer.open(name, token.decode("ascii"))).encode("utf-8")
        elif match[4] == b"1":
            self._row.append(name)
        if k == len(self.opened) - 1 and self._row_opened:
            self.shaper.revealed.update(self._row)
            self.shaper.revealed_records += 1
        return out

