"""Import benchmark on PostgreSQL: a police-platform CSV of N persons through the import job.

    .venv/bin/python benchmarks/imports.py [--rows 100000] [--pg-admin-url URL] [--profile]

Creates the database ``gridreg_import_bench`` afresh (migrations + demo city),
writes a GB18030 CSV of N persons (valid ID numbers, Hui and Uyghur names, the
demo grids, a tenth without an ID number so the candidate search runs), and
times, through ``create_import`` + ``run_import`` exactly as the worker runs
them: the first import, the same file again (every row unchanged), and a
re-export with one field changed in a tenth of the rows (updates). Prints each
figure, the rate, the 100k extrapolation against the goal (100k rows ≤ 60 s)
and the peak RSS.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import csv
import io
import os
import pstats
import random
import resource
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, select  # noqa: E402

from benchmarks.registry import backend_cpu, core_speed, fresh_database  # noqa: E402
from server import migrate, worker  # noqa: E402
from server.accounts.models import User  # noqa: E402
from server.db import make_engine, session_factory  # noqa: E402
from server.demo import load_demo  # noqa: E402
from server.domain import resident_id  # noqa: E402
from server.geo.models import AdminUnit  # noqa: E402
from server.imports import jobs, service  # noqa: E402
from server.imports.models import ImportJob  # noqa: E402
from server.settings import Settings  # noqa: E402

DB = "gridreg_import_bench"
KEY = base64.urlsafe_b64encode(b"bench-key-bench-key-bench-key-32").decode()
GOAL_ROWS, GOAL_SECONDS = 100_000, 60.0
SURNAMES = "马 马 马 白 海 丁 穆 哈 沙 纳 米 金 铁 冶 撒".split()
GIVEN = "小晓红明华建国军伟芳娜敏静丽强磊洋勇艳杰娟涛超秀英海兰梅福贵平学文志成玉凤霞荣德"
UYGHUR = "买买提 艾力 阿卜杜拉 吐尔逊 阿依古丽 古丽娜尔 热依拉 努尔 阿不都 依明 帕提古丽 艾尔肯".split()
COUNTIES = ("640104", "640122", "620102", "622921", "650102", "650104", "410102", "622901")
HEADER = ["full_name", "resident_id", "sex", "ethnicity", "birth_date", "phone", "origin_county", "arrival_date",
          "current_address", "grid"]



def people(count: int, grids: list[str], seed: int = 11) -> list[dict[str, str]]:
    """Deterministic synthetic persons with unique valid ID numbers (a tenth without one)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out = []
    for n in range(count):
        uyghur = rng.random() < 0.3
        name = (f"{rng.choice(UYGHUR)}·{rng.choice(UYGHUR)}" if uyghur
                else rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))))
        while True:
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
            first17 = f"{rng.choice(COUNTIES)}{born:%Y%m%d}{rng.randrange(1000):03d}"
            if first17 not in seen:
                seen.add(first17)
                break
        out.append({
            "full_name": name, "resident_id": "" if n % 10 == 9 else first17 + resident_id.check_char(first17),
            "sex": str(int(first17[-1]) % 2 or 2), "ethnicity": "05" if uyghur else "03",
            "birth_date": born.isoformat(), "phone": f"13{rng.randrange(10**9):09d}", "origin_county": first17[:6],
            "arrival_date": (date(2020, 1, 1) + timedelta(days=rng.randrange(2000))).isoformat(),
            "current_address": f"新郑市{rng.randrange(1, 300)}号院{rng.randrange(1, 30)}栋", "grid": rng.choice(grids)})
    return out


def csv_gb18030(rows: list[dict[str, str]]) -> bytes:
    """The rows as a Windows export: GB18030, CRLF."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, HEADER, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("gb18030")


def run(settings: Settings, maker: object, data: bytes, label: str) -> tuple[float, dict[str, int]]:
    """Accept and import one file; (seconds, counts). Prints the client's and PostgreSQL's CPU."""
    engine = maker.kw["bind"]  # type: ignore[attr-defined]
    backends: dict[int, float] = {}  # PostgreSQL backend pid -> its CPU seconds when first used here

    def checkout(dbapi_connection: Any, *_: Any) -> None:
        pid = dbapi_connection.info.backend_pid
        backends.setdefault(pid, backend_cpu(pid))

    event.listen(engine.pool, "checkout", checkout)
    try:
        return _run(settings, maker, data, label, backends)
    finally:
        event.remove(engine.pool, "checkout", checkout)


def _run(settings: Settings, maker: object, data: bytes, label: str,
         backends: dict[int, float]) -> tuple[float, dict[str, int]]:
    with maker() as session:  # type: ignore[operator]
        admin = session.scalar(select(User).where(User.username == "admin"))
        t0, cpu0 = time.perf_counter(), time.process_time()
        job = service.create_import(session, settings, admin, dataset="persons", source="police-platform",
                                    filename=f"{label}.csv", data=data, now=datetime.now(UTC), enqueue=False)
        session.commit()
        import_id = job.id
    jobs.run_import(import_id)
    seconds = time.perf_counter() - t0
    server = sum(backend_cpu(pid) - before for pid, before in backends.items())
    print(f"  ({label}: client CPU {time.process_time() - cpu0:.1f} s, PostgreSQL CPU {server:.1f} s, "
          f"of {seconds:.1f} s wall)")
    with maker() as session:  # type: ignore[operator]
        done = session.get(ImportJob, import_id)
        assert done is not None and done.status == "done", done and done.error
        return seconds, dict(done.counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=GOAL_ROWS)
    parser.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--profile", action="store_true", help="cProfile the first import and print the top")
    parser.add_argument("--db", default=DB, help=f"the benchmark's database (default {DB})")
    args = parser.parse_args()
    url = fresh_database(args.pg_admin_url, args.db)
    settings = Settings(database_url=url, media_root=Path("/tmp/gridreg-import-bench"),
                        secret_key="bench", encryption_key=KEY, demo=True, log_json=False)
    engine = make_engine(settings)
    migrate.upgrade(engine)
    maker = session_factory(engine)
    worker.configure(settings, engine, maker)
    with maker() as session:
        load_demo(session, settings)
        session.commit()
        grids = list(session.scalars(select(AdminUnit.code).where(AdminUnit.level == "grid")))
    rows = people(args.rows, grids)
    first = csv_gb18030(rows)
    changed = csv_gb18030([{**r, "current_address": r["current_address"] + "（新）"} if i % 10 == 0 else r
                           for i, r in enumerate(rows)])
    print(f"gridreg import benchmark: {args.rows:,} rows, {len(first) / 1e6:.1f} MB GB18030 CSV, "
          f"{len(grids)} demo grids (PostgreSQL)")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    print(core_speed())
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    seconds, counts = run(settings, maker, first, "first")
    if profiler:
        profiler.disable()
    rate = args.rows / seconds
    print(f"first import        {seconds:8.1f} s  {rate:8.0f} rows/s  {counts}")
    again, counts_again = run(settings, maker, first, "again")
    print(f"same file again     {again:8.1f} s  {args.rows / again:8.0f} rows/s  {counts_again}")
    update, counts_update = run(settings, maker, changed, "changed")
    print(f"re-export, 10% changed {update:5.1f} s  {args.rows / update:8.0f} rows/s  {counts_update}")
    projected = GOAL_ROWS / rate
    verdict = "PASS" if projected <= GOAL_SECONDS else "MISS"
    print(f"first import of {GOAL_ROWS:,} rows (at {rate:.0f} rows/s) {projected:8.1f} s   goal <= {GOAL_SECONDS:g} s "
          f"{verdict}{'' if args.rows == GOAL_ROWS else ' (extrapolated)'}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, "
          f"load average {os.getloadavg()[0]:.1f} at end")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"/server/", 40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    engine.dispose()


if __name__ == "__main__":
    main()
