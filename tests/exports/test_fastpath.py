"""PostgreSQL's own CSV (fastpath.py) is byte for byte what the generic writer writes, for every kind of caller.

On SQLite the job takes the generic path, so the comparison there is with itself; the values asserted below
hold on both databases.
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from server.accounts.models import User
from server.exports.datasets import DatasetExport
from server.exports.files import CsvOutput, XlsxOutput
from server.registry.models import Entity
from server.sealing.crypto import Sealer
from tests.registry.conftest import ID_B, REGISTRATION, registration

pytestmark = pytest.mark.usefixtures("export_jobs")

CALLERS = ["admin", "police", "supervisor", "worker", "hrss", "education"]
ODD = {  # values the registry's own writes never store, and text a spreadsheet or a CSV reader would trip on
    "children_count": 3,
    "needs": ["employment", True, 2],
    "employer": "=cmd|' /C calc'!A0",
    "current_address": 'a,"b"\nc',
    "reason_other": "\x01not a marker\x01",
    "needs_other": "-3\n",
    "school_name": "-3.5",
    "origin_address": "",
    "former_name": " \x02spaced & <escaped> ",
    "destination_address": 7,
}


def _write(db: Any, tmp_path: Any, user: User, sealer: Sealer, fast: bool,
           fmt: str = "csv") -> tuple[bytes, dict[str, Any]]:
    path = tmp_path / f"{user.username}-{fast}"
    output = CsvOutput(path, "persons") if fmt == "csv" else XlsxOutput(path, "persons")
    exporter = DatasetExport("persons", fmt, {}, output, sealer)
    exporter.fast = fast
    after, written = 0, 2
    while written == 2:  # pages of two rows: page ends in the middle of the records
        after, written = exporter.page(db, user, after, 2)
    output.close()
    assert (exporter._copy is not None) == (fast and db.get_bind().dialect.name == "postgresql")
    if fmt == "xlsx":
        with zipfile.ZipFile(path) as book:
            return book.read("xl/worksheets/sheet1.xml"), exporter.audit_detail()
    return path.read_bytes(), exporter.audit_detail()


@pytest.fixture
def records(db, merge, sealer):
    """Five records: plain; hostile text and odd JSON; no ID number (one token); a sealed value stored
    without its token; and one without any token."""
    merge(REGISTRATION, registration())
    odd = merge(REGISTRATION, registration("=HYPERLINK(\"http://x\")", ID_B, birth="1992-08-15")).entity_uuid
    merge(REGISTRATION, registration("王芳", None, birth="1990-01-01", phone="13900001111"))
    untokened = merge(REGISTRATION, registration("李四", "410184199001010012", birth="1990-01-01",
                                                 phone="13700001111")).entity_uuid
    bare = merge(REGISTRATION, registration("赵五", "410184199202020014", birth="1992-02-02",
                                            phone="13600001111")).entity_uuid
    entity = db.scalar(select(Entity).where(Entity.uuid == odd))
    db.execute(update(Entity).where(Entity.uuid == odd).values(properties={**entity.properties, **ODD}))
    entity = db.scalar(select(Entity).where(Entity.uuid == untokened))
    db.execute(update(Entity).where(Entity.uuid == untokened).values(
        sealed={"phone": entity.sealed["phone"]}))
    db.execute(update(Entity).where(Entity.uuid == bare).values(sealed={}))
    db.flush()
    return odd


@pytest.mark.parametrize("username", CALLERS)
def test_the_database_writes_the_csv_the_generic_writer_writes(db, tmp_path, records, username, sealer):
    user = db.scalar(select(User).where(User.username == username))
    fast, fast_audit = _write(db, tmp_path, user, sealer, fast=True)
    generic, generic_audit = _write(db, tmp_path, user, sealer, fast=False)
    assert fast == generic
    assert fast_audit == generic_audit
    rows = list(csv.DictReader(io.StringIO(fast.decode("utf-8-sig"))))
    assert len(rows) == 5
    [odd] = [r for r in rows if r["uuid"] == records]
    assert odd["label"] == odd["full_name"] == "'=HYPERLINK(\"http://x\")"
    expected = {"children_count": "3", "needs": "employment True 2", "employer": "'=cmd|' /C calc'!A0",
                "current_address": 'a,"b"\nc', "reason_other": "\x01not a marker\x01", "needs_other": "'-3\n",
                "school_name": "-3.5", "origin_address": "",
                "destination_address": "7"}
    shown = {k: odd[k] for k in expected if k in odd}  # the caller's purpose's columns only
    assert shown == {k: expected[k] for k in shown}

def test_opened_values_are_counted_as_the_registry_counts_them(db, tmp_path, records, sealer):
    police = db.scalar(select(User).where(User.username == "police"))
    data, audit = _write(db, tmp_path, police, sealer, fast=True)
    rows = {r["full_name"]: r for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}
    assert rows["王芳"]["resident_id"] == "" and rows["王芳"]["phone"] == "13900001111"
    assert rows["李四"]["resident_id"] == "4101**********0012" and rows["李四"]["phone"] == "13700001111"
    assert rows["赵五"]["phone"] == "136****1111"  # no token at all: the stored (masked) value, not revealed
    assert audit == {"revealed": ["phone", "resident_id"], "revealed_records": 4}


@pytest.mark.parametrize("username", CALLERS)
def test_the_database_writes_the_sheet_the_generic_writer_writes(db, tmp_path, records, username, sealer):
    user = db.scalar(select(User).where(User.username == username))
    fast, fast_audit = _write(db, tmp_path, user, sealer, fast=True, fmt="xlsx")
    generic, generic_audit = _write(db, tmp_path, user, sealer, fast=False, fmt="xlsx")
    assert fast.decode() == generic.decode()
    assert fast_audit == generic_audit
    book = load_workbook(io.BytesIO((tmp_path / f"{username}-True").read_bytes()), read_only=True)
    header, *rows = list(book["persons"].iter_rows(values_only=True))
    [odd] = [dict(zip(header, r, strict=True)) for r in rows if r[0] == records]
    assert odd["label"] == "=HYPERLINK(\"http://x\")" and odd["version"] == 1
    expected = {"children_count": 3, "needs": "employment True 2", "employer": "=cmd|' /C calc'!A0",
                "current_address": 'a,"b"\nc', "reason_other": "not a marker", "school_name": "-3.5",
                "origin_address": "", "former_name": " spaced & <escaped> "}
    shown = {k: odd[k] for k in expected if k in odd}
    assert shown == {k: expected[k] for k in shown}
