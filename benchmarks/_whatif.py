"""What-if WSGI target for ``benchmarks/intake.py --what-if``: the form-version fixes, patched in from outside.

Measures what the fixes proposed for submissions/forms would gain without
changing their modules (their owners apply the real change):

- the published FormVersion is loaded without ``xform_xml`` and ``workbook``
  (~860 KB for person_registration) and with its ~370 KB ``definition`` taken
  from a per-process cache keyed by (id, xform_md5, workbook_sha256);
- the new Submission gets its ``form_version`` and ``submitter`` relationships
  set, so dumping the 201 response does not lazy-load the form version again.

gunicorn target: ``benchmarks._whatif:app``.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.attributes import set_committed_value

from server.forms.models import Form, FormVersion
from server.submissions import service

_definitions: dict[tuple[int, str, str], dict[str, Any]] = {}
_lock = threading.Lock()
_original_submit = service.submit


def resolve_form_version(session: Session, form_id: str, version: str) -> FormVersion:
    """As service.resolve_form_version, with the big columns deferred and the definition cached."""
    found = session.scalar(
        select(FormVersion).join(Form, FormVersion.form_pk == Form.id)
        .where(Form.form_id == form_id, FormVersion.version == version)
        .options(defer(FormVersion.xform_xml), defer(FormVersion.workbook), defer(FormVersion.definition)))
    if found is None:
        raise service.NotFoundError(f"no version {version} of {form_id}", code="form.version_not_found")
    key = (found.id, found.xform_md5, found.workbook_sha256)
    definition = _definitions.get(key)
    if definition is None:
        definition = session.scalar(select(FormVersion.definition).where(FormVersion.id == found.id))
        with _lock:
            _definitions[key] = definition
    set_committed_value(found, "definition", definition)
    service._check_version_open(found)
    return found


def submit(session: Session, settings: Any, user: Any, **kwargs: Any) -> service.SubmitResult:
    """As service.submit, with the new row's relationships set to the objects already in hand."""
    result = _original_submit(session, settings, user, **kwargs)
    set_committed_value(result.submission, "form_version", kwargs["form_version"])
    set_committed_value(result.submission, "submitter", user)
    return result


service.resolve_form_version = resolve_form_version  # type: ignore[assignment]
service.submit = submit  # type: ignore[assignment]

from server.wsgi import app  # noqa: E402  (after the patches, so every import sees them)

__all__ = ["app"]
