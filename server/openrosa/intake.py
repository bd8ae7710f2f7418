"""OpenRosa submissions: pick the form version from the XML, then hand over to the intake service.

Collect POSTs the full XML with every part of a split upload and again after a
lost response, so everything here must be safe to repeat: the submissions
service is idempotent by instanceID (same XML: the stored submission, new
attachments added; other XML: 409).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from server.accounts.models import User
from server.forms import service as forms
from server.forms.models import FormVersion
from server.forms.xml_instance import parse_openrosa_element
from server.openrosa.envelope import Envelope, read_envelope
from server.settings import Settings
from server.submissions.service import SubmitResult, resolve_form_version, submit
from server.submissions.uploads import IncomingFile


def submission_version(session: Session, envelope: Envelope) -> FormVersion:
    """The version the XML's root names (retired ones too: phones lag), or the current one if it names none."""
    if envelope.version is not None:
        return resolve_form_version(session, envelope.form_id, envelope.version)
    return forms.current_version(session, envelope.form_id)


def device_meta(body: Mapping[str, Any], device_id: str | None, user_agent: str | None) -> dict[str, Any]:
    """What the intake service records about the device: id, start and end times, client."""
    meta = body.get("meta")
    meta = meta if isinstance(meta, Mapping) else {}
    found = {
        "device_id": device_id or _text(meta.get("deviceID")) or _text(body.get("deviceid")),
        "start": _text(body.get("start")),
        "end": _text(body.get("end")),
        "client": "openrosa",
        "user_agent": (user_agent or "")[:200] or None,
    }
    return {key: value for key, value in found.items() if value is not None}


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def receive(session: Session, settings: Settings, user: User, xml: bytes, uploads: list[IncomingFile], *,
            device_id: str | None = None, user_agent: str | None = None) -> SubmitResult:
    """Store one OpenRosa submission, or one more part of a split one."""
    envelope = read_envelope(xml)
    version = submission_version(session, envelope)
    _, _, tree = parse_openrosa_element(envelope.root, repeat_paths=version.definition.get("repeats") or ())
    body = next(iter(tree.values()))
    return submit(session, settings, user, form_version=version, instance_id=envelope.instance_id, data=body,
                  raw=xml, raw_format="xml", deprecated_id=envelope.deprecated_id,
                  attachments=uploads,
                  meta=device_meta(body, device_id, user_agent))
