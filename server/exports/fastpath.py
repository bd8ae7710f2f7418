"""A dataset's CSV and XLSX rows rendered by PostgreSQL itself: why this path bypasses the ORM and the writers.

At a million rows the generic writer (datasets.py's ``_table_page``: rows
read into Python, shaped, then through ``csv.writer`` or ``xlsx.cell``)
spends 20-35 µs of Python a row on values Python does not change. Here the
database renders each page in column order: a CSV through ``COPY (SELECT …)
TO STDOUT (FORMAT csv)``, values as the generic writer shows them
(``CsvCells``) and formula-leading text neutralised by the same rule as
``files.neutralise`` (``_neutral_sql``); an XLSX sheet's ``<row>`` elements
as ``xlsx.cell`` renders them (``XlsxCells``). Each record's JSON is taken
apart once a row (``jsonb_to_record``). tests/exports/test_fastpath.py
checks that both paths write the same bytes for every kind of caller.

Python sees only the cells it must shape for this caller (``Shaper``): a
sealed value opened for a duty that needs it, or a value masked. The
database writes such a cell as a *marker*: ``\\x01``, a random nonce drawn
per export, the property's kind and index, ``|``, the token (or the stored
value in hex), ``\\x01``. A marker holds no character that CSV quotes or
XML escapes, so it arrives as written. A regular expression over each chunk
of rows swaps each marker for its shaped cell; text a user typed cannot
forge one without the nonce. What a row reveals (for the audit row, as
``Shaper.ordered`` counts it) comes as flags after the row's key.

SQLite keeps the generic path.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from server.domain.datasets import DatasetSpec, PropertyType
from server.exports import xlsx
from server.exports.files import FORMULA_LEADS, neutralise
from server.exports.shaping import Shaper
from server.registry.models import Entity
from server.sealing import masking

# The same rule as files._PLAIN_NUMBER: a number that starts with + or - is not a formula.
_PLAIN_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
_LEADS = frozenset(FORMULA_LEADS)
# Types stored as JSON strings (datasets._TEXT and single selects): read as text, no JSON typing.
_TEXT = frozenset({PropertyType.TEXT, PropertyType.DATE, PropertyType.CN_RESIDENT_ID, PropertyType.PHONE,
                   PropertyType.DIVISION_CODE, PropertyType.ETHNICITY_CODE, PropertyType.ENTITY})


def supports(session: Session, fmt: str) -> bool:
    """True when this path writes the export (a CSV or an XLSX on PostgreSQL)."""
    return fmt in ("csv", "xlsx") and session.get_bind().dialect.name == "postgresql"


def csv_text(value: str) -> str:
    """One text cell as ``csv.writer`` writes it after ``files.csv_cell``."""
    if value[:1] in _LEADS:
        value = neutralise(value)
    if '"' in value or "," in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


_LEAD_CODES = tuple(ord(lead) for lead in FORMULA_LEADS)


def _neutral_sql(text: Any) -> Any:
    """Text that no spreadsheet runs as a formula, and NULL for the empty string (as csv.writer writes it).
    The first character is compared by its code (``ascii``: 0 for the empty string), integers being
    cheaper to compare than text under a collation."""
    lead = func.ascii(text)
    return case((and_(lead.in_(_LEAD_CODES), text.op("!~")(_PLAIN_NUMBER)), literal("'") + text),
                (lead == 0, null()), else_=text)


def _joined_sql(value: Any) -> Any:
    """A JSON list's items joined by spaces, as ``shaping.cells`` joins them (True/False for booleans)."""
    element = func.jsonb_array_elements(value).table_valued("value").alias("element")
    return select(func.string_agg(case(
        (func.jsonb_typeof(element.c.value) == "string", element.c.value.op("#>>")(literal_column("'{}'"))),
        (func.jsonb_typeof(element.c.value) == "boolean", func.initcap(cast(element.c.value, String))),
        else_=cast(element.c.value, String)), " ")).scalar_subquery()


class CsvCells:
    """Cells as ``csv.writer`` writes them after ``files.csv_cell`` (COPY quotes them)."""

    text = staticmethod(_neutral_sql)

    @staticmethod
    def integer(value: Any) -> Any:
        return value

    @staticmethod
    def json(value: Any) -> Any:
        """A JSON value as ``shaping.cells`` then ``csv_cell`` show it: numbers as they are, True/False, a list
        joined by spaces (then neutralised), an object or null as nothing. The registry stores only strings
        and integers (rules.coerce); a float or a nested list would read as PostgreSQL writes it."""
        kind = func.jsonb_typeof(value)
        return case(
            (kind == "string", _neutral_sql(value.op("#>>")(literal_column("'{}'")))),
            (kind == "number", cast(value, String)),
            (kind == "boolean", func.initcap(cast(value, String))),
            (kind == "array", _neutral_sql(_joined_sql(value))),
            else_=null())


# The characters xlsx.cell drops, and XML's whitespace (a text cell that starts or ends with it keeps it).
_XML_DROPPED = "".join(chr(c) for c in (*range(1, 9), 11, 12, *range(14, 32)))
_XML_SPACE = tuple(ord(c) for c in " \t\n\r")
_XML_CAREFUL = "[&<>\x01-\x08\x0b\x0c\x0e-\x1f]|^[ \t\n\r]|[ \t\n\r]$"


class XlsxCells:
    """Cells as ``xlsx.cell`` renders them: SpreadsheetML text never NULL."""

    @staticmethod
    def text(value: Any) -> Any:
        """Most text needs nothing: one regular expression finds what needs escaping, dropping or marking."""
        kept = func.translate(value, _XML_DROPPED, "")
        spaced = or_(func.ascii(kept).in_(_XML_SPACE), func.ascii(func.right(kept, 1)).in_(_XML_SPACE))
        escaped = func.replace(func.replace(func.replace(kept, "&", "&amp;"), "<", "&lt;"), ">", "&gt;")
        careful = literal('<c t="inlineStr"><is><t') + case((spaced, ' xml:space="preserve"'), else_="") + ">" \
            + escaped + "</t></is></c>"
        return case((value.is_(None), "<c/>"), (value.op("~")(_XML_CAREFUL), careful),
                    else_=literal('<c t="inlineStr"><is><t>') + value + "</t></is></c>")

    @staticmethod
    def integer(value: Any) -> Any:
        return case((value.is_(None), "<c/>"), else_=literal("<c><v>") + cast(value, String) + "</v></c>")

    @staticmethod
    def json(value: Any) -> Any:
        """As ``CsvCells.json``, typed: numbers and booleans as values, the rest as text."""
        kind = func.jsonb_typeof(value)
        return case(
            (kind == "string", XlsxCells.text(value.op("#>>")(literal_column("'{}'")))),
            (kind == "number", XlsxCells.integer(cast(value, String))),
            (kind == "boolean", literal('<c t="b"><v>') + case((cast(value, String) == "true", "1"), else_="0")
             + "</v></c>"),
            (kind == "array", XlsxCells.text(func.coalesce(_joined_sql(value), ""))),
            else_="<c/>")


def _is_text(spec: DatasetSpec, name: str) -> bool:
    """True for the properties the generic path picks as text (datasets._pick)."""
    prop = spec.properties[name]
    return prop.type in _TEXT or (prop.type is PropertyType.SELECT and not prop.multiple)


def _iso_utc_sql(column: Any) -> Any:
    """A timestamp as ``datetime.isoformat()`` writes it in UTC (no fraction when it has none)."""
    text = func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US')
    return func.replace(text, ".000000", "") + "+00:00"


class Pages:
    """Writes one caller's pages of one dataset as CSV or SpreadsheetML rows; counts what it opened."""

    CHUNK = 2000  # rows shaped and written at a time, while the database goes on producing the next

    def __init__(self, spec: DatasetSpec, shaper: Shaper, fmt: str) -> None:
        self.shaper, self.fmt = shaper, fmt
        cells: Any = CsvCells if fmt == "csv" else XlsxCells
        self.render: Callable[[str], str] = csv_text if fmt == "csv" else xlsx.cell
        nonce = secrets.token_hex(8)
        self.marker = re.compile("\x01" + nonce + r"([om])(\d+)\|([^\x01]*)\x01")
        opened = {name: k for k, name in enumerate(shaper.opened_names)}
        masked = {name: k for k, (name, _) in enumerate(shaper.masked_names)}
        self.opened = shaper.opened_names
        self.masked = [ptype for _, ptype in shaper.masked_names]
        self.counts: Counter[str] = Counter()
        # Each record's JSON is taken apart once a row (jsonb_to_record), not once a cell reference.
        self.plain = func.jsonb_to_record(Entity.properties).table_valued(
            *(column(n, Text if _is_text(spec, n) else JSONB) for n in shaper.names)).render_derived(
            name="p", with_types=True)
        self.tokens = func.jsonb_to_record(Entity.sealed).table_valued(
            *(column(n, Text) for n in self.opened)).render_derived(name="s", with_types=True)
        row: list[Any] = []
        for name in shaper.names:
            stored = self.plain.c[name]
            if name in opened:
                token = self.tokens.c[name]
                row.append(case((token.is_(None), cells.text(stored)),
                                else_=literal(f"\x01{nonce}o{opened[name]}|") + token + "\x01"))
            elif name in masked:
                row.append(case((stored.is_(None), cells.text(stored)), else_=literal(f"\x01{nonce}m{masked[name]}|")
                                + func.encode(func.convert_to(stored, "UTF8"), "hex") + "\x01"))
            else:
                row.append(cells.text(stored) if _is_text(spec, name) else cells.json(stored))
        row = [cells.text(Entity.uuid), cells.text(Entity.label), cells.integer(Entity.version),
               cells.text(Entity.status), cells.text(Entity.grid_code), cells.text(Entity.unit_path),
               cells.text(_iso_utc_sql(Entity.updated_at)), *row]
        # The row's key, then for a caller who sees opened values, what the row reveals as ``Shaper.ordered``
        # counts it: when the record has any token, each opened property that has a token or a stored value.
        key: Any = cast(Entity.id, String)
        if self.opened:
            tokens = [self.tokens.c[n] for n in self.opened]
            any_token = or_(*(t.is_not(None) for t in tokens))
            key = key + ":" + func.concat(*(case((and_(any_token, or_(t.is_not(None), self.plain.c[n].is_not(None))),
                                                  "1"), else_="0") for n, t in zip(self.opened, tokens, strict=True)))
        # CSV: a column a cell, COPY quotes them. XLSX: the row's XML as one text.
        self.columns = [key, *row] if fmt == "csv" else [key, literal("<row>") + func.concat(*row) + "</row>"]
        self.statement: tuple[str, dict[str, Any]] | None = None

    def _compiled(self, session: Session, where: list[Any]) -> tuple[str, dict[str, Any]]:
        """The page's statement, compiled once (only the page's bounds change)."""
        if self.statement is None:
            query = select(*self.columns).select_from(Entity).join(self.plain, true())
            if self.opened:
                query = query.join(self.tokens, true())
            query = (query.where(*where, Entity.id > bindparam("after", 0, type_=BigInteger))
                     .order_by(Entity.id).limit(bindparam("limit", 0, type_=Integer)))
            compiled = query.compile(dialect=session.get_bind().dialect,
                                     compile_kwargs={"render_postcompile": True})
            text = f"COPY ({compiled}) TO STDOUT (FORMAT csv)" if self.fmt == "csv" else str(compiled)
            self.statement = text, dict(compiled.params)
        return self.statement

    def page(self, session: Session, where: list[Any], after: int, limit: int, write: Callable[[str], None]
             ) -> tuple[int, int]:
        """Write the page of rows after id ``after`` (CSV with CRLF line ends, or ``<row>`` elements);
        (last id, rows)."""
        statement, params = self._compiled(session, where)
        params = {**params, "after": after, "limit": limit}
        raw = session.connection().connection.driver_connection
        assert raw is not None
        keys: list[bytes] = []
        lines: list[bytes] = []
        with raw.cursor() as cursor:
            # A page's plan is small: compiling it to machine code (JIT) costs more than it saves.
            cursor.execute("SET LOCAL jit = off")
            if self.fmt == "csv":
                with cursor.copy(statement, params) as copy:
                    for data in copy:  # one message a row: "key,cells...\n"
                        line = bytes(data)
                        comma = line.index(b",")
                        keys.append(line[:comma])
                        lines.append(line[comma + 1:-1])
                        if len(lines) == self.CHUNK:
                            write(self._csv(lines))
                            lines = []
                if lines:
                    write(self._csv(lines))
            else:
                rows: list[str] = []
                for key, xml_row in cursor.execute(statement, params):
                    keys.append(key.encode("ascii"))
                    rows.append(xml_row)
                    if len(rows) == self.CHUNK:
                        write(self._shaped("".join(rows)))
                        rows = []
                if rows:
                    write(self._shaped("".join(rows)))
        if not keys:
            return after, 0
        if self.opened:
            self.counts.update(key.partition(b":")[2].decode("ascii") for key in keys)
        return int(keys[-1].partition(b":")[0]), len(keys)

    def _csv(self, lines: list[bytes]) -> str:
        """A chunk of CSV rows as text with CRLF line ends (decoded once a chunk, not once a row)."""
        return self._shaped((b"\r\n".join(lines) + b"\r\n").decode("utf-8"))

    def _shaped(self, rows: str) -> str:
        """Rows with each marker swapped for its cell."""
        return self.marker.sub(self._shape, rows) if "\x01" in rows else rows

    def _shape(self, match: re.Match[str]) -> str:
        """A marker's cell: a value opened from its token, or masked."""
        kind, k, payload = match.groups()
        if kind == "o":
            name = self.opened[int(k)]
            return self.render(self.shaper.sealer.open(name, payload))
        value = bytes.fromhex(payload).decode("utf-8")
        return self.render(masking.mask_value(self.masked[int(k)], value))

    def count_revealed(self) -> None:
        """Add what the pages revealed to the shaper's counts (for the export's audit row)."""
        for bits, rows in self.counts.items():
            names = [name for name, bit in zip(self.opened, bits, strict=True) if bit == "1"]
            if names:
                self.shaper.revealed.update(names)
                self.shaper.revealed_records += rows
        self.counts.clear()
