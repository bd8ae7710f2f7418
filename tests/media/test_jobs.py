"""The media job: derivatives once, for received photos only."""

from __future__ import annotations

import pytest

from server.db import discard_after_commit
from server.media.storage import media_store
from server.submissions import jobs
from tests.submissions.support import jpeg, registration_data, submit_as_worker

pytestmark = pytest.mark.usefixtures("jobs_in_test_transaction")


def _photo_row(db, settings, registration, files):
    sub = submit_as_worker(db, settings, registration, registration_data(), files)
    db.commit()
    discard_after_commit(db)
    return sub.attachments[0]


def test_derivatives_are_made_once(db, settings, registration):
    att = _photo_row(db, settings, registration, {"photo.jpg": jpeg(3000, 2000)})
    assert att.derivatives == "pending"
    assert jobs.make_derivatives(att.id) == "ready"
    db.refresh(att)
    store = media_store(settings)
    assert att.derivatives == "ready" and store.exists(att.display_sha256) and store.exists(att.thumb_sha256)
    assert len({att.display_sha256, att.thumb_sha256, att.sha256}) == 3  # three different files
    assert jobs.make_derivatives(att.id) == "skipped"


def test_nothing_to_do_without_the_file(db, settings, registration):
    att = _photo_row(db, settings, registration, {})
    assert jobs.make_derivatives(att.id) == "skipped"
    assert jobs.make_derivatives(10**9) == "skipped"
