"""Helpers shared by the submission and media tests: the registration form, valid data, photos."""

from __future__ import annotations

import functools
import io
import json
import struct
import uuid
import zlib
from pathlib import Path
from typing import Any

import openpyxl
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.audit.models import AuditEvent
from server.forms import service as forms
from server.forms.models import FormVersion
from server.settings import Settings
from server.submissions import service
from server.submissions.models import Submission
from server.submissions.sealing import SEALED
from server.submissions.uploads import IncomingFile

ROOT = Path(__file__).resolve().parents[2]
REGISTRATION = ROOT / "forms" / "registration.xlsx"
FORM_ID = "person_registration"
WORKER_LON, WORKER_LAT = 113.74, 34.40


@functools.cache
def _compiled(data: bytes, filename: str) -> Any:
    from server.forms.compiler import compile_workbook

    return compile_workbook(data, filename)


def publish_registration(session: Session, monkeypatch: Any) -> FormVersion:
    """Upload and publish forms/registration.xlsx (compiled once per test run)."""
    monkeypatch.setattr(forms, "compile_workbook", lambda data, filename, **options: _compiled(data, filename))
    forms.upload(session, None, REGISTRATION.read_bytes(), "registration.xlsx")
    version = forms.publish(session, None, FORM_ID)
    session.commit()
    return version


def user(session: Session, username: str) -> User:
    """A demo user."""
    found = session.scalar(select(User).where(User.username == username))
    assert found is not None
    return found


def new_id() -> str:
    """A fresh instance id."""
    return str(uuid.uuid4())


def submit_as_worker(session: Session, settings: Settings, version: FormVersion, data: dict[str, Any],
                     files: dict[str, bytes] | None = None) -> Submission:
    """Store a JSON submission of ``data`` (and ``files``) by the demo worker through the service, not over HTTP."""
    instance_id = new_id()
    return service.submit(session, settings, user(session, "worker"), form_version=version, instance_id=instance_id,
                          data=data, raw=submission_part(instance_id, data), raw_format="json",
                          attachments={n: IncomingFile(n, b) for n, b in (files or {}).items()}, deprecated_id=None,
                          meta={}).submission


def registration_data(*, photo: str | None = "photo.jpg", location: str | None = "34.4 113.74 0 5",
                      native: bool = False) -> dict[str, Any]:
    """A registration that passes every rule; ``native`` uses JSON numbers where OpenRosa has strings."""
    identity: dict[str, Any] = {
        "full_name": "阿依古丽", "id_number": "650102199003072318", "id_remainder": "4", "id_check_char": "8",
        "id_birth_date": "1990-03-07", "id_sex": "1", "sex": "1", "ethnicity": "05",
        "birth_date": "1990-03-07", "phone": "13812345678"}
    if photo:
        identity["photo"] = photo
    residence: dict[str, Any] = {"arrival_date": "2026-01-05", "current_address": "新郑市某小区1号楼",
                                 "residence_type": "rented", "permit_status": "registered"}
    if location:
        residence["location"] = location
    return {
        "identity": identity,
        "origin": {"origin_province": "65", "origin_prefecture": "6501", "origin_county": "650102",
                   "origin_division": "650102", "origin_address": "乌鲁木齐市天山区"},
        "residence": residence,
        "work": {"reason": "01", "occupation": "4"},
        "family": {"marital_status": "20", "children_count": 1 if native else "1", "children": [
            {"child_name": "小明", "child_sex": "1", "child_birth_date": "2015-02-01",
             "child_status": "accompanying", "child_school_stage": "primary", "child_school_name": "一小"}]},
        "needs_group": {"needs": "employment medical"},
    }


def submission_part(instance_id: str, data: dict[str, Any], *, version: str = "2026112801",
                    deprecated_id: str | None = None, meta: dict[str, Any] | None = None) -> bytes:
    """The JSON ``submission`` part."""
    payload: dict[str, Any] = {"instance_id": instance_id, "form_version": version, "data": data,
                               "meta": meta if meta is not None else {
                                   "device_id": "android-123", "start": "2026-11-28T09:00:00+08:00",
                                   "end": "2026-11-28T09:10:00+08:00"}}
    if deprecated_id:
        payload["deprecated_id"] = deprecated_id
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def multipart(part: bytes, files: dict[str, bytes] | None = None) -> dict[str, Any]:
    """A form for the Flask test client: the submission part plus files."""
    body: dict[str, Any] = {"submission": (io.BytesIO(part), "submission.json", "application/json")}
    for name, content in (files or {}).items():
        body[name] = (io.BytesIO(content), name, "application/octet-stream")
    return body


def jpeg(width: int = 640, height: int = 480, *, color: tuple[int, int, int] = (200, 40, 40),
         orientation: int | None = None, gps: tuple[float, float] | None = (WORKER_LON, WORKER_LAT),
         taken: str | None = "2026:11:28 10:11:12") -> bytes:
    """A real JPEG, with EXIF make, capture time, orientation and GPS written by Pillow's Exif API."""
    image = Image.new("RGB", (width, height), color)
    exif = Image.Exif()
    exif[0x010F] = "GridCam"
    if orientation:
        exif[0x0112] = orientation
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    if gps:
        lon, lat = gps
        exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: _dms(abs(lat)), 3: "E" if lon >= 0 else "W", 4: _dms(abs(lon))}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def png(width: int = 64, height: int = 64, *, mode: str = "RGBA") -> bytes:
    """A small real PNG."""
    out = io.BytesIO()
    Image.new(mode, (width, height), (10, 20, 30, 128) if mode == "RGBA" else (10, 20, 30)).save(out, "PNG")
    return out.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims a huge image (a decompression bomb)."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# A form in the common XLSForm habit of computing labels from the ID number: entity label, instance name and
# calculations (one through another, one that keeps only a piece of the number) all read ``id_number``.
LABELLED_FORM_ID = "labelled_by_id"
LABELLED_NAME, LABELLED_ID = "阿依古丽", "650102199003072318"


def labelled_by_id_workbook() -> bytes:
    """The workbook of ``LABELLED_FORM_ID`` (version 1): it saves the ID number but not the name."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    for row in [("type", "name", "label::zh (zh)", "calculation", "save_to"),
                ("text", "name", "姓名", "", ""),
                ("text", "id_number", "公民身份号码", "", "resident_id"),
                ("calculate", "card", "", "concat(${name}, '/', ${id_number})", ""),
                ("calculate", "card_tag", "", "concat(${card}, '#')", ""),
                ("calculate", "id_tail", "", "substr(${id_number}, 14, 18)", ""),
                ("geopoint", "location", "位置", "", "geometry")]:
        survey.append(row)
    settings = book.create_sheet("settings")
    settings.append(("form_title", "form_id", "version", "default_language", "instance_name"))
    settings.append(("按身份证号命名", LABELLED_FORM_ID, "1", "zh (zh)", "concat(${name}, ' ', ${id_number})"))
    entities = book.create_sheet("entities")
    entities.append(("list_name", "label"))
    entities.append(("persons", "concat(${name}, ' ', ${id_number})"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def publish_labelled_by_id(session: Session) -> FormVersion:
    """Upload and publish ``labelled_by_id_workbook``."""
    forms.upload(session, None, labelled_by_id_workbook(), "labelled_by_id.xlsx")
    version = forms.publish(session, None, LABELLED_FORM_ID)
    session.commit()
    return version


def labelled_by_id_data(instance_id: str, entity_id: str) -> dict[str, Any]:
    """What a device sends for ``LABELLED_FORM_ID``: the computed values hold the full ID number."""
    full = f"{LABELLED_NAME} {LABELLED_ID}"
    return {
        "name": LABELLED_NAME, "id_number": LABELLED_ID, "card": f"{LABELLED_NAME}/{LABELLED_ID}",
        "card_tag": f"{LABELLED_NAME}/{LABELLED_ID}#", "id_tail": LABELLED_ID[14:], "location": "34.4 113.74 0 5",
        "meta": {"instanceID": instance_id, "instanceName": full,
                 "entity": {"@dataset": "persons", "@create": "1", "@id": entity_id, "label": full}},
    }


def assert_masked_and_sealed(client: Any, auth: Any, db: Session, instance_id: str, entity_id: str) -> None:
    """The supervisor sees no full ID anywhere; the stored row holds it sealed; full reads are audited."""
    masked = f"{LABELLED_NAME} 6501**********2318"
    row = db.scalar(select(Submission).where(Submission.instance_id == instance_id))
    db.refresh(row)
    assert row.status == "merged", row.errors
    assert LABELLED_ID not in json.dumps(row.data, ensure_ascii=False)
    body = row.data.get("data", row.data)
    assert SEALED in body["meta"]["instanceName"] and SEALED in body["meta"]["entity"]["label"]
    assert SEALED in body["card_tag"] and SEALED in body["id_tail"]

    shown = client.get(f"/api/v1/submissions/{instance_id}", headers=auth.headers("supervisor"))
    assert shown.status_code == 200 and LABELLED_ID not in shown.get_data(as_text=True)
    data = shown.get_json()["data"]
    data = data.get("data", data)
    assert data["meta"]["instanceName"] == data["meta"]["entity"]["label"] == masked
    assert data["card"] == f"{LABELLED_NAME}/6501**********2318" and data["card_tag"].endswith("2318#")
    assert data["id_tail"] == "**"  # contains no whole ID number: masked whole

    base = "/api/v1/registry/persons/entities"
    for url in (base, f"{base}/{entity_id}"):
        read = client.get(url, headers=auth.headers("supervisor"))
        assert read.status_code == 200 and LABELLED_ID not in read.get_data(as_text=True), url
    record = client.get(f"{base}/{entity_id}", headers=auth.headers("supervisor")).get_json()
    assert record["label"] == masked and record["properties"]["resident_id"] == "6501**********2318"

    for reader in ("supervisor", "admin"):  # lists show no data at all, whoever reads them
        listed = client.get(f"/api/v1/forms/{LABELLED_FORM_ID}/submissions", headers=auth.headers(reader))
        assert listed.status_code == 200 and LABELLED_ID not in listed.get_data(as_text=True), reader
        assert instance_id in listed.get_data(as_text=True), reader
    full = client.get(f"/api/v1/submissions/{instance_id}", headers=auth.headers("admin")).get_json()["data"]
    assert (full.get("data") or full)["meta"]["instanceName"] == f"{LABELLED_NAME} {LABELLED_ID}"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "submission.read")
                       .order_by(AuditEvent.id.desc())).first()
    assert event.actor_id == user(db, "admin").id
    assert {"/data/meta/instanceName", "/data/meta/entity/label", "/data/id_number"} <= set(event.detail["unmasked"])
    police = client.get(f"{base}/{entity_id}", headers=auth.headers("police")).get_json()
    assert police["properties"]["resident_id"] == LABELLED_ID
    reveal = db.scalars(select(AuditEvent).where(AuditEvent.action == "registry.reveal")).all()
    assert [e.target_id for e in reveal] == [entity_id]
