"""Exports and feed benchmark on PostgreSQL: synthetic persons bulk-loaded, then the figures of issue 15.

    .venv/bin/python benchmarks/exports.py [--persons 1000000] [--pg-admin-url URL] [--reuse]

Creates ``gridreg_bench_exports`` afresh (migrations + demo city) and loads
the persons with COPY exactly as benchmarks/registry.py does (each with its
version and its ``created`` event). Each measurement then runs in a fresh
Python process, so its peak RSS is the export's own: the persons dataset as
CSV and as XLSX through the export job (as the police department: its
purpose's columns, ID and phone numbers opened from their seals, i.e. the
heaviest path), and a new subscriber replaying the whole change feed from
cursor zero, each page rendered as the JSON text the API sends. RSS is
printed after the first page and at the end: flat memory means the two stay
close whatever the size. The client's own CPU time is printed beside the
wall time: on a shared machine the wall time mostly measures the queue for a
core. Goals: CSV ≥ 50,000 rows/s, XLSX
≥ 10,000 rows/s, 1M events replayed ≤ 60 s (scaled to the events loaded).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, event, select, text  # noqa: E402

from benchmarks.registry import KEY, core_speed, goal, load_persons  # noqa: E402
from server import migrate  # noqa: E402
from server.db import make_engine, session_factory  # noqa: E402
from server.demo import load_demo  # noqa: E402
from server.geo.models import AdminUnit  # noqa: E402
from server.sealing.crypto import Sealer  # noqa: E402
from server.settings import Settings  # noqa: E402

DB = "gridreg_bench_exports"
MEDIA = Path("/tmp/gridreg-bench-exports-media")
EXPORTER = "police"  # default --as: full ID and phone numbers opened from their seals, the heaviest path


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    return _status_mb("VmRSS:")


def _peak_mb() -> float:
    # VmHWM starts afresh at exec; getrusage's ru_maxrss does not (Linux keeps the forking parent's peak, and
    # the parent that loaded a million persons is far bigger than any measurement).
    return _status_mb("VmHWM:") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ServerCpu:
    """CPU time of the PostgreSQL backends serving this process's connections (read from /proc: the server
    runs on this machine), so the database's share is a figure less noisy than the wall time."""

    def __init__(self, engine: Any) -> None:
        self.pids: set[int] = set()

        @event.listens_for(engine, "connect")
        def _backend(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pids.add(int(cursor.fetchone()[0]))
            dbapi_connection.rollback()

    def seconds(self) -> float:
        """CPU seconds used so far by the backends still running."""
        total = 0.0
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total


def _settings(url: str) -> Settings:
    return Settings(database_url=url, media_root=MEDIA, secret_key="bench", encryption_key=KEY, demo=True,
                    log_json=False)


def measure_export(url: str, fmt: str, exporter: str = EXPORTER) -> dict[str, float]:
    """One export through the job, in this (fresh) process."""
    from server import worker
    from server.accounts.models import User
    from server.db import job_session
    from server.exports import service
    from server.exports.jobs import run_export
    from server.exports.models import Export

    settings = _settings(url)
    engine = make_engine(settings)
    server_cpu = ServerCpu(engine)
    maker = session_factory(engine)
    worker.configure(settings, engine, maker)
    with job_session(maker) as session:
        user = session.scalar(select(User).where(User.username == exporter))
        assert user is not None
        row = service.request_export(session, settings, user, service.ExportRequest("dataset", "persons", fmt, {}),
                                     datetime.now(UTC))
        session.info.pop("after_commit", None)
        export_id = row.id
    first: list[float] = []

    def progress(done: int, total: int) -> None:
        if not first:
            first.append(_rss_mb())

    started, cpu, db_cpu = time.perf_counter(), time.process_time(), server_cpu.seconds()
    run_export(export_id, progress)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    db_cpu = server_cpu.seconds() - db_cpu
    with job_session(maker) as session:
        done = session.get(Export, export_id)
        assert done is not None and done.status == "done", done.error if done else None
        size = service.file_path(settings, done).stat().st_size
        service.file_path(settings, done).unlink()
        rows = done.done
    return {"rows": rows, "seconds": seconds, "cpu_seconds": cpu, "rss_first_page_mb": first[0] if first else 0.0,
            "peak_rss_mb": _peak_mb(), "file_mb": size / 1e6, "load": os.getloadavg()[0], "db_cpu_seconds": db_cpu}


def measure_feed(url: str, exporter: str = EXPORTER) -> dict[str, float]:
    """A new subscriber replaying the whole feed from cursor zero, page by page (one transaction per page)."""
    from server.accounts.models import User
    from server.db import job_session
    from server.exports.feed import MAX_LIMIT, read_feed
    from server.registry.sync import dumps

    settings = _settings(url)
    engine = make_engine(settings)
    server_cpu = ServerCpu(engine)
    maker = session_factory(engine)
    from server import worker

    worker.configure(settings, engine, maker)
    sealer = Sealer.from_settings(settings)
    cursor, events, pages, sent = None, 0, 0, 0
    first: list[float] = []
    started, cpu, db_cpu = time.perf_counter(), time.process_time(), server_cpu.seconds()
    while True:
        with job_session(maker) as session:
            user = session.scalar(select(User).where(User.username == exporter))
            page = read_feed(session, sealer, user, cursor, MAX_LIMIT, "persons")
            body = dumps(page)  # the page as the API sends it
        events += len(page["items"])
        sent += len(body)
        pages += 1
        cursor = page["next_cursor"]
        if not first:
            first.append(_rss_mb())
        if not page["has_more"]:
            break
    return {"events": events, "pages": pages, "mb": sent / 1e6, "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu, "db_cpu_seconds": server_cpu.seconds() - db_cpu,
            "rss_first_page_mb": first[0], "peak_rss_mb": _peak_mb(), "load": os.getloadavg()[0]}


def _child(url: str, what: str, exporter: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--measure", what, "--url", url, "--as", exporter], check=True,
                         capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help=f"measure on the existing {DB} (no reload)")
    parser.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--as", dest="exporter", default=EXPORTER,
                        help="the demo account exporting and replaying (police: full values; hrss: masked)")
    parser.add_argument("--measure", choices=["csv", "xlsx", "feed"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        result = (measure_feed(args.url, args.exporter) if args.measure == "feed"
                  else measure_export(args.url, args.measure, args.exporter))
        print(json.dumps(result))
        return

    url = args.pg_admin_url.rsplit("/", 1)[0] + "/" + DB
    if not args.reuse:
        admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{DB}"'))
        admin.dispose()
    settings = _settings(url)
    engine = make_engine(settings)
    maker = session_factory(engine)
    print(f"gridreg exports benchmark (PostgreSQL) as {args.exporter}; machine: {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    print(core_speed())
    if not args.reuse:
        migrate.upgrade(engine)
        with maker() as session:
            load_demo(session, settings)
            session.commit()
            grids = list(session.scalars(select(AdminUnit).where(AdminUnit.level == "grid").order_by(AdminUnit.code)))
        t0 = time.perf_counter()
        with maker() as session:
            load_persons(session, Sealer.from_settings(settings), args.persons, grids)
        print(f"generation and load of {args.persons:,} persons: {time.perf_counter() - t0:.1f} s")
    engine.dispose()

    results: list[bool] = []
    for fmt, target in (("csv", 50_000), ("xlsx", 10_000)):
        r = _child(url, fmt, args.exporter)
        print(f"{fmt}: {r['rows']:,.0f} rows in {r['seconds']:.1f} s ({r['cpu_seconds']:.1f} s of this process's CPU: "
              f"{r['rows'] / r['cpu_seconds']:,.0f} rows per CPU second; the database's backend "
              f"{r['db_cpu_seconds']:.1f} s of CPU), file {r['file_mb']:.0f} MB; "
              f"RSS after the first page {r['rss_first_page_mb']:.0f} MB, peak {r['peak_rss_mb']:.0f} MB; "
              f"load average {r['load']:.1f}")
        results.append(goal(f"export persons to {fmt.upper()}", r["rows"] / r["seconds"], target, "rows/s",
                            higher_is_better=True))
    r = _child(url, "feed", args.exporter)
    print(f"feed: {r['events']:,.0f} events in {r['pages']:.0f} pages ({r['mb']:.0f} MB of JSON), {r['seconds']:.1f} s "
          f"({r['cpu_seconds']:.1f} s of this process's CPU, {r['db_cpu_seconds']:.1f} s of its database backends'); "
          f"RSS after the first page {r['rss_first_page_mb']:.0f} MB, peak {r['peak_rss_mb']:.0f} MB; "
          f"load average {r['load']:.1f}")
    per_million = r["seconds"] * 1_000_000 / max(r["events"], 1)
    results.append(goal("feed replay, scaled to 1M events", per_million, 60, "s"))
    print("ALL GOALS MET" if all(results) else "SOME GOALS MISSED")


if __name__ == "__main__":
    main()
