"""Running and reading the monthly report.

``run_monthly`` counts one period for a unit and every unit below it (one set
of queries for the whole subtree, figures.py) and stores one new revision per
unit with the figures of its child units beside its own and what changed since
its previous revision. Stored rows are never updated, so a late submission
shows only in a later revision. Readers see the units in their scope.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.audit.service import record
from server.errors import NotFoundError
from server.geo.models import AdminUnit
from server.reports import periods
from server.reports.figures import STEPS, Window, count_all
from server.reports.models import MonthlyReport
from server.reports.xlsx import build_workbook
from server.scope import path_in_scope, scope_paths, sees_everything
from server.settings import Settings

Progress = Callable[[str], None]
TRIGGERS = ("schedule", "api", "cli")
RUN_STEPS = (*STEPS, "store")  # what ``progress`` is told, in order


def schedule_of(settings: Settings) -> periods.Schedule:
    """The report schedule the settings describe."""
    hours, minutes = (int(p) for p in settings.report_run_time.split(":"))
    return periods.Schedule(settings.report_end_day, settings.report_run_day, time(hours, minutes),
                            ZoneInfo(settings.time_zone))


def _unit_not_found(code: str) -> NotFoundError:
    return NotFoundError(f"unit {code} not found", code="report.unit_not_found", message_zh="统计单位不存在")


def report_root(session: Session, unit_code: str | None) -> AdminUnit:
    """The unit named by code, or the top of the hierarchy (the city)."""
    if unit_code:
        unit = session.scalar(select(AdminUnit).where(AdminUnit.code == unit_code))
    else:
        unit = session.scalar(select(AdminUnit).where(AdminUnit.parent_id.is_(None)).order_by(AdminUnit.id))
    if unit is None:
        raise _unit_not_found(unit_code or "(city)")
    return unit


def _unit(row: AdminUnit) -> dict[str, str]:
    return {"code": row.code, "name": row.name, "level": row.level}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """What changed between two sets of figures: ``figure`` or ``breakdown.key`` -> [before, after]."""
    out: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if isinstance(old, Mapping) or isinstance(new, Mapping):
            old_map, new_map = old or {}, new or {}
            for key in sorted(set(old_map) | set(new_map)):
                if old_map.get(key, 0) != new_map.get(key, 0):
                    out[f"{name}.{key}"] = [old_map.get(key, 0), new_map.get(key, 0)]
        elif old != new:
            out[name] = [old, new]
    return out


def run_monthly(
    session: Session,
    settings: Settings,
    period_name: str,
    *,
    now: datetime,
    unit_code: str | None = None,
    actor_id: int | None = None,
    trigger: str = "cli",
    progress: Progress | None = None,
) -> list[MonthlyReport]:
    """Count the period for the unit (default: the city) and all below it; one new revision each."""
    schedule = schedule_of(settings)
    period = periods.parse_period(period_name, schedule.end_day)
    provisional = periods.check_runnable(period, now, schedule)
    root = report_root(session, unit_code)
    units = list(session.scalars(select(AdminUnit).where(AdminUnit.path.startswith(root.path, autoescape=True))
                                 .order_by(AdminUnit.path)))
    tell = progress or (lambda _step: None)
    window = Window(period, schedule.tz, root.path, whole_registry=root.parent_id is None)
    figures = count_all(session, window, [u.path for u in units], tell)
    previous = _latest(session, period.name, [u.code for u in units])
    by_parent: dict[int | None, list[AdminUnit]] = {}
    for unit in units:
        by_parent.setdefault(unit.parent_id, []).append(unit)
    rows = []
    for unit in units:
        before = previous.get(unit.code)
        rows.append(MonthlyReport(
            period=period.name, period_start=period.start.isoformat(), period_end=period.end.isoformat(),
            unit_code=unit.code, unit_name=unit.name, unit_level=unit.level, unit_path=unit.path,
            revision=(before.revision + 1) if before else 1, provisional=provisional, trigger=trigger,
            figures=figures[unit.path],
            children=[{"unit": _unit(c), "figures": figures[c.path]} for c in by_parent.get(unit.id, [])],
            changes=diff(before.figures, figures[unit.path]) if before else None,
            generated_by=actor_id, generated_at=now,
        ))
    session.add_all(rows)
    record(session, actor_id, "report.run", target_type="monthly_report", target_id=f"{period.name}/{root.code}",
           detail={"units": len(rows), "provisional": provisional, "trigger": trigger,
                   "revision": rows[0].revision if rows else None})
    session.flush()
    tell("store")
    return rows


def _latest(session: Session, period: str, codes: list[str]) -> dict[str, MonthlyReport]:
    """The newest stored revision of each unit for the period."""
    newest = (select(MonthlyReport.unit_code, func.max(MonthlyReport.revision).label("revision"))
              .where(MonthlyReport.period == period).group_by(MonthlyReport.unit_code).subquery())
    rows = session.scalars(select(MonthlyReport).join(
        newest, (newest.c.unit_code == MonthlyReport.unit_code) & (newest.c.revision == MonthlyReport.revision))
        .where(MonthlyReport.period == period))
    wanted = set(codes)
    return {row.unit_code: row for row in rows if row.unit_code in wanted}


def reader_root(session: Session, user: User, unit_code: str | None) -> AdminUnit:
    """The unit a reader asked for (default: their first scope unit, or the city); 404 outside their scope."""
    if not unit_code and not sees_everything(user):
        paths = scope_paths(user)
        if not paths:
            raise _unit_not_found("(none)")
        unit = session.scalar(select(AdminUnit).where(AdminUnit.path == paths[0]))
    else:
        unit = report_root(session, unit_code)
    if unit is None or not path_in_scope(user, unit.path):
        raise _unit_not_found(unit_code or "(none)")
    return unit


def get_report(session: Session, settings: Settings, user: User, period_name: str, unit_code: str | None,
               revision: int | None = None) -> dict[str, Any]:
    """The stored report of a period and unit in the reader's scope (the newest revision unless asked)."""
    period = periods.parse_period(period_name, schedule_of(settings).end_day)
    unit = reader_root(session, user, unit_code)
    query = select(MonthlyReport).where(MonthlyReport.period == period.name, MonthlyReport.unit_code == unit.code)
    if revision is not None:
        query = query.where(MonthlyReport.revision == revision)
    row = session.scalar(query.order_by(MonthlyReport.revision.desc()).limit(1))
    if row is None:
        raise NotFoundError(f"no report for {period.name} and unit {unit.code} yet",
                            code="report.not_run", message_zh="该统计期尚未生成报表")
    record(session, user.id, "report.read", target_type="monthly_report", target_id=f"{row.period}/{row.unit_code}",
           detail={"revision": row.revision})
    return as_json(row)


def as_json(row: MonthlyReport) -> dict[str, Any]:
    """A stored report as the API shows it."""
    return {
        "period": row.period,
        "start": row.period_start,
        "end": row.period_end,
        "unit": {"code": row.unit_code, "name": row.unit_name, "level": row.unit_level},
        "revision": row.revision,
        "provisional": row.provisional,
        "trigger": row.trigger,
        "generated_at": row.generated_at,
        "figures": row.figures,
        "changes": row.changes,
        "children": row.children,
    }


def run_for(session: Session, settings: Settings, user: User, period_name: str, unit_code: str | None,
            now: datetime) -> dict[str, Any]:
    """An admin's run from the API: the new revision of the unit asked for."""
    rows = run_monthly(session, settings, period_name, now=now, unit_code=unit_code, actor_id=user.id,
                       trigger="api")
    return as_json(rows[0])


def get_report_xlsx(session: Session, settings: Settings, user: User, period_name: str,
                    unit_code: str | None) -> tuple[bytes, str]:
    """The newest stored report of a unit and of every unit below it, as a workbook, and its file name."""
    shown = get_report(session, settings, user, period_name, unit_code)
    unit = reader_root(session, user, shown["unit"]["code"])
    below = _latest(session, shown["period"], list(session.scalars(
        select(AdminUnit.code).where(AdminUnit.path.startswith(unit.path, autoescape=True)))))
    rows = sorted(below.values(), key=lambda r: r.unit_path)
    root = next(r for r in rows if r.unit_code == unit.code)
    return build_workbook(root, rows), f"monthly-report-{shown['period']}-{unit.code}.xlsx"
