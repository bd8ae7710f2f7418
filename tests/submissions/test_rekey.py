"""Key rotation reaches submissions: sealed answers and raw files move to the new key, nothing else changes."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DBAPIError

from server.db import job_session
from server.media.storage import media_store
from server.registry import rekey
from server.sealing.crypto import Sealer, SealError
from server.submissions.models import Submission
from server.submissions.sealing import SEALED, open_answers, open_raw
from tests.conftest import TEST_KEY
from tests.submissions.support import new_id, registration_data, submission_part
from tests.submissions.test_service import submit

pytestmark = pytest.mark.usefixtures("jobs_in_test_transaction")

NEW_KEY = base64.urlsafe_b64encode(b"r" * 32).decode()
ID_NUMBER, PHONE = "650102199003072318", "13812345678"


@pytest.fixture
def open_session(maker) -> Iterator[Any]:
    """What the command uses (one committed job session per batch), on the test's connection."""
    @contextmanager
    def opened():
        with job_session(maker) as session:
            yield session

    return opened


def _row(db, sub_id: int) -> Any:
    return db.execute(select(Submission.__table__).where(Submission.__table__.c.id == sub_id)).one()


def test_rekey_reseals_answers_and_raw_file_once(db, settings, registration, open_session):
    iid = new_id()
    raw = submission_part(iid, registration_data())
    sub = submit(db, settings, registration, instance_id=iid, raw=raw).submission
    db.commit()
    before = _row(db, sub.id)
    store = media_store(settings)
    rotated = Sealer(NEW_KEY, (TEST_KEY,))

    check = rekey.rekey(open_session, rotated, batch=1, write=False)
    assert check.tables["submissions"].changed == 1 and _row(db, sub.id).raw_sha256 == before.raw_sha256

    report = rekey.rekey(open_session, rotated, batch=1)
    assert report.tables["submissions"].resealed == 1
    after = _row(db, sub.id)
    only_new = Sealer(NEW_KEY)  # the retired key can go now
    tokens = [after.data["identity"][k][SEALED] for k in ("id_number", "phone")]
    assert all(t.startswith(only_new.kid + ":") for t in tokens)
    opened = open_answers(after.data, registration.definition, only_new, sub.instance_id)
    assert (opened["identity"]["id_number"], opened["identity"]["phone"]) == (ID_NUMBER, PHONE)
    assert opened == open_answers(
        before.data, registration.definition, Sealer(TEST_KEY), sub.instance_id)
    assert after.raw_sha256 != before.raw_sha256 and not store.exists(before.raw_sha256)
    assert open_raw(store.read(after.raw_sha256), only_new, sub.instance_id) == raw  # byte for byte
    with pytest.raises(SealError):
        open_raw(store.read(after.raw_sha256), Sealer(TEST_KEY), sub.instance_id)
    assert (after.content_sha256, after.received_at, after.meta) == (before.content_sha256, before.received_at,
                                                                     before.meta)
    assert rekey.rekey(open_session, rotated, batch=1).tables["submissions"].changed == 0  # idempotent


def test_rows_stored_before_sealing_get_sealed(db, settings, registration, open_session):
    plain = registration_data()
    iid = f"uuid:{new_id()}"
    raw = submission_part(iid.removeprefix("uuid:"), plain)
    blob = media_store(settings).put(raw)  # a raw file as intake wrote it before sealing existed
    template = _row(db, submit(db, settings, registration).submission.id)._asdict()
    table = Submission.__table__
    values = {**{k: v for k, v in template.items() if k not in ("id", "location")},
              "instance_id": iid, "root_id": iid, "data": plain, "raw_sha256": blob.sha256, "raw_size": blob.size}
    new_id_ = db.execute(insert(table).values(values).returning(table.c.id)).scalar_one()
    db.commit()

    rekey.rekey(open_session, Sealer(TEST_KEY), batch=10)
    row = _row(db, new_id_)
    assert set(row.data["identity"]["id_number"]) == {SEALED}
    assert set(row.data["identity"]["id_birth_date"]) == {SEALED}  # computed from the ID number: sealed too
    stored = media_store(settings).read(row.raw_sha256)
    assert ID_NUMBER.encode() not in stored and open_raw(stored, Sealer(TEST_KEY), iid) == raw


def test_outside_a_reseal_the_row_still_cannot_change(db, settings, registration):
    sub = submit(db, settings, registration).submission
    db.commit()
    table = Submission.__table__
    with pytest.raises(DBAPIError):
        with db.begin_nested():
            db.execute(update(table).where(table.c.id == sub.id).values(data={"identity": {"full_name": "x"}}))
    with pytest.raises(DBAPIError):
        with db.begin_nested():
            db.execute(text("UPDATE submissions SET raw_size = raw_size + 1 WHERE id = :id"), {"id": sub.id})
    with pytest.raises(DBAPIError):  # the reseal flag opens only the sealed columns
        with db.begin_nested():
            db.execute(text("INSERT INTO submission_reseals (id) VALUES (1)"))
            db.execute(text("UPDATE submissions SET content_sha256 = 'x' WHERE id = :id"),
                       {"id": sub.id})
