"""Registry benchmark on PostgreSQL: 1M synthetic persons over the demo grids, then the figures that matter.

    .venv/bin/python benchmarks/registry.py [--persons 1000000] [--pg-admin-url URL]

Creates the database ``gridreg_bench`` afresh (migrations + demo city), loads
the persons with COPY (realistic names, an ethnic mix weighted to Hui and
Uyghur, valid GB 11643 ID numbers, sealed and hashed exactly as the merge
does), then prints each figure with its goal and PASS/MISS:

- merge throughput: one process, one transaction per submission (new
  registrations, visits, re-registrations of known ID numbers);
- ID lookup p95, fuzzy candidate search p95, scoped list page p95;
- full sync of a ~100k-entity scope and a 100-change delta.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, event, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from server import migrate  # noqa: E402
from server.accounts.models import User, UserScope  # noqa: E402
from server.db import make_engine, session_factory  # noqa: E402
from server.demo import load_demo  # noqa: E402
from server.domain import pinyin  # noqa: E402
from server.domain.datasets import PropertyType  # noqa: E402
from server.geo.models import AdminUnit  # noqa: E402
from server.registry import candidates, dedup, service, store, sync  # noqa: E402
from server.registry.batch import merge_batch  # noqa: E402
from server.registry.merge import SubmissionEssentials, merge_submission_data  # noqa: E402
from server.sealing.crypto import Sealer  # noqa: E402
from server.sealing.masking import mask_value  # noqa: E402
from server.settings import Settings  # noqa: E402

DB = "gridreg_bench"
KEY = base64.urlsafe_b64encode(b"bench-key-bench-key-bench-key-32").decode()

HUI_SURNAMES = "马 马 马 马 白 白 海 丁 穆 哈 沙 纳 米 李 王 张 刘 杨 金 铁 喇 冶 撒".split()
HAN_SURNAMES = "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 罗 梁".split()
GIVEN_CHARS = "小晓红明华建国军伟芳娜敏静丽强磊洋勇艳杰娟涛超秀英海兰梅福贵平学文志成玉凤霞荣德"
UYGHUR_GIVEN = (
    "买买提 艾力 阿卜杜拉 吐尔逊 阿依古丽 古丽娜尔 热依拉 努尔 阿不都 依明 帕提古丽 艾尔肯 "
    "迪丽拜尔 克里木 麦麦提 吾买尔 祖丽皮亚 阿迪力"
).split()
# (ethnicity code, weight, provinces of origin, naming style)
ETHNIC_MIX = [
    ("03", 45, ("64", "62", "41", "63", "13"), "hui"),
    ("05", 20, ("65",), "uyghur"),
    ("02", 4, ("15",), "han"),
    ("04", 4, ("54", "63", "51"), "han"),
    ("06", 4, ("52", "43"), "han"),
    ("07", 3, ("53", "51"), "han"),
    ("08", 4, ("45",), "han"),
    ("11", 5, ("21", "22", "23"), "han"),
    ("15", 3, ("43", "42"), "han"),
    ("17", 3, ("65",), "uyghur"),
    ("34", 2, ("62",), "hui"),
    ("35", 2, ("63",), "hui"),
    ("01", 1, ("41",), "han"),
]


def goal(label: str, value: float, target: float, unit: str, higher_is_better: bool = False) -> bool:
    """Print one figure with its goal and PASS/MISS."""
    ok = value >= target if higher_is_better else value <= target
    sign = ">=" if higher_is_better else "<="
    print(f"{label:<44} {value:>10.1f} {unit:<6} goal {sign} {target:g} {unit:<6} {'PASS' if ok else 'MISS'}")
    return ok


def core_speed() -> str:
    """A fixed pure-Python workload (decoding one person's JSON 20,000 times), timed on this process's CPU clock.

    Printed beside a benchmark's figures so that runs on a shared machine can
    be compared: the busier the cores (and their caches), the longer it takes.
    """
    text = json.dumps({"full_name": "马小红", "resident_id": "640104**********11", "sex": "2", "ethnicity": "03",
                        "birth_date": "1985-06-12", "phone": "138****0001", "origin_county": "640104",
                        "arrival_date": "2026-03-01", "current_address": "和庄镇幸福路1号"}, ensure_ascii=False)
    started = time.process_time()
    for _ in range(20_000):
        json.loads(text)
    return f"core speed: {(time.process_time() - started) * 1e6 / 20_000:.1f} µs of CPU per record decoded"


def p95(samples: list[float]) -> float:
    """95th percentile in milliseconds."""
    return statistics.quantiles(samples, n=20)[-1] * 1000 if len(samples) > 1 else samples[0] * 1000


# --------------------------------------------------------------------------- synthetic people


@cache
def _counties() -> dict[str, list[str]]:
    root = Path(__file__).resolve().parents[1] / "server" / "data" / "china-division-2023" / "areas.csv"
    by_province: dict[str, list[str]] = {}
    with root.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_province.setdefault(row["provinceCode"], []).append(row["code"])
    return by_province


@cache
def _name_keys(name: str) -> tuple[str, str, str]:
    cleaned = pinyin.clean_name(name)
    return cleaned, pinyin.full_pinyin(cleaned), pinyin.initials(cleaned)


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


class People:
    """Deterministic synthetic persons with unique, valid ID numbers, drawn from pools for speed."""

    def __init__(self, seed: int = 7, pool: int = 6000) -> None:
        self.rng = random.Random(seed)
        self.ids: set[str] = set()
        self.mix = [m for m in ETHNIC_MIX for _ in range(m[1])]
        self.names = {style: [self.name(style) for _ in range(pool)] for style in ("hui", "uyghur", "han")}
        self.days = [(date(1950, 1, 1) + timedelta(days=d)).strftime("%Y%m%d") for d in range(365 * 55)]
        self.arrivals = [(date(2020, 1, 1) + timedelta(days=d)).isoformat() for d in range(2000)]

    def name(self, style: str) -> str:
        rng = self.rng
        if style == "uyghur":
            return f"{rng.choice(UYGHUR_GIVEN)}·{rng.choice(UYGHUR_GIVEN)}"
        surname = rng.choice(HUI_SURNAMES if style == "hui" else HAN_SURNAMES)
        return surname + "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))

    def person(self) -> dict[str, Any]:
        rng = self.rng
        code, _, provinces, style = rng.choice(self.mix)
        county = rng.choice(_counties()[rng.choice(provinces)])
        while True:
            born = rng.choice(self.days)
            seq = rng.randrange(0, 1000)
            first17 = f"{county}{born}{seq:03d}"
            number = first17 + _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]
            if number not in self.ids:
                self.ids.add(number)
                break
        return {
            "full_name": rng.choice(self.names[style]),
            "resident_id": number,
            "sex": "1" if seq % 2 else "2",
            "ethnicity": code,
            "birth_date": f"{born[:4]}-{born[4:6]}-{born[6:]}",
            "phone": f"1{rng.choice('3456789')}{rng.randrange(0, 10**9):09d}",
            "origin_county": county,
            "arrival_date": rng.choice(self.arrivals),
            "current_address": f"东街{rng.randrange(1, 300)}号",
            "residence_type": "rent",
            "reason": "work",
            "residence_status": "resident",
        }


# --------------------------------------------------------------------------- setup and load


def fresh_database(admin_url: str, name: str = DB) -> str:
    """Drop and create a benchmark's own database (gridreg_bench unless named); return its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def load_persons(session: Session, sealer: Sealer, count: int, grids: list[AdminUnit]) -> None:
    """COPY ``count`` persons (entity, version 1 and a created event each) in batches."""
    ds = store.get_dataset(session, "persons")
    session.commit()
    people = People()
    raw = session.connection().connection.driver_connection
    assert raw is not None
    now = datetime.now(UTC)
    cols_e = (
        "id",
        "uuid",
        "dataset_id",
        "label",
        "properties",
        "sealed",
        "version",
        "status",
        "unit_path",
        "grid_code",
        "name_key",
        "name_pinyin",
        "name_initials",
        "block_key",
        "birth_date",
        "origin_code",
        "ethnicity",
        "arrival_date",
        "id_hash",
        "phone_hash",
        "created_at",
        "updated_at",
    )
    cols_v = (
        "entity_id",
        "version",
        "label",
        "properties",
        "sealed",
        "changed",
        "unit_path",
        "source_type",
        "source_id",
        "created_at",
    )
    cols_ev = (
        "dataset_id",
        "entity_id",
        "kind",
        "version",
        "unit_path",
        "event_date",
        "source_type",
        "source_id",
        "detail",
        "at",
    )
    started, batch = time.perf_counter(), 50_000
    for offset in range(0, count, batch):
        rows_e, rows_v, rows_ev = [], [], []
        for i in range(offset + 1, min(count, offset + batch) + 1):
            p = people.person()
            grid = grids[i % len(grids)]
            cleaned, full, inits = _name_keys(p["full_name"])
            plain = dict(p)
            plain["name_pinyin"] = full
            plain["resident_id"] = mask_value(PropertyType.CN_RESIDENT_ID, p["resident_id"])
            plain["phone"] = mask_value(PropertyType.PHONE, p["phone"])
            sealed = json.dumps(
                {"resident_id": sealer.seal("resident_id", p["resident_id"]), "phone": sealer.seal("phone", p["phone"])}
            )
            props = json.dumps(plain, ensure_ascii=False)
            instance = f"uuid:{uuid.UUID(int=people.rng.getrandbits(128), version=4)}"
            rows_e.append(
                (
                    i,
                    str(uuid.UUID(int=people.rng.getrandbits(128), version=4)),
                    ds.id,
                    p["full_name"],
                    props,
                    sealed,
                    1,
                    "active",
                    grid.path,
                    grid.code,
                    cleaned,
                    full,
                    inits,
                    inits + p["birth_date"][:4],
                    p["birth_date"],
                    p["origin_county"],
                    p["ethnicity"],
                    p["arrival_date"],
                    sealer.digest("resident_id", p["resident_id"]),
                    sealer.digest("phone", p["phone"]),
                    now,
                    now,
                )
            )
            rows_v.append(
                (i, 1, p["full_name"], props, sealed, json.dumps(sorted(plain)), grid.path, "import", instance, now)
            )
            rows_ev.append(
                (
                    ds.id,
                    i,
                    "created",
                    1,
                    grid.path,
                    p["arrival_date"],
                    "import",
                    instance,
                    json.dumps({"arrival": True}),
                    now,
                )
            )
        with raw.cursor() as cur:
            for table, cols, rows in (
                ("entities", cols_e, rows_e),
                ("entity_versions", cols_v, rows_v),
                ("registry_events", cols_ev, rows_ev),
            ):
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        raw.commit()
        done = min(count, offset + batch)
        print(f"  loaded {done:>9,} persons  ({done / (time.perf_counter() - started):,.0f}/s)", flush=True)
    with raw.cursor() as cur:
        for table, key in (("entities", "id"), ("entity_versions", "id"), ("registry_events", "cursor")):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), (SELECT max({key}) FROM {table}))")
        cur.execute("ANALYZE")
    raw.commit()


# --------------------------------------------------------------------------- measurements


def timed(samples: list[float], fn: Callable[[], Any]) -> Any:
    """Run fn, append its duration."""
    t0 = time.perf_counter()
    result = fn()
    samples.append(time.perf_counter() - t0)
    return result


def merge_jobs(n: int, known: list[tuple[str, str]], seed: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """A realistic mix: 50% new registrations, 30% visits, 20% re-registrations of known ID numbers."""
    people = People(seed=seed)
    registration = {
        "dataset": "persons",
        "label": "${full_name}",
        "save_to": {
            k: k
            for k in (
                "full_name",
                "resident_id",
                "sex",
                "ethnicity",
                "birth_date",
                "phone",
                "origin_county",
                "arrival_date",
                "current_address",
                "geometry",
            )
        },
    }
    visit = {
        "dataset": "persons",
        "entity_id": "${person}",
        "save_to": {"visit_date": "last_visit_date", "visit_type": "last_visit_type"},
    }
    jobs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    rng = random.Random(seed)
    for i in range(n):
        kind = i % 10
        if kind < 5:
            p = people.person()
            p["geometry"] = "34.40 113.74 0 5"
            jobs.append((registration, p))
        elif kind < 8:
            jobs.append((visit, {"person": rng.choice(known)[0], "visit_date": "2026-11-20", "visit_type": "home"}))
        else:
            p = people.person()
            p["resident_id"] = rng.choice(known)[1]
            jobs.append((registration, p))
    return jobs


def merge_throughput(
    maker: Any, sealer: Sealer, worker: User, jobs: list[tuple[dict[str, Any], dict[str, Any]]], batch: int
) -> float:
    """Submissions merged per second in one process: ``batch`` per transaction, merged by the batch merge when > 1."""
    now = datetime.now(UTC)
    path = worker.scopes[0].unit.path
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    engine = maker.kw["bind"]
    backends: dict[int, float] = {}  # PostgreSQL backend pid -> its CPU seconds when first used here

    def checkout(dbapi_connection: Any, *_: Any) -> None:
        pid = dbapi_connection.info.backend_pid
        backends.setdefault(pid, backend_cpu(pid))

    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine.pool, "checkout", checkout)
    cpu = time.process_time()
    started = time.perf_counter()
    for start in range(0, len(jobs), batch):
        with maker() as session:
            essentials = [
                SubmissionEssentials(
                    instance_id=f"uuid:{uuid.uuid4()}",
                    entities=block,
                    data=data,
                    submitter_id=worker.id,
                    received_at=now,
                    unit_path=path,
                )
                for block, data in jobs[start : start + batch]
            ]
            if batch == 1:
                merge_submission_data(session, essentials[0], sealer)
            else:
                refused = [r for r in merge_batch(session, essentials, sealer) if isinstance(r, Exception)]
                assert not refused, refused
            session.commit()
    elapsed = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", count)
    event.remove(engine.pool, "checkout", checkout)
    server = sum(backend_cpu(pid) - before for pid, before in backends.items())
    print(f"  {len(jobs)} submissions, batch {batch}: {statements[0] / len(jobs):.1f} SQL statements, "
          f"{(time.process_time() - cpu) * 1000 / len(jobs):.2f} ms of client CPU and "
          f"{server * 1000 / len(jobs):.2f} ms of PostgreSQL CPU per submission")
    return len(jobs) / elapsed


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) a local PostgreSQL backend has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profile_merges(maker: Any, sealer: Sealer, worker: User, jobs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """An extra batched pass under cProfile: our functions by inclusive time, then the busiest leaves."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    merge_throughput(maker, sealer, worker, jobs, 100)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"/server/", 30)
    stats.sort_stats("tottime").print_stats(20)
    print("\n".join(line[:180] for line in out.getvalue().splitlines() if line.strip()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--merges", type=int, default=2000)
    parser.add_argument("--db", default=DB, help=f"the benchmark's database (default {DB})")
    parser.add_argument("--reuse", action="store_true", help="measure on the existing database (no reload)")
    parser.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--merge-only", action="store_true", help="measure the merge throughput only")
    parser.add_argument("--seed", type=int, default=0,
                        help="vary the generated people (a rerun with --reuse otherwise registers the same ones again)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile an extra batched merge pass and print where the client CPU goes")
    args = parser.parse_args()

    url = (args.pg_admin_url.rsplit("/", 1)[0] + "/" + args.db if args.reuse
           else fresh_database(args.pg_admin_url, args.db))
    settings = Settings(
        database_url=url,
        media_root=Path("/tmp/gridreg-bench-media"),
        secret_key="bench",
        encryption_key=KEY,
        demo=True,
        log_json=False,
    )
    engine = make_engine(settings)
    if not args.reuse:
        migrate.upgrade(engine)
    maker = session_factory(engine)
    sealer = Sealer.from_settings(settings)
    from server import worker as job_worker

    job_worker.configure(settings, engine, maker)
    with maker() as session:
        load_demo(session, settings)
        session.commit()
        grids = list(session.scalars(select(AdminUnit).where(AdminUnit.level == "grid").order_by(AdminUnit.code)))
    print(f"gridreg registry benchmark: {args.persons:,} persons over {len(grids)} demo grids (PostgreSQL)")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    if args.reuse:
        with maker() as session:
            args.persons = session.scalar(text("SELECT count(*) FROM entities")) or 0
        print(f"reusing {args.db}: {args.persons:,} entities")
    else:
        t0 = time.perf_counter()
        with maker() as session:
            load_persons(session, sealer, args.persons, grids)
        print(f"generation and load: {time.perf_counter() - t0:.1f} s")

    with maker() as session:
        users = {u.username: u for u in session.scalars(select(User))}
        worker, supervisor = users["worker"], users["supervisor"]
        worker_id = worker.id
        sample = list(
            session.execute(
                select(
                    Entity.uuid, Entity.sealed, Entity.label, Entity.birth_date, Entity.origin_code, Entity.unit_path
                ).where(Entity.id.in_(random.Random(3).sample(range(1, args.persons + 1), min(500, args.persons))))
            )
        )
    known = [(row.uuid, sealer.open("resident_id", row.sealed["resident_id"])) for row in sample]
    results: list[bool] = []

    print(core_speed())
    rate = merge_throughput(maker, sealer, worker, merge_jobs(args.merges // 3, known, args.seed + 99), 1)
    goal("merge throughput, 1 transaction per submission", rate, 500, "sub/s", higher_is_better=True)
    print(f"  (load average {os.getloadavg()[0]:.1f})")
    rate = merge_throughput(maker, sealer, worker, merge_jobs(args.merges, known, args.seed + 98), 100)
    results.append(
        goal("merge throughput, batches of 100 (merge_validated)", rate, 1000, "sub/s", higher_is_better=True)
    )
    print(f"  (load average {os.getloadavg()[0]:.1f})")
    if args.profile:
        profile_merges(maker, sealer, worker, merge_jobs(min(args.merges, 1000), known, args.seed + 97))
    if args.merge_only:
        engine.dispose()
        return

    with maker() as session:
        session.add_all([worker, supervisor])
        lookups: list[float] = []
        for _, number in known[:300]:
            timed(
                lookups,
                lambda number=number: service.search(
                    session, sealer, supervisor, "persons", {"id_number": number, "limit": 20}
                ),
            )
        results.append(goal("ID lookup p95 (keyed hash, scoped)", p95(lookups), 5, "ms"))

        fuzzy: list[float] = []
        ds = store.get_dataset(session, "persons")
        for row in sample[:300]:
            variant = row.label[:-1] + "晓" if len(row.label) > 1 and "·" not in row.label else row.label
            keys = dedup.blocking_keys(variant, row.birth_date)
            cols = {
                "name_key": keys.name_key,
                "name_pinyin": keys.name_pinyin,
                "block_key": keys.block_key,
                "birth_date": row.birth_date,
                "origin_code": row.origin_code,
            }
            timed(fuzzy, lambda cols=cols: candidates.search(session, ds.id, cols))
        results.append(goal("fuzzy candidate search p95 (city-wide)", p95(fuzzy), 50, "ms"))

        pages: list[float] = []
        for user in (worker, supervisor):
            cursor = None
            for _ in range(50):
                page = timed(
                    pages,
                    lambda user=user, cursor=cursor: service.search(
                        session, sealer, user, "persons", {"limit": 50, "cursor": cursor}
                    ),
                )
                cursor = page["next_cursor"]
        for q in ("ma", "mxh", "马小", "bai"):
            timed(pages, lambda q=q: service.search(session, sealer, supervisor, "persons", {"q": q, "limit": 50}))
        results.append(goal("scoped list page p95 (50 rows)", p95(pages), 100, "ms"))
        session.rollback()

        sync_user = _sync_user(session, min(100_000, args.persons // 2))
        runs: list[float] = []
        for _ in range(3):
            t0 = time.perf_counter()
            total, cursor, more = 0, None, True
            while more:
                page = sync.sync(session, sync_user, "persons", cursor, 100_000)
                sync.dumps(page)
                total += len(page["items"])
                cursor, more = page["next_cursor"], page["has_more"]
            runs.append(time.perf_counter() - t0)
        print(f"  full sync runs: {', '.join(f'{r:.2f} s' for r in runs)}")
        results.append(goal(f"full sync of a {total:,}-entity scope (median of 3)", statistics.median(runs), 2, "s"))
        scope_uuids = list(
            session.scalars(select(Entity.uuid).where(service.scope_clause(sync_user, Entity.unit_path)).limit(100))
        )
        session.rollback()
    visit = {"dataset": "persons", "entity_id": "${person}", "save_to": {"visit_date": "last_visit_date"}}
    for entity_uuid in scope_uuids:
        with maker() as session:
            merge_submission_data(
                session,
                SubmissionEssentials(
                    instance_id=f"uuid:{uuid.uuid4()}",
                    entities=visit,
                    data={"person": entity_uuid, "visit_date": "2026-11-27"},
                    submitter_id=worker_id,
                    received_at=datetime.now(UTC),
                ),
                sealer,
            )
            session.commit()
    with maker() as session:
        sync_user = session.merge(sync_user)
        deltas: list[float] = []
        for _ in range(20):
            page = timed(deltas, lambda: sync.dumps(sync.sync(session, sync_user, "persons", cursor, 1000)))
        changes = len(json.loads(page)["items"])
        session.rollback()
    results.append(goal(f"delta sync of {changes} changes (p95)", p95(deltas), 50, "ms"))
    print(f"{sum(results)}/{len(results)} goals met (load average {os.getloadavg()[0]:.1f} at the end)")
    engine.dispose()


def _sync_user(session: Session, target: int) -> User:
    """A (committed) grid-worker-like user whose scope (whole communities) holds about ``target`` persons."""
    communities = list(
        session.execute(
            select(AdminUnit.id, AdminUnit.path).where(AdminUnit.level == "community").order_by(AdminUnit.code)
        )
    )
    counts = dict(session.execute(text("SELECT substr(unit_path, 1, 31), count(*) FROM entities GROUP BY 1")).all())
    user = User(
        username=f"bench_sync_{uuid.uuid4().hex[:6]}", display_name="sync bench", role="grid_worker", password_hash="!"
    )
    session.add(user)
    session.flush()
    total = 0
    for unit_id, path in communities:
        if total >= target:
            break
        session.add(UserScope(user_id=user.id, unit_id=unit_id))
        total += counts.get(path, 0)
    session.commit()
    session.refresh(user)
    return user


from server.registry.models import Entity  # noqa: E402

if __name__ == "__main__":
    main()
