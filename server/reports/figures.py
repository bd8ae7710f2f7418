"""Counting one period's figures for every unit of a subtree with SQL aggregation.

Every query groups the rows it counts by the unit path they carry (a grid's
path, or a unit above when a record was filed there) and so returns at most a
few rows per grid however many people and events there are; ``Tally`` then
adds each group to every unit whose path is a prefix of it. Nothing loops over
records in Python.

What is counted (the period's days are local dates; events are dated by their
``event_date``, else by when they were recorded):

- present: persons whose last residence event (created, moved, departed,
  returned, merged, unmerged) dated on or before the last day leaves them
  living somewhere, by that event's unit; by ethnicity and sex.
- arrivals (created or returned), departures, transfers in and out (moved
  events whose old and new paths lie on either side of the unit's), dated in
  the period.
- visits: distinct (person, visit date) pairs with the date in the period, from
  the versions written since the period began.
- not visited for over 90 days: present persons with no visit, arrival or
  return dated in the 90 days up to the last day.
- school-age children not in school: present persons aged 6 to 15 on the last
  day whose enrolment status is not_enrolled or dropped_out.
- cases (followups records): opened in the period by kind and department,
  resolved in the period, and overdue on the last day (due before it and not
  resolved by then); services: service records dated in the period by type,
  and the people they served.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select, union
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Select

from server.registry import store
from server.registry.models import (
    RESIDENCE_KINDS,
    Entity,
    EntityStatus,
    EntityVersion,
    EventKind,
    RegistryEvent,
)
from server.reports.periods import Period

RESIDENCE = list(RESIDENCE_KINDS)
PRESENT = [k.value for k in (EventKind.CREATED, EventKind.MOVED, EventKind.RETURNED, EventKind.UNMERGED)]
ARRIVAL = [EventKind.CREATED.value, EventKind.RETURNED.value]
NOT_IN_SCHOOL = ["not_enrolled", "dropped_out"]
SCHOOL_AGE = (6, 16)  # compulsory schooling: from the 6th birthday until the 16th
NOT_VISITED_DAYS = 90
UNKNOWN = "unknown"

SCALARS = (
    "persons_present", "arrivals", "departures", "transfers_in", "transfers_out", "visits", "not_visited_90d",
    "school_age_not_in_school", "cases_new", "cases_resolved", "cases_overdue", "services", "people_served",
)
BREAKDOWNS = (
    "persons_present_by_ethnicity", "persons_present_by_sex", "persons_present_by_ethnicity_and_sex",
    "cases_new_by_kind", "cases_new_by_department", "services_by_type",
)


def empty_figures() -> dict[str, Any]:
    """Every figure at zero."""
    return {**dict.fromkeys(SCALARS, 0), **{name: {} for name in BREAKDOWNS}}


class Tally:
    """Figures per unit path, filled from groups keyed by the path their rows carry."""

    def __init__(self, unit_paths: Iterable[str]) -> None:
        self.units: dict[str, dict[str, Any]] = {path: empty_figures() for path in unit_paths}

    def _owners(self, path: str | None) -> list[dict[str, Any]]:
        if not path:
            return []
        parts = path.strip("/").split("/")
        prefixes = ("/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1))
        return [self.units[p] for p in prefixes if p in self.units]

    def add(self, path: str | None, figure: str, n: int, key: str | None = None) -> None:
        """Add ``n`` to a figure (or to one key of a breakdown) of every unit holding ``path``."""
        for figures in self._owners(path):
            if key is None:
                figures[figure] += n
            else:
                figures[figure][key] = figures[figure].get(key, 0) + n

    def transfer(self, new: str | None, old: str | None, n: int) -> None:
        """A move from ``old`` to ``new``: in for units holding only the new path, out for only the old."""
        into, out_of = self._owners(new), self._owners(old)
        for figures in into:
            if not any(figures is o for o in out_of):
                figures["transfers_in"] += n
        for figures in out_of:
            if not any(figures is i for i in into):
                figures["transfers_out"] += n


@dataclass(frozen=True)
class Window:
    """The period as the queries need it: ISO days and UTC instants, and the subtree counted."""

    period: Period
    tz: ZoneInfo
    root_path: str
    whole_registry: bool  # the root is the top unit: no record can lie outside it

    @property
    def start(self) -> str:
        return self.period.start.isoformat()

    @property
    def end(self) -> str:
        return self.period.end.isoformat()


def _within(column: Any, window: Window) -> ColumnElement[bool]:
    return column.startswith(window.root_path, autoescape=True)  # type: ignore[no-any-return]


def _dated_between(window: Window, first: str | None, last: str, ev: Any = RegistryEvent) -> ColumnElement[bool]:
    """Events (of ``ev``) dated from ``first`` (None: any time before) to ``last``; undated ones by when recorded."""
    lo, hi = window.period.utc_bounds(window.tz)
    dated = [ev.event_date.is_not(None), ev.event_date <= last]
    undated = [ev.event_date.is_(None), ev.at < hi]
    if first is not None:
        dated.append(ev.event_date >= first)
        undated.append(ev.at >= lo)
    return or_(and_(*dated), and_(*undated))


def _grouped(session: Session, inner: Select[Any], keys: list[str]) -> list[Any]:
    """Group a row-level select by some of its labelled columns and count the rows of each group.

    (Grouping in an outer query keeps PostgreSQL from seeing two differently bound
    JSON paths in SELECT and GROUP BY.)
    """
    sub = inner.subquery()
    columns = [sub.c[k] for k in keys]
    return list(session.execute(select(*columns, func.count()).group_by(*columns)))


def _present(window: Window, persons: int) -> Any:
    """(entity_id, unit_path) of the persons living in the subtree at the end of the period.

    Each person's last residence event dated by the period's end says where they live. For the whole
    registry that is one ranking of every residence event. A unit below the city ranks only the residence
    events under its own paths: a person living there now has their last one among them, and is living
    there unless a later residence event, wherever filed, took them away (looked up per person).
    """
    ev = RegistryEvent
    upto = _dated_between(window, None, window.end)
    ranked = select(
        ev.entity_id, ev.kind, ev.unit_path, ev.cursor,
        func.row_number().over(partition_by=ev.entity_id, order_by=ev.cursor.desc()).label("rn"),
    ).where(ev.dataset_id == persons, ev.kind.in_(RESIDENCE), upto)
    if not window.whole_registry:
        ranked = ranked.where(_within(ev.unit_path, window))
    last = ranked.subquery("last_residence")
    present = select(last.c.entity_id, last.c.unit_path).where(
        last.c.rn == 1, last.c.kind.in_(PRESENT), _within(last.c.unit_path, window))
    if not window.whole_registry:
        later = aliased(RegistryEvent, name="later")
        present = present.where(~select(later.cursor).where(
            later.entity_id == last.c.entity_id, later.cursor > last.c.cursor, later.dataset_id == persons,
            later.kind.in_(RESIDENCE), _dated_between(window, None, window.end, later)).exists())
    return present.cte("present")


def _contact(window: Window, persons: int) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """What shows a person was seen in the 90 days up to the period's last day: conditions on a version
    (a visit dated in them) and on an event (an arrival or return dated in them)."""
    since_day = (window.period.end - timedelta(days=NOT_VISITED_DAYS)).isoformat()
    # A visit is recorded on or after its day, so versions written before the window cannot hold one.
    since_utc = window.period.utc_bounds(window.tz)[1] - timedelta(days=NOT_VISITED_DAYS + 1)
    visit = EntityVersion.properties["last_visit_date"].as_string()
    seen = [EntityVersion.created_at >= since_utc, visit >= since_day, visit <= window.end]
    arrived = [RegistryEvent.dataset_id == persons, RegistryEvent.kind.in_(ARRIVAL),
               RegistryEvent.event_date >= since_day, RegistryEvent.event_date <= window.end]
    return seen, arrived


def _contacted(window: Window, persons: int) -> Any:
    """Everyone contacted: the whole registry's check, one pass over the window's versions and events."""
    seen, arrived = _contact(window, persons)
    return union(select(EntityVersion.entity_id).where(*seen),
                 select(RegistryEvent.entity_id).where(*arrived)).subquery("contacted")


def _was_contacted(window: Window, persons: int, person: Any) -> ColumnElement[bool]:
    """Whether one person was contacted: a subtree's check, looked up by person (wherever they were seen)."""
    seen, arrived = _contact(window, persons)
    return or_(select(EntityVersion.id).where(EntityVersion.entity_id == person, *seen).exists(),
               select(RegistryEvent.cursor).where(RegistryEvent.entity_id == person, *arrived).exists())


STEPS = ("present", "events", "visits", "cases", "services")


def count_all(session: Session, window: Window, unit_paths: Iterable[str],
              progress: Callable[[str], None] | None = None) -> dict[str, dict[str, Any]]:
    """Every figure of the period for each unit path (units of the window's subtree)."""
    tell = progress or (lambda _step: None)
    tally = Tally(unit_paths)
    persons = store.get_dataset(session, "persons").id
    _count_present(session, tally, window, persons)
    tell("present")
    _count_events(session, tally, window, persons)
    tell("events")
    _count_visits(session, tally, window)
    tell("visits")
    _count_cases(session, tally, window)
    tell("cases")
    _count_services(session, tally, window)
    tell("services")
    return tally.units


def _count_present(session: Session, tally: Tally, window: Window, persons: int) -> None:
    """Present persons by ethnicity and sex, with those of school age not in school and those not visited.

    One statement, so the last residence event of each person is ranked once.
    """
    present = _present(window, persons)
    # The whole registry's present persons are most of those contacted: one set of them, joined. A subtree's
    # are few: each is looked up.
    contacted = _contacted(window, persons) if window.whole_registry else None
    if contacted is None:
        quiet = case((_was_contacted(window, persons, present.c.entity_id), 0), else_=1)
    else:
        quiet = case((contacted.c.entity_id.is_(None), 1), else_=0)
    end = window.period.end
    born_by = (end - relativedelta(years=SCHOOL_AGE[0])).isoformat()
    born_after = (end - relativedelta(years=SCHOOL_AGE[1])).isoformat()
    enrolment = Entity.properties["enrolment_status"].as_string()
    out_of_school = and_(Entity.birth_date > born_after, Entity.birth_date <= born_by, enrolment.in_(NOT_IN_SCHOOL))
    rows = (select(present.c.unit_path.label("unit_path"), Entity.ethnicity.label("ethnicity"),
                   Entity.properties["sex"].as_string().label("sex"),
                   case((out_of_school, 1), else_=0).label("school"), quiet.label("quiet"))
            .join(Entity, Entity.id == present.c.entity_id))
    if contacted is not None:
        rows = rows.outerjoin(contacted, contacted.c.entity_id == present.c.entity_id)
    sub = rows.subquery()
    grouped = (select(sub.c.unit_path, sub.c.ethnicity, sub.c.sex, func.count(), func.sum(sub.c.school),
                      func.sum(sub.c.quiet))
               .group_by(sub.c.unit_path, sub.c.ethnicity, sub.c.sex))
    for path, ethnicity, sex, count, school, quiet in session.execute(grouped):
        eth, sx = ethnicity or UNKNOWN, sex or UNKNOWN
        tally.add(path, "persons_present", count)
        tally.add(path, "persons_present_by_ethnicity", count, eth)
        tally.add(path, "persons_present_by_sex", count, sx)
        tally.add(path, "persons_present_by_ethnicity_and_sex", count, f"{eth}/{sx}")
        tally.add(path, "school_age_not_in_school", int(school or 0))
        tally.add(path, "not_visited_90d", int(quiet or 0))


def _count_events(session: Session, tally: Tally, window: Window, persons: int) -> None:
    ev = RegistryEvent
    dated = _dated_between(window, window.start, window.end)
    rows = session.execute(
        select(ev.unit_path, ev.kind, func.count())
        .where(ev.dataset_id == persons, ev.kind.in_([*ARRIVAL, EventKind.DEPARTED.value]), dated,
               _within(ev.unit_path, window))
        .group_by(ev.unit_path, ev.kind))
    for path, kind, count in rows:
        tally.add(path, "departures" if kind == EventKind.DEPARTED.value else "arrivals", count)
    moved = (select(ev.unit_path, ev.previous_unit_path, func.count())
             .where(ev.dataset_id == persons, ev.kind == EventKind.MOVED.value, dated)
             .group_by(ev.unit_path, ev.previous_unit_path))
    # Moves into or inside the subtree, then (below the city) moves out of it, each read by its own path.
    queries = [moved.where(_within(ev.unit_path, window))]
    if not window.whole_registry:
        queries.append(moved.where(_within(ev.previous_unit_path, window), ~_within(ev.unit_path, window)))
    for query in queries:
        for new, old, count in session.execute(query):
            tally.transfer(new, old, count)


def _count_visits(session: Session, tally: Tally, window: Window) -> None:
    lo, _ = window.period.utc_bounds(window.tz)
    visit = EntityVersion.properties["last_visit_date"].as_string()
    visits = (select(EntityVersion.entity_id.label("entity_id"), visit.label("day"),
                     EntityVersion.unit_path.label("unit_path"))
              .where(EntityVersion.created_at >= lo, _within(EntityVersion.unit_path, window))
              .subquery())
    pairs = (select(visits.c.entity_id, visits.c.day, func.min(visits.c.unit_path).label("unit_path"))
             .where(visits.c.day >= window.start, visits.c.day <= window.end)
             .group_by(visits.c.entity_id, visits.c.day).subquery())
    for path, count in session.execute(select(pairs.c.unit_path, func.count()).group_by(pairs.c.unit_path)):
        tally.add(path, "visits", count)


def _props(dataset: int, window: Window, names: Mapping[str, str], path: Any = Entity.unit_path) -> Select[Any]:
    """Row-level (unit_path, property...) of a dataset's live records in the subtree."""
    columns = [Entity.properties[prop].as_string().label(label) for label, prop in names.items()]
    return (select(path.label("unit_path"), *columns)
            .where(Entity.dataset_id == dataset, Entity.status != EntityStatus.MERGED.value,
                   _within(Entity.unit_path, window)))


def _count_cases(session: Session, tally: Tally, window: Window) -> None:
    cases = store.get_dataset(session, "followups").id
    ev = RegistryEvent
    opened = (select(ev.unit_path.label("unit_path"), Entity.properties["kind"].as_string().label("kind"),
                     Entity.properties["department"].as_string().label("department"))
              .join(Entity, Entity.id == ev.entity_id)
              .where(ev.dataset_id == cases, ev.kind == EventKind.CREATED.value,
                     _dated_between(window, window.start, window.end), _within(ev.unit_path, window)))
    for path, kind, department, count in _grouped(session, opened, ["unit_path", "kind", "department"]):
        tally.add(path, "cases_new", count)
        tally.add(path, "cases_new_by_kind", count, kind or UNKNOWN)
        tally.add(path, "cases_new_by_department", count, department or UNKNOWN)
    sub = _props(cases, window, {"resolved": "resolved_date", "due": "due_date", "opened": "opened_date"}).subquery()
    resolved = select(sub.c.unit_path, func.count()).where(sub.c.resolved >= window.start,
                                                           sub.c.resolved <= window.end)
    for path, count in session.execute(resolved.group_by(sub.c.unit_path)):
        tally.add(path, "cases_resolved", count)
    overdue = select(sub.c.unit_path, func.count()).where(
        sub.c.due < window.end, or_(sub.c.opened.is_(None), sub.c.opened <= window.end),
        or_(sub.c.resolved.is_(None), sub.c.resolved > window.end))
    for path, count in session.execute(overdue.group_by(sub.c.unit_path)):
        tally.add(path, "cases_overdue", count)


def _count_services(session: Session, tally: Tally, window: Window) -> None:
    services = store.get_dataset(session, "services").id
    rows = _props(services, window, {"kind": "service_type", "day": "service_date"}).add_columns(
        func.coalesce(Entity.properties["people_served"].as_integer(), literal(1)).label("n")).subquery()
    grouped = (select(rows.c.unit_path, rows.c.kind, func.count(), func.sum(rows.c.n))
               .where(rows.c.day >= window.start, rows.c.day <= window.end)
               .group_by(rows.c.unit_path, rows.c.kind))
    for path, kind, count, people in session.execute(grouped):
        tally.add(path, "services", count)
        tally.add(path, "services_by_type", count, kind or UNKNOWN)
        tally.add(path, "people_served", int(people or 0))

