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

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.forms import service as forms
from server.forms.models import FormVersion

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
