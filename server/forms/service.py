"""Upload, publish and read forms.

A workbook upload compiles first (nothing is stored when it fails), then
becomes the form's one draft, replacing any earlier draft. Publishing makes
the draft the current version and retires the previous one. A (form_id,
version) pair once published is immutable: uploading other content under it
is refused, uploading the same content again is a no-op.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.models import Role, User
from server.audit.models import AuditEvent
from server.audit.service import record
from server.domain.declaration_rules import looks_sensitive
from server.errors import ConflictError, NotFoundError
from server.forms.compiled import iter_fields
from server.forms.compiler import CompiledForm, WorkbookError, compile_workbook
from server.forms.models import Form, FormVersion, VersionState
from server.forms.workbook_problems import problem
from server.registry import catalog, declarations

MANAGERS = {Role.ADMIN.value, Role.FORM_DESIGNER.value}
# The city's own workbooks, shipped with the code.
CITY_FORMS = Path(__file__).resolve().parents[2] / "forms"


@dataclass(frozen=True)
class VersionEntry:
    """A version in a form's history: who uploaded it, who published it and when."""

    version: str
    state: str
    title: str
    created_at: datetime
    uploaded_by: str | None
    published_at: datetime | None
    published_by: str | None


@dataclass(frozen=True)
class UploadResult:
    """What an upload produced."""

    form_id: str
    version: str
    state: str
    created: bool
    undeclared: tuple[str, ...] = ()


def can_manage(user: User) -> bool:
    """Admins and form designers see drafts and publish."""
    return user.role in MANAGERS


def upload(session: Session, user: User | None, data: bytes, filename: str, *,
           declare: str | None = None) -> UploadResult:
    """Compile a workbook against the declarations in force and store it as the form's draft.

    ``declare="text"`` lets ``save_to`` name properties the dataset lacks: publishing declares them
    as plain, non-sensitive text, unless a name or label looks like personal data.
    """
    compiled = compile_workbook(data, filename, datasets=declarations.catalog(session),
                                declare_unknown=declare == "text")
    refused = [problem("survey", row, "save_to", "form.sensitive_property" if looks_sensitive(name, label)
                       else "form.invalid_property", f"save_to {name!r}: {why}")
               for row, name, label in compiled.undeclared
               if (why := catalog.text_property_problem(name, label)) is not None]
    if refused:
        raise WorkbookError(refused)
    sha = hashlib.sha256(data).hexdigest()
    form = session.scalar(select(Form).where(Form.form_id == compiled.form_id).with_for_update())
    if form is None:
        form = Form(form_id=compiled.form_id, title=compiled.title)
        session.add(form)
        session.flush()
    existing = session.scalar(
        select(FormVersion).where(FormVersion.form_pk == form.id, FormVersion.version == compiled.version))
    if existing is not None and existing.state != VersionState.DRAFT:
        if existing.xform_md5 == _md5(compiled.xform_xml):
            return UploadResult(form.form_id, existing.version, existing.state, False)
        raise ConflictError(
            f"version {compiled.version} of {compiled.form_id} is already {existing.state} with other content",
            code="form.version_conflict", message_zh="该表单版本已发布且内容不同，请修改版本号后重新上传",
            errors={"version": [compiled.version]})
    if form.draft is not None:
        session.delete(form.draft)
        session.flush()
    version = _new_version(form, compiled, data, filename, sha, user)
    session.add(version)
    session.flush()
    undeclared = tuple(dict.fromkeys(name for _, name, _ in compiled.undeclared))
    record(session, user.id if user else None, "form.upload", target_type="form", target_id=form.form_id,
           detail={"version": compiled.version, "sha256": sha,
                   **({"undeclared": list(undeclared)} if undeclared else {})})
    return UploadResult(form.form_id, version.version, version.state, True, undeclared)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _new_version(form: Form, compiled: CompiledForm, data: bytes, filename: str, sha: str,
                 user: User | None) -> FormVersion:
    return FormVersion(
        form_pk=form.id, form=form, version=compiled.version, state=VersionState.DRAFT.value,
        title=compiled.title, definition=compiled.definition, xform_xml=compiled.xform_xml,
        xform_md5=_md5(compiled.xform_xml), workbook=data, workbook_name=filename[:255], workbook_sha256=sha,
        media_files=list(compiled.media_files),
        dataset=compiled.entities.dataset if compiled.entities else None,
        created_by=user.id if user else None)


def publish(session: Session, user: User | None, form_id: str) -> FormVersion:
    """Publish the form's draft; the previous current version is retired."""
    form = session.scalar(select(Form).where(Form.form_id == form_id).with_for_update())
    if form is None:
        raise NotFoundError(f"no form {form_id}", code="form.not_found")
    draft = form.draft
    if draft is None:
        raise NotFoundError(f"form {form_id} has no draft", code="form.no_draft", message_zh="该表单没有待发布的草稿")
    _declare_undeclared(session, user, draft)
    if form.current_version is not None:
        form.current_version.state = VersionState.RETIRED.value
    draft.state = VersionState.PUBLISHED.value
    draft.published_at = datetime.now(UTC)
    form.current_version = draft
    form.title = draft.title
    record(session, user.id if user else None, "form.publish", target_type="form", target_id=form_id,
           detail={"version": draft.version})
    return draft


def _declare_undeclared(session: Session, user: User | None, draft: FormVersion) -> None:
    """Declare the draft's save_to properties its dataset lacks as plain text (it was uploaded with declare=text)."""
    entities = draft.definition.get("entities") or {}
    if not draft.dataset or not entities.get("save_to"):
        return
    known = declarations.catalog(session).get(draft.dataset)
    if known is None:
        return
    labels = {}
    for field in iter_fields(draft.definition.get("fields") or []):
        name = field.get("save_to")
        if name and name not in known.properties:
            texts = field.get("label") or {}
            zh = next((v for k, v in texts.items() if "zh" in k.lower() or "中文" in k), None)
            labels[str(name)] = str(zh or next(iter(texts.values()), name))
    if labels:
        catalog.declare_form_properties(session, user, draft.dataset, labels)


def load_directory(session: Session, directory: Path, *, publish_drafts: bool = True) -> list[UploadResult]:
    """Upload (and publish) every workbook in a directory, e.g. the city's forms/."""
    results = []
    for path in sorted(directory.glob("*.xlsx")):
        result = upload(session, None, path.read_bytes(), path.name)
        if result.created and publish_drafts:
            publish(session, None, result.form_id)
            result = UploadResult(result.form_id, result.version, VersionState.PUBLISHED.value, True)
        results.append(result)
    return results


def list_forms(session: Session, user: User) -> list[Form]:
    """Forms the caller may fill (published) or manage (all)."""
    query = select(Form).order_by(Form.form_id)
    if not can_manage(user):
        query = query.where(Form.current_version_id.is_not(None))
    return list(session.scalars(query))


def get_form(session: Session, form_id: str) -> Form:
    """A form by its id, or 404."""
    form = session.scalar(select(Form).where(Form.form_id == form_id))
    if form is None:
        raise NotFoundError(f"no form {form_id}", code="form.not_found", message_zh="表单不存在")
    return form


def current_version(session: Session, form_id: str) -> FormVersion:
    """The published version of a form, or 404."""
    form = get_form(session, form_id)
    if form.current_version is None:
        raise NotFoundError(f"form {form_id} is not published", code="form.not_published",
                            message_zh="表单尚未发布")
    return form.current_version


def get_version(session: Session, user: User, form_id: str, version: str) -> FormVersion:
    """One version; drafts are visible only to those who manage forms."""
    form = get_form(session, form_id)
    found = next((v for v in form.versions if v.version == version), None)
    if found is None or (found.state == VersionState.DRAFT and not can_manage(user)):
        raise NotFoundError(f"no version {version} of {form_id}", code="form.version_not_found",
                            message_zh="表单版本不存在")
    return found


def get_draft(session: Session, form_id: str) -> FormVersion:
    """The form's draft, or 404."""
    draft = get_form(session, form_id).draft
    if draft is None:
        raise NotFoundError(f"form {form_id} has no draft", code="form.no_draft", message_zh="该表单没有待发布的草稿")
    return draft


def list_versions(session: Session, form_id: str) -> list[VersionEntry]:
    """A form's versions, newest first; the publisher is read from the audit log's form.publish events."""
    form = get_form(session, form_id)
    events = session.execute(
        select(AuditEvent.detail, User.username).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.action == "form.publish", AuditEvent.target_type == "form",
               AuditEvent.target_id == form_id).order_by(AuditEvent.id))
    publishers = {str((detail or {}).get("version")): username for detail, username in events}
    uploaders: dict[int, str] = {uid: name for uid, name in session.execute(select(User.id, User.username).where(
        User.id.in_({v.created_by for v in form.versions if v.created_by is not None})))}
    return [VersionEntry(version=v.version, state=v.state, title=v.title, created_at=v.created_at,
                         uploaded_by=uploaders.get(v.created_by) if v.created_by is not None else None,
                         published_at=v.published_at,
                         published_by=publishers.get(v.version) if v.published_at else None)
            for v in reversed(form.versions)]
