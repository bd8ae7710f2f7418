"""Pure case rules: the status machine, due dates from the case kind, and what opening a case fills in.

A case is a followups record (forms/datasets.yaml); these rules take and return
its properties and never touch the database, so both the by-hand API
(server/cases/) and the merge of a form that opens cases use them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from server.domain.departments import Duties

OPENS_CASES_SETTING = "opens_cases"  # the XLSForm settings-sheet column: a form whose new follow-ups are cases


class CaseStatus(StrEnum):
    """Where a case stands."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


# Allowed moves: work starts, work ends, the department closes, and a resolved or closed case reopens.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED}),
    CaseStatus.IN_PROGRESS: frozenset({CaseStatus.RESOLVED, CaseStatus.OPEN}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.CLOSED, CaseStatus.OPEN, CaseStatus.IN_PROGRESS}),
    CaseStatus.CLOSED: frozenset({CaseStatus.OPEN}),
}
UNFINISHED = frozenset({CaseStatus.OPEN.value, CaseStatus.IN_PROGRESS.value})


def may_move(current: str | None, target: str) -> bool:
    """True when a case may go from ``current`` to ``target`` (a case without status counts as open)."""
    return target in TRANSITIONS.get(current or CaseStatus.OPEN, frozenset())


def due_date(duties: Duties, kind: str, opened: dt.date) -> dt.date | None:
    """The due date a case of this kind gets when opened on ``opened`` (None for an unknown kind)."""
    spec = duties.case_kinds.get(kind)
    return opened + dt.timedelta(days=spec.due_days) if spec else None


def is_overdue(properties: Mapping[str, Any], today: dt.date) -> bool:
    """True while an unfinished case is past its due date."""
    due = properties.get("due_date")
    return properties.get("status") in UNFINISHED and bool(due) and str(due) < today.isoformat()


def opened(duties: Duties, properties: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """A new case's properties with what opening fills in: status, opened date and due date."""
    out = dict(properties)
    out["status"] = out.get("status") or CaseStatus.OPEN.value
    out["opened_date"] = out.get("opened_date") or today.isoformat()
    if not out.get("due_date"):
        due = due_date(duties, str(out.get("kind") or ""), dt.date.fromisoformat(out["opened_date"]))
        out["due_date"] = due.isoformat() if due else None
    if out["status"] == CaseStatus.RESOLVED and not out.get("resolved_date"):
        out["resolved_date"] = today.isoformat()
    return {k: v for k, v in out.items() if v is not None}


def moved(properties: Mapping[str, Any], target: str, today: dt.date) -> dict[str, Any]:
    """The properties after a status change: resolving and closing are dated, reopening clears both dates."""
    out = dict(properties)
    out["status"] = target
    if target == CaseStatus.RESOLVED:
        out["resolved_date"] = today.isoformat()
    elif target == CaseStatus.CLOSED:
        out["closed_date"] = today.isoformat()
        out.setdefault("resolved_date", today.isoformat())
    elif target in UNFINISHED:
        out.pop("resolved_date", None)
        out.pop("closed_date", None)
    return out


def form_opens_cases(form: Mapping[str, Any] | None) -> bool:
    """True when a compiled form's settings say the follow-ups it creates are cases."""
    settings = (form or {}).get("settings") or {}
    return str(settings.get(OPENS_CASES_SETTING, "")).strip().lower() in {"yes", "true", "1"}
