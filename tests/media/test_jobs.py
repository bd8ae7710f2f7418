"""The media job: derivatives once, for received photos only."""

from __future__ import annotations

import pytest

from server.db import discard_after_commit
from server.media.storage import media_store
from server.submissions import jobs, service
from server.submissions.service import IncomingFile
from tests.submissions.support import jpeg, new_id, registration_data, submission_part, user

pytestmark = pytest.mark.usefixtures("jobs_in_test_transaction")


def _photo_row(db, settings, registration, files):
    iid = new_id()
    data = registration_data()
    sub = service.submit(db, settings, user(db, "worker"), form_version=registration, instance_id=iid, data=data,
                         raw=submission_part(iid, data), raw_format="json",
                         attachments={n: IncomingFile(n, b) for n, b in files.items()}, deprecated_id=None,
                         meta={}).submission
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
