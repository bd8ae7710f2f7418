"""The leader's overview: live figures of a unit and its child units, as of today.

The monthly report is a stored snapshot of a closed period; a leader also asks
how things stand now. This counts, for the unit and each child unit in the
reader's scope: persons living there now, arrivals so far in the running
period (the report's own rule: created or returned, dated by the event),
and cases (follow-ups records) still open and, of those, overdue today.
Counting groups rows by unit path (figures.Tally), as the report does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.domain.cases import UNFINISHED
from server.geo.models import AdminUnit
from server.registry import store
from server.registry.models import Entity, EntityStatus
from server.reports import periods
from server.reports.figures import Tally, Window, _count_events
from server.reports.service import reader_root, schedule_of
from server.scope import path_in_scope
from server.settings import Settings

FIGURES = ("persons_present", "arrivals", "cases_open", "cases_overdue")


def _under(root: AdminUnit) -> Any:
    return Entity.unit_path.startswith(root.path, autoescape=True)


def _unit(row: AdminUnit) -> dict[str, str]:
    return {"code": row.code, "name": row.name, "level": row.level}


def get_overview(session: Session, settings: Settings, user: User, unit_code: str | None,
                 now: datetime) -> dict[str, Any]:
    """Persons present, arrivals this period, open and overdue cases of a unit and its children (scoped)."""
    schedule = schedule_of(settings)
    today = now.astimezone(schedule.tz).date()
    running = periods.period_containing(today, schedule.end_day)
    root = reader_root(session, user, unit_code)
    children = [c for c in session.scalars(select(AdminUnit).where(AdminUnit.parent_id == root.id)
                                           .order_by(AdminUnit.code)) if path_in_scope(user, c.path)]
    tally = Tally([root.path, *(c.path for c in children)])
    for counted in tally.units.values():
        counted["cases_open"] = 0  # not a report figure: the tally starts without it
    persons = store.get_dataset(session, "persons").id
    present = session.execute(
        select(Entity.unit_path, func.count())
        .where(Entity.dataset_id == persons, Entity.status == EntityStatus.ACTIVE.value, _under(root))
        .group_by(Entity.unit_path))
    for path, count in present:
        tally.add(path, "persons_present", count)
    # the running period up to today: the report's own arrivals rule over those days
    so_far = Window(periods.Period(running.name, running.start, today), schedule.tz, root.path,
                    whole_registry=root.parent_id is None)
    _count_events(session, tally, so_far, persons)
    cases = store.get_dataset(session, "followups").id
    status = Entity.properties["status"].as_string()
    due = Entity.properties["due_date"].as_string()
    inner = (select(Entity.unit_path.label("unit_path"), due.label("due"))
             .where(Entity.dataset_id == cases, Entity.status != EntityStatus.MERGED.value, _under(root),
                    status.in_(sorted(UNFINISHED)))
             .subquery())
    overdue = func.sum(case((inner.c.due < today.isoformat(), 1), else_=0))
    for path, count, late in session.execute(
            select(inner.c.unit_path, func.count(), overdue).group_by(inner.c.unit_path)):
        tally.add(path, "cases_open", count)
        tally.add(path, "cases_overdue", int(late or 0))
    figures = {path: {name: f[name] for name in FIGURES} for path, f in tally.units.items()}
    return {
        "as_of": today.isoformat(),
        "period": {"name": running.name, "start": running.start.isoformat(), "end": running.end.isoformat()},
        "unit": _unit(root),
        "figures": figures[root.path],
        "children": [{"unit": _unit(c), "figures": figures[c.path]} for c in children],
    }
