"""Intake benchmark: submissions/s and latency through the real service, against PostgreSQL's own ceiling.

Run from the repository root:

    .venv/bin/python benchmarks/intake.py [--duration 20] [--clients 50] [--web-workers 2] [--threads 8]
                                          [--job-workers 2] [--profile] [--variants json,xml,json+photo,xml+photo]
                                          [--stored N]

It starts its own stack (tests/support/stack.py, the fault tests' harness): a throwaway PostgreSQL 15
cluster (fsync on, synchronous commit), its own Redis, gunicorn (gthread) on
the application, migrates and loads the demo (city, users, published forms).
Then, in one run:

1. PostgreSQL's raw single-row commit rate (pgbench, N connections, one INSERT
   and one commit per row): a table with the submission's JSON payload and a
   unique instance id, and a copy of the real ``submissions`` table with all
   its indexes. This is the ceiling no intake can beat.
   With ``--stored N``, N submissions are preloaded first (one INSERT ... SELECT
   copying a real one under fresh instance ids), so the figures show whether
   intake's cost stays flat as the store grows.
2. Accepted submissions/s and p50/p95/p99 per variant (JSON API and OpenRosa
   XML, without and with a ~200 KB photo), with no job worker running, so the
   figure is intake alone. The client is a separate process (asyncio over raw
   keep-alive sockets, bodies prebuilt) so it takes little CPU; the CPU every
   process used per submission (web, jobs, PostgreSQL, Redis, client) and the
   rate as a share of PostgreSQL's ceiling are printed beside each variant.
3. Sustained rate in production mode: ``gridreg worker`` processes running
   while the clients post, then the time from the first POST until every
   submission was validated and merged into the registry (or refused:
   invalid, rejected); total submissions / that time, with the accepted rate,
   p95 and the CPU of every process per submission beside it.

With ``--profile`` it samples the gunicorn workers (and the job workers) with
py-spy, only threads holding the GIL, during an extra pass per variant and
prints where the Python CPU goes. Everything it started is stopped at the end,
also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.submissions.support import registration_data  # noqa: E402
from tests.support.stack import PG_BIN, Stack, basic_auth, bearer_token, psql, stack  # noqa: E402

FORM_ID = "person_registration"
JSON_PATH = f"/api/v1/forms/{FORM_ID}/submissions"
XML_PATH = "/openrosa/submission"
IID = "00000000-0000-4000-8000-000000000000"  # placeholder, same length as every uuid4
PHOTO = "1764356400123.jpg"
FINAL = ("validated", "invalid", "merged", "rejected")
MERGED = ("invalid", "merged", "rejected")  # production mode: every valid submission merged into the registry
GOALS = {"accepted": 1000.0, "sustained": 500.0, "p95_ms": 100.0, "cpu_ms": 3.0}
REFERENCE = "ODK Central on this class of machine: ~210/s accepted, ~100/s sustained"


# ------------------------------------------------------------------------ payloads


def json_part(version: str, photo: str | None) -> bytes:
    """The JSON ``submission`` part with the instance id placeholder."""
    return json.dumps({"instance_id": IID, "form_version": version, "data": registration_data(photo=photo),
                       "meta": {"device_id": "bench-android", "start": "2026-11-28T09:00:00+08:00",
                                "end": "2026-11-28T09:10:00+08:00"}}, ensure_ascii=False).encode()


def registration_xml(version: str, photo: str | None) -> bytes:
    """The same registration as ODK Collect writes it, with the instance id placeholder."""
    photo_xml = f"<photo>{photo}</photo>" if photo else "<photo/>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f'id="{FORM_ID}" version="{version}">'
        f"<identity><full_name>阿依古丽</full_name><former_name/><id_number>650102199003072318</id_number>"
        f"<id_remainder>4</id_remainder><id_check_char>8</id_check_char><id_birth_date>1990-03-07</id_birth_date>"
        f"<id_sex>1</id_sex><sex>1</sex><ethnicity>05</ethnicity>"
        f"<birth_date>1990-03-07</birth_date><phone>13812345678</phone>{photo_xml}</identity>"
        f"<origin><origin_province>65</origin_province><origin_prefecture>6501</origin_prefecture>"
        f"<origin_county>650102</origin_county><origin_division>650102</origin_division>"
        f"<origin_address>乌鲁木齐市天山区</origin_address></origin>"
        f"<residence><arrival_date>2026-01-05</arrival_date><current_address>新郑市某小区1号楼</current_address>"
        f"<residence_type>rented</residence_type><location>34.4 113.74 0 5</location>"
        f"<permit_status>registered</permit_status></residence>"
        f"<work><reason>01</reason><reason_other/><occupation>4</occupation><employer/></work>"
        f"<family><marital_status>20</marital_status><children><child_name>小明</child_name><child_sex>1</child_sex>"
        f"<child_birth_date>2015-02-01</child_birth_date><child_status>accompanying</child_status>"
        f"<child_school_stage>primary</child_school_stage><child_school_name>一小</child_school_name></children>"
        f"<children_count>1</children_count></family>"
        f"<needs_group><needs>employment medical</needs><needs_other/><remarks/></needs_group>"
        f'<meta><instanceID>uuid:{IID}</instanceID><instanceName>阿依古丽</instanceName></meta>'
        f"</data>"
    ).encode()


def make_photo(target_bytes: int = 200_000) -> bytes:
    """A real JPEG of about ``target_bytes`` (noise compresses badly, so the size is easy to hit)."""
    from PIL import Image

    rng = random.Random(7)
    side = 200
    while True:
        noise = bytes(rng.getrandbits(8) for _ in range(side * side * 3))
        out = io.BytesIO()
        Image.frombytes("RGB", (side, side), noise).save(out, "JPEG", quality=85)
        if out.tell() >= target_bytes:
            return out.getvalue()
        side = int(side * (target_bytes / out.tell()) ** 0.5) + 8


def unique_photo(photo: bytes, marker: bytes) -> bytes:
    """The photo with a JPEG comment segment carrying ``marker`` right after SOI: distinct bytes, same image."""
    return photo[:2] + b"\xff\xfe" + (len(marker) + 2).to_bytes(2, "big") + marker + photo[2:]


class Variant:
    """How to build one request of a variant: prebuilt pieces around the instance id."""

    def __init__(self, name: str, version: str, photo: bytes | None, auth: str) -> None:
        self.name = name
        self.kind, _, extra = name.partition("+")
        self.photo = photo if extra == "photo" else None
        boundary = "gridregbench" + uuid.uuid4().hex
        if self.kind == "json":
            first = ("submission", "submission.json", "application/json",
                     json_part(version, PHOTO if self.photo else None))
            self.path = JSON_PATH
            headers = {"Authorization": auth}
        else:
            first = ("xml_submission_file", "submission.xml", "text/xml",
                     registration_xml(version, PHOTO if self.photo else None))
            self.path = XML_PATH
            headers = {"Authorization": auth, "X-OpenRosa-Version": "1.0",
                       "User-Agent": "org.odk.collect.android/v2025.2.3 okhttp/4.12.0"}
        self.boundary = boundary
        self.head_part = (f'--{boundary}\r\nContent-Disposition: form-data; name="{first[0]}"; '
                          f'filename="{first[1]}"\r\nContent-Type: {first[2]}\r\n\r\n').encode()
        self.first_pieces = first[3].split(IID.encode())
        self.photo_head = (f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="{PHOTO}"; filename="{PHOTO}"\r\n'
                           f"Content-Type: image/jpeg\r\n\r\n").encode()
        self.tail = f"\r\n--{boundary}--\r\n".encode()
        self.headers = {**headers, "Content-Type": f"multipart/form-data; boundary={boundary}",
                        "Host": "127.0.0.1", "Connection": "keep-alive"}

    def request(self, iid: str) -> bytes:
        """One full HTTP request for instance id ``iid``."""
        parts = [self.head_part, iid.encode().join(self.first_pieces)]
        if self.photo is not None:
            parts += [self.photo_head, unique_photo(self.photo, iid.encode())]
        parts.append(self.tail)
        body = b"".join(parts)
        head = f"POST {self.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in self.headers.items())
        head += f"Content-Length: {len(body)}\r\n\r\n"
        return head.encode() + body


# ------------------------------------------------------------------------ client process


async def _one_client(port: int, variant: Variant, stop_at: float, out: dict[str, Any]) -> None:
    """One keep-alive connection posting submissions back to back until ``stop_at``."""
    reader = writer = None
    while time.monotonic() < stop_at:
        iid = str(uuid.uuid4())
        request = variant.request(iid)
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert reader is not None
            writer.write(request)
            await writer.drain()
            status_line = await reader.readuntil(b"\r\n")
            status = int(status_line.split(b" ", 2)[1])
            length, close = 0, False
            while True:
                line = await reader.readuntil(b"\r\n")
                if line == b"\r\n":
                    break
                name, _, value = line.decode("latin-1").partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            if length:
                await reader.readexactly(length)
            if close:
                writer.close()
                reader = writer = None
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            out["errors"][type(exc).__name__] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.05)
            continue
        elapsed = time.perf_counter() - started
        out["status"][status] += 1
        if status in (200, 201):
            out["latencies"].append(elapsed)
            out["accepted_ids"] += 1
    if writer is not None:
        writer.close()


def client_process(port: int, variant_args: tuple[str, str, bytes | None, str], clients: int, duration: float,
                   results: Any) -> None:
    """Run ``clients`` concurrent keep-alive clients for ``duration`` s and report through ``results``."""
    variant = Variant(*variant_args)
    out: dict[str, Any] = {"status": Counter(), "errors": Counter(), "latencies": [], "accepted_ids": 0}

    async def main() -> tuple[float, float]:
        started = time.monotonic()
        stop_at = started + duration
        await asyncio.gather(*(_one_client(port, variant, stop_at, out) for _ in range(clients)))
        return started, time.monotonic()

    t0 = time.process_time()
    started, ended = asyncio.run(main())
    results.put({"status": dict(out["status"]), "errors": dict(out["errors"]), "latencies": out["latencies"],
                 "wall": ended - started, "client_cpu": time.process_time() - t0})


def drive(port: int, variant_args: tuple[str, str, bytes | None, str], clients: int, duration: float) -> dict[str, Any]:
    """Run the client in its own process and collect its report."""
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    proc = ctx.Process(target=client_process, args=(port, variant_args, clients, duration, results), daemon=True)
    proc.start()
    try:
        report = results.get(timeout=duration + 120)
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
    return dict(report)


# ------------------------------------------------------------------------ CPU accounting


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (ppid, cpu seconds of the process plus its reaped children)."""
    tick = os.sysconf("SC_CLK_TCK")
    table: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                raw = fh.read()
        except OSError:
            continue
        fields = raw[raw.rfind(")") + 2:].split()
        # fields[0] is state: ppid=1, utime=11, stime=12, cutime=13, cstime=14
        table[int(entry)] = (int(fields[1]), sum(int(x) for x in fields[11:15]) / tick)
    return table


def cpu_by_group(roots: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds used so far by each named group of process trees."""
    table = _proc_table()
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (ppid, _) in table.items():
        children[ppid].append(pid)
    totals: dict[str, float] = {}
    for name, pids in roots.items():
        seen: set[int] = set()
        stack_ = [p for p in pids if p in table]
        while stack_:
            pid = stack_.pop()
            if pid in seen:
                continue
            seen.add(pid)
            stack_.extend(children.get(pid, []))
        totals[name] = sum(table[p][1] for p in seen)
    return totals


def process_roots(st: Stack) -> dict[str, list[int]]:
    """The process trees of the stack by role."""
    assert st.pg is not None and st.web is not None
    postmaster = int((st.pg.data / "postmaster.pid").read_text().split()[0])
    roots = {"gunicorn": [st.web.pid], "postgres": [postmaster], "workers": [w.pid for w in st.workers]}
    if st.redis is not None and st.redis.proc is not None:
        roots["redis"] = [st.redis.proc.pid]
    return roots


# ------------------------------------------------------------------------ PostgreSQL ceiling


def pg_ceiling(st: Stack, connections: int, seconds: float, payload: bytes) -> dict[str, float]:
    """Rows/s PostgreSQL commits one INSERT per transaction from ``connections`` pgbench clients."""
    assert st.pg is not None
    url = st.database_url
    psql(url, "DROP TABLE IF EXISTS bench_ceiling; CREATE TABLE bench_ceiling (id bigserial PRIMARY KEY, "
              "instance_id text NOT NULL UNIQUE, data jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())")
    psql(url, "DROP TABLE IF EXISTS bench_submissions; CREATE TABLE bench_submissions "
              "(LIKE submissions INCLUDING INDEXES INCLUDING CONSTRAINTS); "
              "CREATE SEQUENCE IF NOT EXISTS bench_submissions_seq; "
              "ALTER TABLE bench_submissions ALTER COLUMN id SET DEFAULT nextval('bench_submissions_seq')")
    # pgbench reads ":name" as a variable: the colon inside sealed tokens ("<key id>:<base64>") becomes "-"
    # (same length); the JSON's own ": " separators are left alone.
    literal = re.sub(r":(?=[A-Za-z0-9_])", "-", payload.decode()).replace("'", "''")
    sample = psql(url, "SELECT id FROM submissions ORDER BY id LIMIT 1")
    scripts = {"plain": f"INSERT INTO bench_ceiling (instance_id, data) VALUES "
                        f"('uuid:' || gen_random_uuid(), '{literal}'::jsonb);\n"}
    if sample:
        cols = [r[0] for r in psql(url, "SELECT column_name FROM information_schema.columns WHERE "
                                       "table_name = 'submissions' AND column_name NOT IN ('id', 'instance_id', "
                                       "'root_id') ORDER BY ordinal_position")]
        scripts["submissions"] = (
            f"INSERT INTO bench_submissions (instance_id, root_id, {', '.join(cols)}) "
            f"SELECT 'uuid:' || u, 'uuid:' || u, {', '.join(cols)} FROM submissions, "
            f"(SELECT gen_random_uuid() AS u) g WHERE submissions.id = {sample[0][0]};\n")
    rates: dict[str, float] = {}
    for name, sql in scripts.items():
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
            fh.write(sql)
        try:
            done = subprocess.run(
                [str(PG_BIN / "pgbench"), "-n", "-M", "prepared", "-h", "127.0.0.1", "-p", str(st.pg.port),
                 "-U", "postgres", "-c", str(connections), "-j", "2", "-T", str(max(2, int(seconds))), "-f", fh.name,
                 url.rsplit("/", 1)[1]], capture_output=True, text=True, timeout=seconds + 60)
        finally:
            os.unlink(fh.name)
        found = re.search(r"tps = ([0-9.]+) \(without initial", done.stdout)
        if not found:
            raise RuntimeError(f"pgbench failed: {done.stdout}\n{done.stderr}")
        rates[name] = float(found.group(1))
    psql(url, "DROP TABLE bench_ceiling; DROP TABLE bench_submissions; DROP SEQUENCE bench_submissions_seq")
    return rates


# ------------------------------------------------------------------------ phases


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank, in ms."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000


def count_rows(url: str, after_id: int = 0, final: tuple[str, ...] = FINAL) -> tuple[int, int]:
    """(submissions with id > after_id, those of them in one of the ``final`` statuses)."""
    listed = ",".join(f"'{s}'" for s in final)
    rows = psql(url, f"SELECT count(*), count(*) FILTER (WHERE status IN ({listed})) "
                     f"FROM submissions WHERE id > {int(after_id)}")
    return int(rows[0][0]), int(rows[0][1])


def preload(url: str, count: int) -> float:
    """Copy the newest stored submission ``count`` times under fresh instance ids, then vacuum; seconds taken."""
    cols = [r[0] for r in psql(url, "SELECT column_name FROM information_schema.columns WHERE table_name = "
                                   "'submissions' AND column_name NOT IN ('id', 'instance_id', 'root_id') "
                                   "ORDER BY ordinal_position")]
    listed = ", ".join(cols)
    started = time.monotonic()
    psql(url, f"INSERT INTO submissions (instance_id, root_id, {listed}) "
              f"SELECT 'uuid:' || u, 'uuid:' || u, {listed} "
              f"FROM (SELECT * FROM submissions ORDER BY id DESC LIMIT 1) s, "
              f"(SELECT gen_random_uuid() AS u FROM generate_series(1, {int(count)})) g")
    # A store that grew over months has been vacuumed and checkpointed: measure that, not the minutes after a
    # bulk insert when every first read sets hint bits and the checkpointer writes out a million fresh rows.
    psql(url, "VACUUM (ANALYZE) submissions")
    psql(url, "CHECKPOINT")
    return time.monotonic() - started


def run_variant(st: Stack, name: str, version: str, photo: bytes, auth: str, clients: int,
                duration: float) -> dict[str, Any]:
    """One accept-only pass of a variant; submissions/s, latency percentiles and CPU per submission."""
    roots = process_roots(st)
    before_rows = count_rows(st.database_url)[0]
    cpu0 = cpu_by_group(roots)
    report = drive(st.web_port, (name, version, photo, auth), clients, duration)
    cpu1 = cpu_by_group(roots)
    stored = count_rows(st.database_url)[0] - before_rows
    ok = sum(v for k, v in report["status"].items() if int(k) in (200, 201))
    lat = report["latencies"]
    per = max(ok, 1)
    cpu = {k: (cpu1[k] - cpu0.get(k, 0.0)) * 1000 / per for k in cpu1}
    cpu["client"] = report["client_cpu"] * 1000 / per
    return {"variant": name, "ok": ok, "stored": stored, "rate": ok / report["wall"], "wall": report["wall"],
            "p50": percentile(lat, 0.50), "p95": percentile(lat, 0.95), "p99": percentile(lat, 0.99),
            "status": report["status"], "errors": report["errors"], "cpu_ms": cpu}


def settle_workers(roots: dict[str, list[int]], timeout: float = 90.0) -> None:
    """Wait until the job workers have started: less than 50 ms of CPU in half a second (at least 3 s)."""
    time.sleep(3.0)
    deadline = time.monotonic() + timeout
    before = cpu_by_group(roots)["workers"]
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_by_group(roots)["workers"]
        if now - before < 0.05:
            return
        before = now


def run_sustained(st: Stack, name: str, version: str, photo: bytes, auth: str, clients: int, duration: float,
                  job_workers: int, drain_timeout: float, profile: Path | None = None) -> dict[str, Any]:
    """Workers running while clients post; total / time until every submission is final."""
    assert st.redis is not None
    psql_last = psql(st.database_url, "SELECT coalesce(max(id), 0) FROM submissions")[0][0]
    # The accept-only passes' backlog is set aside (never due), and their jobs dropped: this pass does only its own.
    import redis

    redis.Redis.from_url(st.redis.url).flushdb()
    psql(st.database_url, "UPDATE submissions SET retry_at = 'infinity' WHERE status IN ('received', 'validated')")
    for _ in range(job_workers):
        st.start_worker("validation,merge,media")
    roots = process_roots(st)
    settle_workers(roots)  # their start (imports, connections) is not the submissions' cost
    spies = start_spy([w.pid for w in st.workers], profile, duration + drain_timeout) if profile else []
    cpu0 = cpu_by_group(roots)
    started = time.monotonic()
    report = drive(st.web_port, (name, version, photo, auth), clients, duration)
    posted_done = time.monotonic()
    deadline = posted_done + drain_timeout
    total = final = 0
    while time.monotonic() < deadline:
        total, final = count_rows(st.database_url, psql_last, MERGED)
        if final >= total:
            break
        time.sleep(0.2)
    finished = time.monotonic()
    cpu1 = cpu_by_group(roots)
    for spy in spies:  # stop sampling now; py-spy writes its file on SIGINT
        spy.send_signal(2)
    profiled = finish_spy(spies, profile, 30) if profile else None
    st.stop_workers()
    statuses = dict(psql(st.database_url, f"SELECT status, count(*) FROM submissions WHERE id > {psql_last} "
                                          "GROUP BY status"))
    ok = sum(v for k, v in report["status"].items() if int(k) in (200, 201))
    per = max(total, 1)
    return {"variant": name, "total": total, "final": final, "ok": ok, "accept_rate": ok / report["wall"],
            "sustained": final / (finished - started), "elapsed": finished - started,
            "drain": finished - posted_done, "p95": percentile(report["latencies"], 0.95),
            "statuses": statuses, "cpu_ms": {k: (cpu1[k] - cpu0.get(k, 0.0)) * 1000 / per for k in cpu1},
            "caught_up": final >= total, "profile": profiled}


# ------------------------------------------------------------------------ profiling


def _pyspy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"  # installed into the venv by `make dev-venv`
    return shutil.which("py-spy") or (str(beside) if beside.exists() else None)


def start_spy(pids: list[int], out: Path, duration: float) -> list[subprocess.Popen[bytes]]:
    """py-spy on each pid (and its children), only threads holding the GIL: Python CPU, not waiting."""
    pyspy = _pyspy()
    if pyspy is None:
        return []
    return [subprocess.Popen([pyspy, "record", "--pid", str(pid), "--subprocesses", "--gil", "--rate", "250",
                              "--format", "raw", "--output", f"{out}.{pid}", "--duration", str(int(duration) + 2),
                              "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for pid in pids]


def finish_spy(spies: list[subprocess.Popen[bytes]], out: Path, timeout: float) -> Path | None:
    """Wait for the samplers and merge their files into ``out``."""
    for spy in spies:
        try:
            spy.wait(timeout)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait(5)
    parts = sorted(out.parent.glob(out.name + ".*"))
    if not parts:
        return None
    out.write_text("".join(p.read_text(errors="replace") for p in parts))
    for p in parts:
        p.unlink()
    return out


def profile_pass(st: Stack, name: str, version: str, photo: bytes, auth: str, clients: int, duration: float,
                 out_dir: Path) -> Path | None:
    """Sample the gunicorn workers with py-spy while one variant runs; the raw (collapsed) stacks."""
    if _pyspy() is None:
        print("  (py-spy not found: pip install py-spy; skipping the profile)")
        return None
    assert st.web is not None
    out = out_dir / f"profile-{name}.txt"
    spies = start_spy([st.web.pid], out, duration)
    time.sleep(1.0)
    drive(st.web_port, (name, version, photo, auth), clients, duration)
    return finish_spy(spies, out, duration + 30)


_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
# Library work worth naming, by the frame that enters it.
BUCKETS = {
    "SQLAlchemy ORM execute (incl. driver)": "Session._execute_internal (sqlalchemy/",
    "SQLAlchemy lazy loads": "_LazyLoader._load_for_state (sqlalchemy/",
    "psycopg execute": "Cursor.execute (psycopg/",
    "JSON decode (json/jsonb columns, bodies)": "JSONDecoder.decode (json/",
    "JSON encode": "JSONEncoder.encode (json/",
    "marshmallow dump (response)": "Schema.dump (marshmallow/",
    "marshmallow load": "Schema.load (marshmallow/",
    "werkzeug multipart parsing": "MultiPartParser.parse (werkzeug/",
    "Pillow (open/verify/decode)": "(PIL/",
    "Redis / RQ enqueue": "Queue.enqueue (rq/",
    "logging": "Logger.handle (logging/",
    "Session.commit": "Session.commit (sqlalchemy/",
    "Session.flush": "Session.flush (sqlalchemy/",
    "RQ (enqueue or worker loop)": "(rq/",
    "os.fork / process start": "fork",
}


def _short(file: str) -> str:
    for marker in ("/site-packages/", "/work/main/", "/lib/python3.11/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def summarize_profile(path: Path, top: int = 22) -> list[str]:
    """Share of CPU samples by server function (inclusive), by library bucket, and self time."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    buckets: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack_, _, count_text = line.rpartition(" ")
        if not stack_ or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = []
        for raw in stack_.split(";"):
            m = _FRAME.match(raw.strip())
            frames.append(f"{m['func']} ({_short(m['file'])})" if m else raw.strip())
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        joined = ";".join(frames)
        for label, marker in BUCKETS.items():
            if marker in joined:
                buckets[label] += count
        own[frames[-1]] += count
    pct = lambda n: f"{100 * n / max(total, 1):5.1f}%"  # noqa: E731
    lines = [f"  {total} samples of threads holding the GIL (Python CPU; waiting on PostgreSQL, fsync or the "
             "network is not counted)", "  server functions, inclusive:"]
    server = [(f, n) for f, n in inclusive.most_common() if "(server/" in f]
    lines += [f"    {pct(n)}  {f}" for f, n in server[:top]]
    lines.append("  library work, inclusive:")
    lines += [f"    {pct(n)}  {label}" for label, n in buckets.most_common()]
    lines.append("  self (leaf frames):")
    lines += [f"    {pct(n)}  {f}" for f, n in own.most_common(12)]
    return lines


# ------------------------------------------------------------------------ main


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per variant")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--job-workers", type=int, default=2, help="`gridreg worker` processes")
    parser.add_argument("--pg-connections", type=int, default=16, help="pgbench connections for the ceiling")
    parser.add_argument("--variants", default="json,xml,json+photo,xml+photo")
    parser.add_argument("--sustained-variant", default="json")
    parser.add_argument("--photo-kb", type=int, default=200)
    parser.add_argument("--drain-timeout", type=float, default=120.0,
                        help="seconds to wait after the last POST for validation to catch up")
    parser.add_argument("--profile", action="store_true", help="py-spy the gunicorn workers in an extra pass")
    parser.add_argument("--skip-sustained", action="store_true", help="accept-only passes (and profiles) only")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, profiles)")
    parser.add_argument("--stored", type=int, default=0,
                        help="preload this many submissions (one INSERT ... SELECT) before measuring")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]  (progress when piped)

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    photo = make_photo(args.photo_kb * 1000)
    started = time.monotonic()
    with stack(keep=args.keep, web_workers=args.web_workers, web_threads=args.threads) as st:
        print(f"gridreg intake benchmark — "
              f"{os.cpu_count()} CPUs, {args.clients} clients, gunicorn "
              f"{args.web_workers}×{args.threads} threads, {args.job_workers} job worker(s), {args.duration:.0f} s per "
              f"variant, photo {len(photo) // 1000} KB; files in {st.base}")
        st.start_redis()
        st.start_database("gridreg_bench_intake")
        st.start_web()
        version = psql(st.database_url, "SELECT v.version FROM form_versions v JOIN forms f ON f.id = v.form_pk "
                                        f"WHERE f.form_id = '{FORM_ID}' AND v.state = 'published'")[0][0]
        bearer = "Bearer " + bearer_token(st.web_port)
        basic = basic_auth()
        auth_for = {"json": bearer, "xml": basic}
        print(f"stack up in {time.monotonic() - started:.0f} s (PostgreSQL 15 port {st.pg.port if st.pg else '?'}, "
              f"fsync on; Redis port {st.redis.port if st.redis else '?'}; gunicorn port {st.web_port})")

        # Warm up each process (imports, compiled form cache, pools), then measure.
        for name in dict.fromkeys(v.split("+")[0] for v in variants + [args.sustained_variant]):
            drive(st.web_port, (name, version, photo, auth_for[name]), args.clients, 3)

        if args.stored > 0:
            took = preload(st.database_url, args.stored)
            print(f"preloaded {args.stored} submissions in {took:.0f} s; "
                  f"{count_rows(st.database_url)[0]} stored before measuring")

        payload_row = psql(st.database_url, "SELECT data::text, octet_length(data::text) FROM submissions LIMIT 1")
        ceiling = pg_ceiling(st, args.pg_connections, min(10.0, args.duration), payload_row[0][0].encode())
        print(f"\nPostgreSQL ceiling: single-row INSERT + COMMIT, {args.pg_connections} connections (pgbench), "
              f"payload {payload_row[0][1]} bytes of JSON")
        print(f"  plain row (jsonb + unique instance id): {ceiling['plain']:8.0f} rows/s")
        if "submissions" in ceiling:
            print(f"  copy of the submissions table (all its indexes): {ceiling['submissions']:8.0f} rows/s")

        print("\nAccepted (no job worker running; jobs queue in Redis):")
        print(f"  {'variant':<12} {'subm/s':>8} {'ceiling':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'ok':>7}  "
              f"CPU ms/submission: web  jobs  postgres redis client  other statuses")
        results = []
        for name in variants:
            res = run_variant(st, name, version, photo, auth_for[name.split("+")[0]], args.clients, args.duration)
            results.append(res)
            cpu = res["cpu_ms"]
            other = {k: v for k, v in res["status"].items() if int(k) not in (200, 201)}
            share = 100 * res["rate"] / ceiling["plain"]
            print(f"  {name:<12} {res['rate']:8.0f} {share:6.1f}% {res['p50']:8.1f} {res['p95']:8.1f} "
                  f"{res['p99']:8.1f} {res['ok']:7d}  {' ' * 17}{cpu.get('gunicorn', 0):5.2f} "
                  f"{cpu.get('workers', 0):5.2f} {cpu.get('postgres', 0):8.2f} {cpu.get('redis', 0):5.2f} "
                  f"{cpu.get('client', 0):5.2f}"
                  f"  {other or ''}{' errors ' + str(res['errors']) if res['errors'] else ''}"
                  f"{'' if res['stored'] == res['ok'] else ' (rows stored: ' + str(res['stored']) + ')'}")

        sv = args.sustained_variant
        sustained = None if args.skip_sustained else run_sustained(
            st, sv, version, photo, auth_for[sv.split("+")[0]], args.clients, args.duration, args.job_workers,
            args.drain_timeout, profile=st.base / "profile-workers.txt" if args.profile else None)
        if sustained is not None:
            sus = sustained
            print(f"\nSustained, production mode ({sv}, {args.job_workers} `gridreg worker` processes alongside; "
                  f"every submission validated and merged; the accept-only passes' rows left out):")
            print(f"  {sus['total']} submissions, accepted at {sus['accept_rate']:.0f}/s (p95 {sus['p95']:.0f} ms); "
                  f"{sus['final']} merged (or refused) after {sus['elapsed']:.1f} s (drain {sus['drain']:.1f} s "
                  f"after the last POST) → {sus['sustained']:.0f} submissions/s sustained"
                  f"{'' if sus['caught_up'] else ' (NOT caught up within the drain timeout)'}")
            print(f"  CPU ms/submission, all processes: {sum(sus['cpu_ms'].values()):.1f} (load average "
                  f"{os.getloadavg()[0]:.1f})")
            print("    " + ", ".join(f"{k} {v:.1f}" for k, v in sus["cpu_ms"].items()))
            print(f"  statuses: {sus['statuses']}")
            if sus["profile"] is not None:
                print(f"  profile of the job workers (py-spy; figures above include its overhead): {sus['profile']}")
                print("\n".join(summarize_profile(sus["profile"], top=12)))
        sus = sustained

        if args.profile:
            print("\nProfile of the gunicorn workers (py-spy, one extra pass per variant):")
            for name in variants:
                path = profile_pass(st, name, version, photo, auth_for[name.split("+")[0]], args.clients,
                                    args.duration, st.base)
                if path is not None:
                    print(f" {name}: {path}")
                    print("\n".join(summarize_profile(path)))

        base = next((r for r in results if r["variant"] == "json"), results[0] if results else None)
        print(f"\nGoals (no photo, {args.clients} clients; {REFERENCE}):")
        if base is not None:
            print(f"  accepted >= {GOALS['accepted']:.0f}/s (json): {base['rate']:.0f}/s  "
                  f"{verdict(base['rate'] >= GOALS['accepted'])}")
            for r in results:
                if "photo" not in r["variant"] and r is not base:
                    print(f"  accepted >= {GOALS['accepted']:.0f}/s ({r['variant']}): {r['rate']:.0f}/s  "
                          f"{verdict(r['rate'] >= GOALS['accepted'])}")
        if sus is not None:
            print(f"  sustained >= {GOALS['sustained']:.0f}/s (validated and merged): {sus['sustained']:.0f}/s  "
                  f"{verdict(sus['sustained'] >= GOALS['sustained'] and sus['caught_up'])}")
            total_cpu = sum(sus["cpu_ms"].values())
            print(f"  CPU <= {GOALS['cpu_ms']:.0f} ms per submission end to end (all processes): {total_cpu:.1f} ms  "
                  f"{verdict(total_cpu <= GOALS['cpu_ms'])}")
        for r in results:
            if "photo" not in r["variant"]:
                print(f"  p95 <= {GOALS['p95_ms']:.0f} ms ({r['variant']}): {r['p95']:.0f} ms  "
                      f"{verdict(r['p95'] <= GOALS['p95_ms'])}")
        print(f"  PostgreSQL ceiling: {ceiling['plain']:.0f} rows/s; intake reaches "
              f"{100 * (base['rate'] if base else 0) / ceiling['plain']:.0f}% of it")
        print(f"\ntotal run {time.monotonic() - started:.0f} s; everything started has been stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
