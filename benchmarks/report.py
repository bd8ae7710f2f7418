"""Monthly report benchmark on PostgreSQL: the whole city and one township over a bulk-loaded registry.

    .venv/bin/python benchmarks/report.py [--persons 1000000] [--events 10000000] [--pg-admin-url URL]

Creates the database ``gridreg_report_bench`` afresh (migrations + demo city)
and fills it inside PostgreSQL with ``generate_series`` (no rows pass through
Python): the persons spread over the demo grids with an ethnic mix, their
registry events (one ``created`` each, then visits as ``updated``, moves
between grids, departures and returns, dated over two years up to the period's
last day) and one version per event carrying the visit date, plus cases
(followups) and service records, then vacuums them as autovacuum would. Then
it runs the 2026-11 report for every unit of the city, and for one township,
and prints each time against its goal (60 s for the city and 5 s for a
township at 1M persons and 10M events). At a smaller size it also prints the
times scaled linearly to the full size.
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benchmarks.registry import fresh_database  # noqa: E402
from server import migrate  # noqa: E402
from server.db import make_engine, session_factory  # noqa: E402
from server.demo import load_demo  # noqa: E402
from server.geo.models import AdminUnit  # noqa: E402
from server.registry import store  # noqa: E402
from server.reports.service import run_monthly  # noqa: E402
from server.settings import Settings  # noqa: E402

DB = "gridreg_report_bench"
KEY = base64.urlsafe_b64encode(b"bench-key-bench-key-bench-key-32").decode()
PERIOD = "2026-11"  # 2026-10-26 .. 2026-11-25
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # the morning after it was due
LAST_DAY = "2026-11-25"
FULL_PERSONS, FULL_EVENTS = 1_000_000, 10_000_000
CITY_GOAL, TOWNSHIP_GOAL = 60.0, 5.0
# Ethnic mix (GB/T 3304 codes) weighted to Hui and Uyghur, as in the city's registry.
ETHNICITIES = ["03"] * 9 + ["05"] * 4 + ["02", "04", "06", "08", "11", "17", "01"]



def _grids(session: Session) -> None:
    session.execute(text("""
        CREATE TEMP TABLE bench_grids AS
        SELECT (row_number() OVER (ORDER BY code)) - 1 AS idx, code, path
        FROM admin_units WHERE level = 'grid'"""))


def load(session: Session, persons: int, events: int) -> None:
    """Fill the registry with generate_series: persons, events, versions, cases and services."""
    ids = {name: store.get_dataset(session, name).id for name in ("persons", "followups", "services")}
    session.commit()
    _grids(session)
    grid_count = session.scalar(text("SELECT count(*) FROM bench_grids"))
    eth = "ARRAY[" + ",".join(f"'{e}'" for e in ETHNICITIES) + "]"
    params = {"persons": persons, "grids": grid_count, "ds": ids["persons"], "last": LAST_DAY}
    # Persons: grid i % grids, born 1950..2024, arrived in the two years before the period's end.
    session.execute(text(f"""
        INSERT INTO entities (uuid, dataset_id, label, properties, sealed, version, status, unit_path, grid_code,
                              ethnicity, birth_date, arrival_date, created_at, updated_at)
        SELECT md5('p' || i)::uuid::text, :ds, '人员' || i,
               jsonb_build_object('full_name', '人员' || i, 'sex', (1 + i % 2)::text,
                                  'enrolment_status', CASE WHEN i % 50 = 0 THEN 'not_enrolled' ELSE 'enrolled' END),
               '{{}}'::jsonb, 1, CASE WHEN i % 20 = 0 THEN 'departed' ELSE 'active' END, g.path, g.code,
               ({eth})[1 + i % {len(ETHNICITIES)}],
               to_char(DATE '1950-01-01' + (i::bigint * 7919 % 27000)::int, 'YYYY-MM-DD'),
               to_char(CAST(:last AS date) - (i::bigint * 104729 % 730)::int, 'YYYY-MM-DD'), now(), now()
        FROM generate_series(1, :persons) AS i JOIN bench_grids g ON g.idx = i % :grids"""), params)
    first = session.scalar(text("SELECT min(id) FROM entities WHERE dataset_id = :ds"), params)
    params |= {"first": first, "events": events}
    # Events: j <= persons is person j's created event; later ones are visits (updated), moves to another grid,
    # departures and returns, dated over the two years; versions carry the visit date.
    session.execute(text("""
        CREATE TEMP TABLE bench_events AS
        SELECT j, :first + (j - 1) % :persons AS entity_id, 1 + (j - 1) / :persons AS version,
               CASE WHEN j <= :persons THEN 'created'
                    WHEN j % 20 = 0 THEN 'moved' WHEN j % 41 = 0 THEN 'departed'
                    WHEN j % 43 = 0 THEN 'returned' ELSE 'updated' END AS kind,
               to_char(CAST(:last AS date) - (j::bigint * 7907 % 730)::int, 'YYYY-MM-DD') AS day
        FROM generate_series(1, :events) AS j"""), params)
    session.execute(text("""
        INSERT INTO registry_events (dataset_id, entity_id, kind, version, unit_path, previous_unit_path, event_date,
                                     source_type, detail, at)
        SELECT :ds, e.entity_id, e.kind, e.version, g.path,
               CASE WHEN e.kind = 'moved' THEN p.path END, e.day, 'import', '{}'::jsonb,
               (e.day::date + time '10:00') AT TIME ZONE 'Asia/Shanghai'
        FROM bench_events e
        JOIN bench_grids g ON g.idx = (e.entity_id + CASE WHEN e.kind = 'moved' THEN e.version ELSE 0 END) % :grids
        JOIN bench_grids p ON p.idx = (e.entity_id + e.version - 1) % :grids
        ORDER BY e.day, e.j"""), params)
    session.execute(text("""
        INSERT INTO entity_versions (entity_id, version, label, properties, sealed, changed, unit_path, source_type,
                                     created_at)
        SELECT e.entity_id, e.version, '人员', jsonb_build_object('last_visit_date', e.day), '{}'::jsonb,
               '[]'::jsonb, g.path, 'import', (e.day::date + time '10:00') AT TIME ZONE 'Asia/Shanghai'
        FROM bench_events e JOIN bench_grids g ON g.idx = e.entity_id % :grids"""), params)
    # Cases for one person in 50 and a service record per 100 persons, dated over the last year.
    session.execute(text("""
        INSERT INTO entities (uuid, dataset_id, label, properties, sealed, version, status, unit_path, grid_code,
                              created_at, updated_at)
        SELECT md5('c' || i)::uuid::text, :cases, '事项' || i,
               jsonb_build_object('kind', (ARRAY['appeal','dispute','relief','need'])[1 + i % 4],
                                  'department', (ARRAY['hrss','police','civil','education','justice'])[1 + i % 5],
                                  'status', CASE WHEN i % 3 = 0 THEN 'resolved' ELSE 'open' END,
                                  'opened_date', to_char(CAST(:last AS date) - (i % 365), 'YYYY-MM-DD'),
                                  'due_date', to_char(CAST(:last AS date) - (i % 365) + 15, 'YYYY-MM-DD'),
                                  'resolved_date', CASE WHEN i % 3 = 0
                                      THEN to_char(CAST(:last AS date) - (i % 365) + 5, 'YYYY-MM-DD') END),
               '{}'::jsonb, 1, 'active', g.path, g.code, now(), now()
        FROM generate_series(1, :persons / 50) AS i JOIN bench_grids g ON g.idx = i % :grids"""),
        params | {"cases": ids["followups"]})
    session.execute(text("""
        INSERT INTO registry_events (dataset_id, entity_id, kind, version, unit_path, event_date, source_type,
                                     detail, at)
        SELECT dataset_id, id, 'created', 1, unit_path, properties ->> 'opened_date', 'import', '{}'::jsonb, now()
        FROM entities WHERE dataset_id = :cases"""), {"cases": ids["followups"]})
    session.execute(text("""
        INSERT INTO entities (uuid, dataset_id, label, properties, sealed, version, status, unit_path, grid_code,
                              created_at, updated_at)
        SELECT md5('s' || i)::uuid::text, :services, '服务' || i,
               jsonb_build_object('service_type',
                                  (ARRAY['information','policy','legal_publicity','business','relief'])[1 + i % 5],
                                  'service_date', to_char(CAST(:last AS date) - (i % 365), 'YYYY-MM-DD'),
                                  'people_served', 1 + i % 7),
               '{}'::jsonb, 1, 'active', g.path, g.code, now(), now()
        FROM generate_series(1, :persons / 100) AS i JOIN bench_grids g ON g.idx = i % :grids"""),
        params | {"services": ids["services"]})
    session.commit()


def vacuum(engine: Engine) -> None:
    """VACUUM ANALYZE, as autovacuum would after a load: statistics, and the visibility map index-only scans need."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def goal(label: str, seconds: float, target: float) -> None:
    """Print one time with its goal."""
    print(f"{label:<58} {seconds:>8.2f} s   goal <= {target:g} s   {'PASS' if seconds <= target else 'MISS'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=FULL_PERSONS)
    parser.add_argument("--events", type=int, default=None, help="default: 10 per person")
    parser.add_argument("--reuse", action="store_true", help=f"measure on the existing {DB} (no reload)")
    parser.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    events = args.events or args.persons * 10
    url = args.pg_admin_url.rsplit("/", 1)[0] + "/" + DB if args.reuse else fresh_database(args.pg_admin_url, DB)
    settings = Settings(database_url=url, media_root=Path("/tmp/gridreg-bench-media"), secret_key="bench",
                        encryption_key=KEY, demo=True, log_json=False)
    engine = make_engine(settings)
    maker = session_factory(engine)
    print(f"gridreg report benchmark: machine {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if not args.reuse:
        migrate.upgrade(engine)
        with maker() as session:
            load_demo(session, settings)
            session.commit()
        t0 = time.perf_counter()
        with maker() as session:
            load(session, args.persons, events)
        vacuum(engine)
        print(f"loaded {args.persons:,} persons and {events:,} events (+ as many versions) "
              f"in {time.perf_counter() - t0:.1f} s")
    with maker() as session:
        counts = session.execute(text("SELECT (SELECT count(*) FROM entities), (SELECT count(*) FROM registry_events),"
                                      " (SELECT count(*) FROM entity_versions)")).one()
        units = session.scalar(select(func.count()).select_from(AdminUnit))
        township = session.scalar(select(AdminUnit.code).where(AdminUnit.level == "township")
                                  .order_by(AdminUnit.code).limit(1))
    print(f"registry: {counts[0]:,} entities, {counts[1]:,} events, {counts[2]:,} versions; {units} units")
    scale = max(FULL_EVENTS / max(counts[1], 1), FULL_PERSONS / max(args.persons, 1))
    timings = {}
    for label, unit in (("city", None), (f"township {township}", township)):
        with maker() as session:
            t0 = time.perf_counter()
            laps: list[tuple[str, float]] = []
            rows = run_monthly(session, settings, PERIOD, now=NOW, unit_code=unit, trigger="cli",
                               progress=lambda step, laps=laps: laps.append((step, time.perf_counter())))
            session.commit()
            timings[label] = time.perf_counter() - t0
            top = rows[0].figures
        marks = [t0, *(at for _, at in laps)]
        print(f"  {label} steps (s): " + ", ".join(f"{step} {marks[i + 1] - marks[i]:.2f}"
                                                   for i, (step, _) in enumerate(laps)))
        print(f"  {label}: {len(rows)} units, {top['persons_present']:,} present, {top['arrivals']:,} arrivals, "
              f"{top['visits']:,} visits, {top['not_visited_90d']:,} not visited 90d, {top['cases_new']:,} new cases")
    city, town = timings["city"], timings[f"township {township}"]
    goal(f"monthly report, all {units} units of the city", city, CITY_GOAL)
    goal("monthly report, one township", town, TOWNSHIP_GOAL)
    if scale > 1.01:
        print(f"scaled x{scale:.1f} to {FULL_PERSONS:,} persons / {FULL_EVENTS:,} events (linear):")
        goal("  city, extrapolated", city * scale, CITY_GOAL)
        goal("  township, extrapolated", town * scale, TOWNSHIP_GOAL)
    engine.dispose()


if __name__ == "__main__":
    main()
