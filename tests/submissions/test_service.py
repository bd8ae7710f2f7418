"""The intake service: new, replay, mismatch, edits, geotag flags, attachments, durability."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from server.db import run_after_commit
from server.errors import ConflictError, NotFoundError, PayloadTooLargeError, PermissionDeniedError, RuleViolation
from server.forms.models import VersionState
from server.media.storage import media_store, sha256_hex
from server.sealing.crypto import Sealer, SealError
from server.submissions import service
from server.submissions.models import Submission, SubmissionStatus
from server.submissions.sealing import SEALED, open_answers, open_raw
from server.submissions.uploads import IncomingFile
from tests.submissions.support import jpeg, new_id, png_bomb, registration_data, submission_part, user

pytestmark = pytest.mark.usefixtures("jobs_in_test_transaction")


def submit(db, settings, version, *, username="worker", instance_id=None, data=None, files=None,
           deprecated_id=None, meta=None, raw=None):
    instance_id = instance_id or new_id()
    data = registration_data() if data is None else data
    files = {"photo.jpg": jpeg()} if files is None else files
    return service.submit(
        db, settings, user(db, username), form_version=version, instance_id=instance_id, data=data,
        raw=raw if raw is not None else submission_part(instance_id, data), raw_format="json",
        attachments={n: IncomingFile(n, b) for n, b in files.items()}, deprecated_id=deprecated_id,
        meta=meta if meta is not None else {"device_id": "dev-1", "start": "2026-11-28T09:00:00+08:00"})


def test_new_submission_is_stored_parsed_and_durable(db, settings, registration):
    photo = jpeg()
    instance_id = new_id()
    raw = submission_part(instance_id, registration_data())
    result = submit(db, settings, registration, instance_id=instance_id, files={"photo.jpg": photo}, raw=raw)
    db.commit()
    sub = result.submission
    assert result.created and sub.status == SubmissionStatus.RECEIVED
    assert sub.instance_id == f"uuid:{instance_id}" and sub.root_id == sub.instance_id
    assert sub.data["identity"]["full_name"] == "阿依古丽"
    assert service.point_of(db.get(Submission, sub.id)) == pytest.approx((113.74, 34.4))
    assert sub.accuracy_m == 5 and sub.altitude_m == 0
    assert sub.unit.code == "410184105005004" and sub.unit_path == sub.unit.path
    assert sub.flags == {} and sub.device_id == "dev-1" and sub.started_at == datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
    store = media_store(settings)
    stored = store.read(sub.raw_sha256)
    assert b"650102199003072318" not in stored and b"13812345678" not in stored  # sealed at rest
    sealer = Sealer.from_settings(settings)
    assert open_raw(stored, sealer, sub.instance_id) == raw  # the raw payload, byte for byte
    [att] = sub.attachments
    assert att.sha256 == sha256_hex(photo) and store.read(att.sha256) == photo
    assert (att.width, att.height, att.content_type) == (640, 480, "image/jpeg")
    assert att.gps_lon == pytest.approx(113.74, abs=1e-4) and att.taken_at == "2026-11-28T10:11:12"
    assert att.derivatives == "pending"


def test_point_is_queryable_in_the_database(db, settings, registration):
    sub = submit(db, settings, registration).submission
    db.flush()
    x = db.scalar(select(func.ST_X(Submission.location)).where(Submission.id == sub.id))
    assert x == pytest.approx(113.74)


def test_native_json_values_are_accepted_like_strings(db, settings, registration):
    data = registration_data(native=True)
    data["residence"]["location"] = {"lat": 34.4, "lon": 113.74, "altitude": 0, "accuracy": 5}
    sub = submit(db, settings, registration, data=data).submission
    assert sub.unit.code == "410184105005004" and sub.accuracy_m == 5


def test_replay_returns_the_stored_submission_and_adds_missing_attachments(db, settings, registration):
    instance_id = new_id()
    first = submit(db, settings, registration, instance_id=instance_id, files={})
    assert not first.submission.attachments[0].received
    again = submit(db, settings, registration, instance_id=instance_id, files={"photo.jpg": jpeg()})
    assert not again.created and again.submission.id == first.submission.id
    assert again.submission.attachments[0].received
    third = submit(db, settings, registration, instance_id=instance_id, files={"photo.jpg": jpeg()})
    assert not third.created
    assert db.scalar(select(func.count()).select_from(Submission)) == 1


def test_same_instance_id_with_other_content_is_a_conflict(db, settings, registration):
    instance_id = new_id()
    submit(db, settings, registration, instance_id=instance_id)
    other = registration_data()
    other["identity"]["full_name"] = "别人"
    with pytest.raises(ConflictError) as caught:
        submit(db, settings, registration, instance_id=instance_id, data=other)
    assert caught.value.code == "submission.payload_mismatch"
    with pytest.raises(ConflictError):  # same content, someone else
        submit(db, settings, registration, instance_id=instance_id, username="supervisor")


def test_replay_with_a_different_photo_is_a_conflict(db, settings, registration):
    instance_id = new_id()
    submit(db, settings, registration, instance_id=instance_id)
    with pytest.raises(ConflictError) as caught:
        submit(db, settings, registration, instance_id=instance_id, files={"photo.jpg": jpeg(color=(0, 0, 255))})
    assert caught.value.code == "submission.attachment_mismatch"


def test_identical_content_means_canonical_json(db, settings, registration):
    instance_id = new_id()
    data = registration_data()
    submit(db, settings, registration, instance_id=instance_id, data=data, raw=b'{"a": 1}')
    reordered = dict(reversed(list(data.items())))
    again = submit(db, settings, registration, instance_id=instance_id, data=reordered, raw=b'{"a":  1}',
                   meta={"device_id": "other"})
    assert not again.created


def test_edit_makes_a_new_version_of_the_same_logical_submission(db, settings, registration):
    first = submit(db, settings, registration).submission
    changed = registration_data()
    changed["residence"]["current_address"] = "新郑市另一小区"
    second = submit(db, settings, registration, data=changed, deprecated_id=first.instance_id).submission
    assert second.id != first.id and second.root_id == first.instance_id
    assert second.deprecated_id == first.instance_id
    assert [v.instance_id for v in service.versions_of(second)] == [first.instance_id, second.instance_id]
    assert first.data["residence"]["current_address"] == "新郑市某小区1号楼"  # never changed in place
    with pytest.raises(ConflictError) as caught:
        submit(db, settings, registration, data=changed, deprecated_id=first.instance_id)
    assert caught.value.code == "submission.edit_conflict"
    third = submit(db, settings, registration, deprecated_id=second.instance_id).submission
    assert third.root_id == first.instance_id


def test_edit_of_an_unknown_submission_is_404(db, settings, registration):
    with pytest.raises(NotFoundError) as caught:
        submit(db, settings, registration, deprecated_id=new_id())
    assert caught.value.code == "submission.deprecated_not_found"


def test_point_outside_the_workers_grid_is_flagged_with_distance(db, settings, registration):
    data = registration_data(location="34.4 113.76 0 5")  # a neighbouring grid, same township
    sub = submit(db, settings, registration, data=data).submission
    flag = sub.flags["outside_scope"]
    assert 500 < flag["distance_m"] < 3000 and flag["grid"] != "410184105005004"
    assert sub.unit.code == "410184105005004"  # filed under the worker's own grid, for their supervisor
    assert _flag_rows(db, sub) == ["outside_scope"]
    # the supervisor's township covers that grid: no flag for them
    sup = submit(db, settings, registration, data=data, username="supervisor").submission
    assert sup.flags == {}


def test_point_outside_every_grid_is_placed_in_the_workers_grid(db, settings, registration):
    sub = submit(db, settings, registration, data=registration_data(location="34.4 114.5 0 5")).submission
    assert sub.unit.code == "410184105005004"
    assert sub.flags["outside_scope"]["grid"] is None and sub.flags["outside_scope"]["distance_m"] > 50_000


def test_low_accuracy_uses_the_forms_warning_accuracy(db, settings, registration):
    ok = submit(db, settings, registration, data=registration_data(location="34.4 113.74 0 29")).submission
    assert ok.flags == {}
    bad = submit(db, settings, registration, data=registration_data(location="34.4 113.74 0 45")).submission
    assert bad.flags == {"low_accuracy": {"accuracy_m": 45.0, "threshold_m": 30.0}}


def test_no_location_is_placed_in_the_submitters_grid_and_flagged(db, settings, registration):
    sub = submit(db, settings, registration, data=registration_data(location=None)).submission
    assert sub.location is None and sub.unit.code == "410184105005004"
    assert sub.flags == {"no_location": {}}


def test_meta_location_is_used_when_the_form_has_no_answer(db, settings, registration):
    meta = {"location": {"lon": 113.74, "lat": 34.4, "altitude": 100.0, "accuracy": 80.0}}
    sub = submit(db, settings, registration, data=registration_data(location=None), meta=meta).submission
    assert sub.unit.code == "410184105005004" and sub.altitude_m == 100.0
    assert sub.flags == {"low_accuracy": {"accuracy_m": 80.0, "threshold_m": 30.0}}


def test_only_field_roles_submit(db, settings, registration):
    with pytest.raises(PermissionDeniedError):
        submit(db, settings, registration, username="police")
    with pytest.raises(PermissionDeniedError):
        submit(db, settings, registration, username="designer")


def test_drafts_are_refused_and_retired_versions_accepted(db, settings, registration):
    registration.state = VersionState.RETIRED.value
    db.flush()
    assert submit(db, settings, registration).created
    registration.state = VersionState.DRAFT.value
    db.flush()
    with pytest.raises(ConflictError) as caught:
        submit(db, settings, registration)
    assert caught.value.code == "submission.form_version_draft"
    with pytest.raises(NotFoundError):
        service.resolve_form_version(db, "person_registration", "1999")
    with pytest.raises(NotFoundError):
        service.resolve_form_version(db, "no_such_form", "1")


def _store_files(settings):
    root = media_store(settings).objects
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.mark.parametrize("files, error, code", [
    ({"photo.jpg": jpeg(), "extra.jpg": jpeg()}, RuleViolation, "submission.attachment_not_declared"),
    ({"photo.jpg": b"not an image at all"}, RuleViolation, "media.bad_image"),
    ({"photo.jpg": png_bomb()}, PayloadTooLargeError, "media.too_large"),
])
def test_refused_attachments_leave_no_row_and_no_file(db, settings, registration, files, error, code):
    before = _store_files(settings)
    with pytest.raises(error) as caught:
        submit(db, settings, registration, files=files)
    assert caught.value.code == code
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Submission)) == 0
    assert _store_files(settings) == before


def test_jobs_are_rung_only_after_commit(db, settings, registration, monkeypatch):
    rung = []
    monkeypatch.setattr("server.queue.enqueue_now", lambda s, q, path, *args: rung.append((q, path, args)))
    sub = submit(db, settings, registration).submission
    assert rung == []
    db.commit()
    run_after_commit(db)
    assert rung == [("validation", "server.submissions.jobs.validate_submission", (sub.id,)),
                    ("media", "server.submissions.jobs.make_derivatives", (sub.attachments[0].id,))]


def test_bad_instance_ids_are_refused(db, settings, registration):
    from server.errors import BadRequestError

    with pytest.raises(BadRequestError) as caught:
        submit(db, settings, registration, instance_id="../../etc/passwd")
    assert caught.value.code == "submission.bad_instance_id"


def test_openrosa_style_attachment_lists_are_accepted(db, settings, registration):
    instance_id = new_id()
    data = registration_data()
    result = service.submit(db, settings, user(db, "worker"), form_version=registration,
                            instance_id=f"uuid:{instance_id}", data={"data": data}, raw=b"<data/>",
                            raw_format="xml", attachments=[IncomingFile("photo.jpg", jpeg(), "image/jpeg")],
                            deprecated_id=None, meta={})
    assert result.created and result.submission.attachments[0].received
    again = service.submit(db, settings, user(db, "worker"), form_version=registration,
                           instance_id=instance_id, data={"data": data}, raw=b"<data/>", raw_format="xml",
                           attachments=[], deprecated_id=None, meta={})
    assert not again.created
    with pytest.raises(ConflictError):
        service.submit(db, settings, user(db, "worker"), form_version=registration, instance_id=instance_id,
                       data={"data": data}, raw=b"<data>x</data>", raw_format="xml", attachments=[],
                       deprecated_id=None, meta={})


def test_received_content_cannot_be_changed_in_place(db, settings, registration):
    from sqlalchemy import update
    from sqlalchemy.exc import DBAPIError

    sub = submit(db, settings, registration).submission
    db.commit()
    sub.set_flag("reviewed", {"by": "supervisor"})  # flags and status may change
    sub.status = SubmissionStatus.VALIDATED.value
    db.commit()
    for values in ({"data": {"identity": {}}}, {"instance_id": "uuid:other"}, {"raw_sha256": "0" * 64}):
        with pytest.raises(DBAPIError, match="never changed in place"):
            with db.begin_nested():
                db.execute(update(Submission).where(Submission.id == sub.id).values(**values))
    db.refresh(sub)
    assert sub.data["identity"]["full_name"] == "阿依古丽" and _flag_rows(db, sub) == ["reviewed"]
    sub.set_review_state("approved")
    db.commit()
    assert sub.review_version == 1 and {row.review_state for row in sub.flag_rows} == {"approved"}
    sub.clear_flag("reviewed")
    db.commit()
    assert sub.flags == {} and _flag_rows(db, sub) == []


def _flag_rows(db, sub):
    """The flag names stored as rows (what the queue's flag filter reads)."""
    from sqlalchemy import select

    from server.submissions.models import SubmissionFlag

    return list(db.scalars(select(SubmissionFlag.flag).where(SubmissionFlag.submission_id == sub.id)
                           .order_by(SubmissionFlag.flag)))


def test_a_concurrent_duplicate_becomes_a_replay(db, settings, registration, monkeypatch):
    """The insert loses the race on the unique instance id: the savepoint rolls back and the winner is replayed."""
    instance_id = new_id()
    real_geotag = service._geotag
    winner = []

    def geotag_after_a_racing_insert(*args, **kwargs):
        monkeypatch.setattr(service, "_geotag", real_geotag)
        winner.append(submit(db, settings, registration, instance_id=instance_id).submission)
        return real_geotag(*args, **kwargs)

    monkeypatch.setattr(service, "_geotag", geotag_after_a_racing_insert)
    result = submit(db, settings, registration, instance_id=instance_id)
    assert not result.created and result.submission.id == winner[0].id
    db.commit()
    assert db.scalar(select(func.count()).select_from(Submission)) == 1


def test_id_and_phone_answers_are_sealed_in_the_database(db, settings, registration):
    sub = submit(db, settings, registration).submission
    db.flush()
    stored = db.execute(text("SELECT data FROM submissions WHERE id = :id"), {"id": sub.id}).scalar_one()
    stored_text = json.dumps(json.loads(stored) if isinstance(stored, str) else stored, ensure_ascii=False)
    assert "阿依古丽" in stored_text  # names stay searchable answers
    assert "650102199003072318" not in stored_text and "13812345678" not in stored_text
    identity = sub.data["identity"]
    assert set(identity["id_number"]) == {SEALED} and set(identity["phone"]) == {SEALED}
    definition = registration.definition
    opened = open_answers(sub.data, definition, Sealer.from_settings(settings), sub.instance_id)
    assert opened["identity"]["id_number"] == "650102199003072318" and opened["identity"]["phone"] == "13812345678"
    # A token is bound to its submission and field: moved elsewhere, it does not open.
    with pytest.raises(SealError):
        open_answers(sub.data, definition, Sealer.from_settings(settings), "uuid:" + new_id())
    swapped = json.loads(json.dumps(sub.data))
    swapped["identity"]["phone"] = swapped["identity"]["id_number"]
    with pytest.raises(SealError):
        open_answers(swapped, definition, Sealer.from_settings(settings), sub.instance_id)
