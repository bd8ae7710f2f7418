"""Submission intake and reads.

``submit`` is the one way in, for the JSON API and for OpenRosa alike. In one
transaction it checks who submits and to which version, parses the data once
(point, grid, flags), verifies every attached file, writes the raw payload and
the files durably to the media store, and inserts the row. The caller's unit of
work commits, and only then are the validation and media jobs rung.

Idempotency is by instance id: the same id with the same content is a replay
(it may add attachments that did not arrive before); with other content it is
a 409. An edit names the version it replaces in ``deprecated_id``; versions of
one logical submission share ``root_id``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, contains_eager, undefer

from server.accounts.models import Role, User
from server.cache import caches_for, detached_copy
from server.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from server.forms.models import Form, FormVersion, VersionState
from server.geo.index import UnitRef, unit_index
from server.geo.points import Location, point_element
from server.media.storage import media_store, sha256_hex
from server.queue import enqueue_after_commit, job_path
from server.scope import path_in_scope, sees_everything
from server.sealing.crypto import Sealer
from server.settings import Settings
from server.submissions import fastpath, jobs, rules, uploads
from server.submissions.models import (
    Flag,
    ReviewState,
    Submission,
    SubmissionAttachment,
    SubmissionStatus,
)
from server.submissions.queries import (  # the reads, re-exported: other contexts use this module
    Page,
    get_attachment,
    get_submission,
    list_submissions,
    point_of,
    read_submission,
    review_queue,
    versions_of,
    visible,
)
from server.submissions.schemas import receipt, receipt_of
from server.submissions.sealing import seal_answers, seal_raw
from server.submissions.uploads import CheckedFile, IncomingFile

__all__ = [
    "CheckedFile", "IncomingFile", "Page", "SubmitResult", "get_attachment", "get_submission",
    "list_submissions", "point_of", "read_submission", "resolve_form_version", "review_queue", "submit",
    "versions_of",
]

SUBMITTER_ROLES = frozenset({Role.GRID_WORKER.value, Role.SUPERVISOR.value, Role.ADMIN.value})


@dataclass(frozen=True)
class SubmitResult:
    """What intake stored: ``created`` is False for a replay; ``receipt`` is the client's answer.

    A new submission is written without the ORM (fastpath.py); ``submission`` loads its row
    for callers that need the object (one query), which the hot endpoints never do.
    """

    session: Session = field(repr=False)
    submission_id: int
    created: bool
    receipt: dict[str, Any] = field(repr=False)

    @property
    def submission(self) -> Submission:
        """The stored submission, as an ORM object of the caller's session."""
        found = self.session.get(Submission, self.submission_id)
        assert found is not None
        return found


# --------------------------------------------------------------------------- intake


# Reading a stored version (replays, edits) stays on the ORM; new rows go in through fastpath.py.
_VERSION_BY_NAME = (
    select(FormVersion).join(Form, FormVersion.form_pk == Form.id)
    .options(contains_eager(FormVersion.form),  # the joined form fills the relationship: no second query
             undefer(FormVersion.definition_json))  # the copy must answer ``definition`` without a session
    .where(Form.form_id == bindparam("form_id"), FormVersion.version == bindparam("version")))
_BY_INSTANCE = select(Submission).where(Submission.instance_id == bindparam("instance_id"))


def resolve_form_version(session: Session, form_id: str, version: str) -> FormVersion:
    """The version a submission names: 404 when unknown; drafts refused, retired versions accepted.

    Versions are kept per process (server/cache.py): a publish, retire or change reaches every
    process within a second. What is returned is the cache's copy, shared by concurrent requests
    and loaded with its form and definition: read it, never change it or hand it to the session.
    """
    cache = caches_for(session).form_versions
    cached: FormVersion | None = cache.get(session, (form_id, version))
    if cached is not None:
        _check_version_open(cached)
        return cached
    found = session.scalar(_VERSION_BY_NAME, {"form_id": form_id, "version": version})
    if found is None:
        if session.scalar(select(Form.id).where(Form.form_id == form_id)) is None:
            raise NotFoundError(f"no form {form_id}", code="form.not_found", message_zh="表单不存在")
        raise NotFoundError(f"no version {version} of {form_id}", code="form.version_not_found",
                            message_zh="表单版本不存在")
    copy = detached_copy(found)
    cache.put(session, (form_id, version), copy)
    _check_version_open(copy)
    return copy


def _check_version_open(version: FormVersion) -> None:
    if version.state == VersionState.DRAFT:
        raise ConflictError(f"version {version.version} of {version.form.form_id} is a draft and takes no submissions",
                            code="submission.form_version_draft", message_zh="该表单版本尚未发布，不能提交")


def submit(
    session: Session,
    settings: Settings,
    user: User,
    *,
    form_version: FormVersion,
    instance_id: str,
    data: dict[str, Any],
    raw: bytes,
    raw_format: str,
    attachments: Mapping[str, IncomingFile] | Iterable[IncomingFile],
    deprecated_id: str | None,
    meta: dict[str, Any],
) -> SubmitResult:
    """Store a submission durably (new, replay or edit) and ring its jobs after commit.

    ``attachments`` maps names to ``IncomingFile``s, or lists them (as the multipart parts came).
    """
    attachments = uploads.incoming_files(attachments)
    if user.role not in SUBMITTER_ROLES:
        raise PermissionDeniedError("only grid workers, supervisors and admins submit forms",
                                    code="submission.forbidden", message_zh="您的角色不能提交表单")
    if raw_format not in ("json", "xml"):
        raise ValueError(f"raw_format must be json or xml, not {raw_format!r}")
    if not isinstance(data, dict):
        raise BadRequestError("data must be an object", code="submission.invalid", errors={"data": ["not an object"]})
    _check_version_open(form_version)
    instance_id = rules.normalize_instance_id(instance_id)
    deprecated = rules.normalize_instance_id(deprecated_id, "deprecated_id") if deprecated_id else None
    if deprecated == instance_id:
        raise BadRequestError("a submission cannot replace itself", code="submission.bad_instance_id",
                              errors={"deprecated_id": ["equals instance_id"]})
    rules.check_meta_ids(form_version.definition, data, instance_id, deprecated)
    digest = rules.content_digest(raw_format, raw, form_version.version, data)
    # A retry is found by its INSERT conflicting below (no lookup first, one statement less per submission);
    # a retried edit is looked up first, since checking the version it replaces would refuse it.
    if deprecated is not None and fastpath.submission_id(session, instance_id) is not None:
        existing = session.scalars(_BY_INSTANCE, {"instance_id": instance_id}).one()
        return _replay(session, settings, user, existing, form_version, digest, attachments)
    definition = form_version.definition
    refs = rules.referenced_files(definition, data)
    checked = uploads.check_files(settings, refs, attachments)
    root_id = instance_id
    if deprecated is not None:
        root_id = _edit_root(session, user, form_version, deprecated)
    location = rules.find_location(definition, data, meta)
    unit, located, flags = _geotag(session, user, definition, location)

    # Sensitive answers are sealed in the stored tree and the raw file alike (sealing.py).
    sealer = Sealer.from_settings(settings)
    sealed_raw = seal_raw(raw, sealer, instance_id)

    now = datetime.now(UTC)
    row: dict[str, Any] = {
        "instance_id": instance_id, "root_id": root_id, "deprecated_id": deprecated,
        "form_pk": form_version.form_pk, "form_version_id": form_version.id, "submitter_id": user.id,
        "status": SubmissionStatus.RECEIVED.value, "raw_format": raw_format, "raw_sha256": sha256_hex(sealed_raw),
        "raw_size": len(sealed_raw), "content_sha256": digest,
        "data": seal_answers(data, definition, sealer, instance_id), "meta": _jsonable(meta),
        "device_id": _text(meta.get("device_id"), 128), "started_at": _when(meta.get("start"), settings),
        "ended_at": _when(meta.get("end"), settings), "received_at": now,
        "location": point_element(location.lon, location.lat) if location else None,
        "altitude_m": location.altitude_m if location else None,
        "accuracy_m": location.accuracy_m if location else None,
        "unit_id": unit.id if unit else None, "unit_path": unit.path if unit else "/",
        "located_path": located.path if located is not None and located != unit else None,
        "flags": flags, "errors": [],
        "review_state": ReviewState.RECEIVED.value, "review_version": 0, "superseded": False,
    }
    new_id = fastpath.insert_submission(session, row)
    if new_id is None:
        # The instance id is taken (a retry, maybe a concurrent one) or the replaced version was edited meanwhile.
        raced = session.scalar(_BY_INSTANCE, {"instance_id": instance_id})
        if raced is not None:
            return _replay(session, settings, user, raced, form_version, digest, attachments)
        raise ConflictError("that version has already been edited", code="submission.edit_conflict",
                            message_zh="该提交已被修改过，请基于最新版本编辑")
    # Files are written once the row is ours (a retry writes none) and before the commit: a 201 means both.
    store = media_store(settings)
    store.put(sealed_raw)
    blobs = {c.ref.name: store.put(c.incoming.data) for c in checked.values()}
    if deprecated is not None:  # the unique deprecated_id made this edit the only one of that version
        fastpath.supersede(session, deprecated)
    att_rows = [_attachment_row(new_id, ref, checked.get(ref.name), blobs.get(ref.name), now) for ref in refs.values()]
    att_ids = fastpath.insert_attachments(session, att_rows)
    fastpath.insert_flags(session, new_id, row["review_state"], sorted(flags))
    _ring_jobs(session, settings, new_id, [att_ids[a["name"]] for a in att_rows
                                           if a["sha256"] is not None and a["kind"] == "image"], validate=True)
    answer = receipt_of(row, form_version, unit.code if unit is not None else None, att_rows)
    return SubmitResult(session, new_id, True, answer)


def _replay(session: Session, settings: Settings, user: User, existing: Submission, form_version: FormVersion,
            digest: str, attachments: Mapping[str, IncomingFile]) -> SubmitResult:
    """Same instance id again: identical content adds missing attachments; anything else is a 409."""
    if (existing.submitter_id != user.id or existing.form_version_id != form_version.id
            or existing.content_sha256 != digest):
        raise ConflictError(f"submission {existing.instance_id} was already received with other content",
                            code="submission.payload_mismatch",
                            message_zh="该实例编号已提交过不同的内容", errors={"instance_id": [existing.instance_id]})
    rows = {a.name: a for a in existing.attachments}
    refs = {name: rules.FileRef(a.name, a.field, a.kind) for name, a in rows.items()}
    checked = uploads.check_files(settings, refs, attachments)
    store = media_store(settings)
    now = datetime.now(UTC)
    added = []
    for name, item in checked.items():
        row = rows[name]
        sha = sha256_hex(item.incoming.data)
        if row.sha256 is not None:
            if row.sha256 != sha:
                raise ConflictError(f"attachment {name} was already received with other content",
                                    code="submission.attachment_mismatch",
                                    message_zh="该附件已上传过不同的内容", errors={name: ["different content"]})
            continue
        blob = store.put(item.incoming.data)
        _fill_attachment(row, item, blob.sha256, blob.size, now)
        added.append(row)
    if added:
        session.flush()
        all_in = all(a.received for a in existing.attachments)
        _ring_jobs(session, settings, existing.id, [a.id for a in added if a.kind == "image"],
                   validate=all_in and existing.status == SubmissionStatus.RECEIVED)
    return SubmitResult(session, existing.id, False, receipt(existing))


def _ring_jobs(session: Session, settings: Settings, submission_id: int, image_ids: list[int], *,
               validate: bool) -> None:
    from server import pipeline  # the job wiring sits above every context

    if validate:
        pipeline.ring_received(session, settings, submission_id)
    for attachment_id in image_ids:
        enqueue_after_commit(session, settings, "media", job_path(jobs.make_derivatives), attachment_id)


def _attachment_row(submission_id: int, ref: rules.FileRef, item: CheckedFile | None, blob: Any,
                    now: datetime) -> dict[str, Any]:
    """An attachment row for the fast path's INSERT: received (with its facts) or still expected."""
    got = item is not None and blob is not None
    return {
        "submission_id": submission_id, "name": ref.name[:255], "field": ref.field[:255], "kind": ref.kind,
        "sha256": blob.sha256 if got else None, "size": blob.size if got else None,
        "content_type": item.content_type if item is not None and got else None,
        "received_at": now if got else None,
        "width": item.width if item is not None and got else None,
        "height": item.height if item is not None and got else None,
        "taken_at": item.taken_at if item is not None and got else None,
        "gps_lon": item.gps_lon if item is not None and got else None,
        "gps_lat": item.gps_lat if item is not None and got else None,
        "exif": item.exif if item is not None and got else None,
        "derivatives": "pending" if got and ref.kind == "image" else "none",
        "display_sha256": None, "thumb_sha256": None,
    }


def _fill_attachment(row: SubmissionAttachment, item: CheckedFile, sha: str, size: int, now: datetime) -> None:
    row.sha256, row.size, row.content_type, row.received_at = sha, size, item.content_type, now
    row.width, row.height, row.taken_at = item.width, item.height, item.taken_at
    row.gps_lon, row.gps_lat, row.exif = item.gps_lon, item.gps_lat, item.exif
    row.derivatives = "pending" if row.kind == "image" else "none"


def _edit_root(session: Session, user: User, form_version: FormVersion, deprecated: str) -> str:
    """The logical submission an edit belongs to; the replaced version must be the latest."""
    old = session.scalar(select(Submission).where(Submission.instance_id == deprecated, visible(user)))
    if old is None:
        raise NotFoundError(f"no submission {deprecated} to replace", code="submission.deprecated_not_found",
                            message_zh="要修改的提交不存在", errors={"deprecated_id": [deprecated]})
    if old.form_pk != form_version.form_pk:
        raise ConflictError("an edit must be of the same form", code="submission.edit_form_mismatch",
                            message_zh="修改必须针对同一表单")
    if session.scalar(select(Submission.id).where(Submission.deprecated_id == deprecated)) is not None:
        raise ConflictError("that version has already been edited", code="submission.edit_conflict",
                            message_zh="该提交已被修改过，请基于最新版本编辑")
    return old.root_id


def _geotag(session: Session, user: User, definition: Mapping[str, Any],
            location: Location | None) -> tuple[UnitRef | None, UnitRef | None, dict[str, Any]]:
    """The unit the submission is filed under (the grid it was made in, or outside the submitter's scope
    the submitter's own unit, for their supervisor's review), the grid it was made in, and its flags."""
    own = UnitRef(user.scope_units[0].id, user.scope_units[0].code, user.scope_units[0].path) \
        if user.scope_units else None
    if location is None:
        return own, None, {Flag.NO_LOCATION.value: {}}
    flags: dict[str, Any] = {}
    index = unit_index(session)
    grid = index.grid_at(location.lon, location.lat)
    unit = grid if grid is not None else own
    if not sees_everything(user) and (grid is None or not path_in_scope(user, grid.path)):
        unit = own if own is not None else grid
        distances = [d for d in (index.distance_m(u.id, location.lon, location.lat) for u in user.scope_units)
                     if d == d]
        flags[Flag.OUTSIDE_SCOPE.value] = {
            "distance_m": round(min(distances), 1) if distances else None,
            "grid": grid.code if grid is not None else None,
        }
    threshold = rules.warning_accuracy(definition, location.field)
    if location.accuracy_m is not None and location.accuracy_m > threshold:
        flags[Flag.LOW_ACCURACY.value] = {"accuracy_m": location.accuracy_m, "threshold_m": threshold}
    return unit, grid, flags


def _text(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value not in (None, "") else None


def _when(value: Any, settings: Settings) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=settings.tz)


def _jsonable(meta: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return dict(json.loads(rules.canonical_json(dict(meta))))
    except (TypeError, ValueError) as exc:
        raise BadRequestError(f"meta is not plain JSON: {exc}", code="submission.invalid",
                              errors={"meta": [str(exc)]}) from exc
