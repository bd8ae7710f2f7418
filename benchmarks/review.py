"""Review benchmark on PostgreSQL: 1M submissions, then the supervisor console's API calls.

    .venv/bin/python benchmarks/review.py [--submissions 1000000] [--reuse] [--pg-admin-url URL]

Creates the database ``gridreg_bench_review`` afresh (migrations, demo city,
the registration form published), loads the submissions with one INSERT …
SELECT over generate_series (a year of submissions over the demo grids, every
tenth an edit of the one before, review states mixed as in a working city),
then times requests through the application (authentication, scope, queries
and serialisation) and prints each p95 next to its goal:

- the review queue's first page (with its counts per review state, each counted
  up to 1,000), as the township supervisor and as the city admin, with and
  without filters;
- the submission page's calls: the detail (data, diff of an edit) and its comments.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select, text  # noqa: E402

from benchmarks.registry import fresh_database  # noqa: E402
from server import migrate  # noqa: E402
from server.app import create_app  # noqa: E402
from server.db import make_engine, session_factory  # noqa: E402
from server.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from server.forms import service as forms  # noqa: E402
from server.geo.models import AdminUnit  # noqa: E402
from server.settings import Settings  # noqa: E402

DB = "gridreg_bench_review"
KEY = base64.urlsafe_b64encode(b"bench-key-bench-key-bench-key-32").decode()
REGISTRATION = Path(__file__).resolve().parents[1] / "forms" / "registration.xlsx"
GOAL_MS = 100.0
SAMPLES = 200

# One submission's answers: plain values (bulk rows are not sealed; reading them costs the same masking).
DATA = {
    "identity": {"full_name": "阿依古丽", "id_number": "650102199003072318", "sex": "1", "ethnicity": "05",
                 "birth_date": "1990-03-07", "phone": "13812345678"},
    "origin": {"origin_province": "65", "origin_prefecture": "6501", "origin_county": "650102",
               "origin_address": "乌鲁木齐市天山区"},
    "residence": {"arrival_date": "2026-01-05", "current_address": "新郑市某小区1号楼", "residence_type": "rented",
                  "permit_status": "registered", "location": "34.4 113.74 0 5"},
    "work": {"reason": "01", "occupation": "4"},
    "family": {"marital_status": "20", "children_count": "1", "children": [
        {"child_name": "小明", "child_sex": "1", "child_birth_date": "2015-02-01"}]},
}
EDITED = json.loads(json.dumps(DATA))
EDITED["residence"]["current_address"] = "新郑市某小区1号楼2单元301"

# Review states by g % 20 for all but the newest 5% (still received).
STATES = "CASE WHEN g > :n - :n / 20 THEN 'received' ELSE (ARRAY[{}])[1 + g % 20] END".format(", ".join(
    ["'approved'"] * 14 + ["'has_issues'"] * 2 + ["'rejected'", "'returned'", "'received'", "'received'"]))

# uuid:00000000-0000-4000-8000-000000000042 for g = 42
ID = "'uuid:00000000-0000-4000-8000-' || lpad(({})::text, 12, '0')"

LOAD = f"""
INSERT INTO submissions (instance_id, root_id, deprecated_id, form_pk, form_version_id, submitter_id, status,
    raw_format, raw_sha256, raw_size, content_sha256, data, meta, device_id, received_at, location, accuracy_m,
    unit_id, unit_path, flags, errors, validated_at, review_state, review_version, superseded)
SELECT {ID.format("g")}, {ID.format("CASE WHEN g % 10 = 0 THEN g - 1 ELSE g END")},
       CASE WHEN g % 10 = 0 THEN {ID.format("g - 1")} END,
       :form_pk, :version_id, (CAST(:submitters AS int[]))[1 + g % cardinality(CAST(:submitters AS int[]))],
       CASE WHEN g > :n - 50 THEN 'received' WHEN g % 50 = 0 THEN 'invalid' ELSE 'merged' END,
       'json', md5(g::text) || md5(g::text), 900, md5('c' || g) || md5('c' || g),
       CASE WHEN g % 10 = 0 THEN CAST(:edited AS jsonb) ELSE CAST(:data AS jsonb) END,
       '{{}}'::jsonb, 'android-' || (g % 500),
       CAST(:end_at AS timestamptz) - make_interval(secs => (:n - g) * 30),
       ST_SetSRID(ST_MakePoint(113.74 + (g % 100) * 0.0001, 34.40), 4326), 5,
       (CAST(:unit_ids AS int[]))[1 + g % cardinality(CAST(:unit_ids AS int[]))],
       (CAST(:unit_paths AS text[]))[1 + g % cardinality(CAST(:unit_ids AS int[]))],
       CASE WHEN g % 40 = 0 THEN '{{"low_accuracy": {{}}}}'::jsonb ELSE '{{}}'::jsonb END,
       '[]'::jsonb, CAST(:end_at AS timestamptz) - make_interval(secs => (:n - g) * 30 - 5),
       {STATES}, CASE WHEN g > :n - :n / 20 THEN 0 ELSE 1 END, g % 10 = 9 AND g < :n
FROM generate_series(:first, :last) AS g
"""


def goal(label: str, samples: list[float], target: float = GOAL_MS) -> bool:
    """Print one figure's p95 (and median) with its goal and PASS/MISS."""
    value = p95(samples)
    ok = value <= target
    print(f"{label:<58} p95 {value:>7.1f} ms (median {statistics.median(samples) * 1000:>6.1f})"
          f"   goal <= {target:g} ms   {'PASS' if ok else 'MISS'}")
    return ok


def p95(samples: list[float]) -> float:
    """95th percentile in milliseconds."""
    return statistics.quantiles(samples, n=20)[-1] * 1000 if len(samples) > 1 else samples[0] * 1000



def load(engine: Any, maker: Any, count: int) -> None:
    """The demo city, the registration form, ``count`` submissions and a comment on each returned one."""
    from datetime import UTC, datetime

    with maker() as session:
        forms.upload(session, None, REGISTRATION.read_bytes(), "registration.xlsx")
        version = forms.publish(session, None, "person_registration")
        session.commit()
        grids = list(session.scalars(select(AdminUnit).where(AdminUnit.level == "grid").order_by(AdminUnit.code)))
        submitters = list(session.scalars(text("SELECT id FROM users WHERE role IN ('grid_worker', 'supervisor')")))
        params = {"form_pk": version.form_pk, "version_id": version.id, "submitters": submitters,
                  "unit_ids": [g.id for g in grids], "unit_paths": [g.path for g in grids],
                  "data": json.dumps(DATA, ensure_ascii=False), "edited": json.dumps(EDITED, ensure_ascii=False),
                  "end_at": datetime(2026, 12, 7, 8, 0, tzinfo=UTC), "n": count}
        batch, started = 100_000, time.perf_counter()
        for first in range(1, count + 1, batch):
            last = min(count, first + batch - 1)
            session.execute(text(LOAD), {**params, "first": first, "last": last})
            session.commit()
            print(f"  loaded {last:>9,} submissions ({last / (time.perf_counter() - started):,.0f}/s)", flush=True)
        # Each flag's row, as intake writes it beside the flags.
        session.execute(text("INSERT INTO submission_flags (submission_id, flag, review_state) "
                             "SELECT id, jsonb_object_keys(flags), review_state FROM submissions WHERE flags <> '{}'"))
        session.execute(text(
            "INSERT INTO submission_comments (submission_id, author_id, body, review_state, created_at) "
            "SELECT s.id, u.id, '请核对现住址门牌号', s.review_state, s.received_at + interval '1 hour' "
            "FROM submissions s, users u WHERE u.username = 'supervisor' "
            "AND s.review_state IN ('returned', 'rejected', 'has_issues')"))
        session.commit()
    # What autovacuum does on a live table: statistics, and the visibility map the index-only counts need.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE submissions")
        conn.exec_driver_sql("VACUUM ANALYZE submission_flags")
        conn.exec_driver_sql("ANALYZE submission_comments")


def timed(samples: list[float], fn: Callable[[], Any]) -> Any:
    """Run fn, append its duration."""
    t0 = time.perf_counter()
    result = fn()
    samples.append(time.perf_counter() - t0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help=f"measure on the existing {DB} (no reload)")
    parser.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    logging.getLogger("gridreg.request").setLevel(logging.WARNING)  # a line per timed request drowns the figures

    url = args.pg_admin_url.rsplit("/", 1)[0] + "/" + DB if args.reuse else fresh_database(args.pg_admin_url, DB)
    settings = Settings(database_url=url, media_root=Path("/tmp/gridreg-bench-review-media"), secret_key="bench",
                        encryption_key=KEY, demo=True, log_json=False)
    engine = make_engine(settings)
    maker = session_factory(engine)
    if not args.reuse:
        migrate.upgrade(engine)
        with maker() as session:
            load_demo(session, settings)
            session.commit()
        t0 = time.perf_counter()
        load(engine, maker, args.submissions)
        print(f"generation and load: {time.perf_counter() - t0:.1f} s")
    with maker() as session:
        stored = session.scalar(text("SELECT count(*) FROM submissions")) or 0
    print(f"gridreg review benchmark: {stored:,} submissions (PostgreSQL)")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")

    app = create_app(settings, engine=engine)
    client = app.test_client()
    headers = {}
    for username in ("supervisor", "admin"):
        token = client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
        headers[username] = {"Authorization": f"Bearer {token.get_json()['access_token']}",
                             "Accept-Language": "zh-CN"}

    def get(path: str, user: str, **query: Any) -> Any:
        resp = client.get(path, query_string=query, headers=headers[user])
        assert resp.status_code == 200, (path, resp.status_code, resp.get_data(as_text=True)[:300])
        return resp.get_json()

    for user in headers:  # connections, statement caches and the buffer cache warmed as in a running service
        for _ in range(5):
            get("/api/v1/submissions", user, limit=50)
    ok = True
    cases = [
        ("supervisor", {}), ("admin", {}), ("supervisor", {"review_state": "received"}),
        ("supervisor", {"review_state": "returned"}), ("supervisor", {"form": "person_registration"}),
        ("supervisor", {"status": "invalid"}), ("supervisor", {"flag": "low_accuracy"}),
        ("supervisor", {"since": "2026-12-01"}),
    ]
    ids: list[str] = []
    for user, query in cases:
        samples: list[float] = []
        for _ in range(SAMPLES // 4):
            page = timed(samples, lambda user=user, query=query: get("/api/v1/submissions", user, limit=50, **query))
        if user == "supervisor":
            ids += [item["instance_id"] for item in page["items"]]
        label = f"queue first page, {user}" + (f", {', '.join(f'{k}={v}' for k, v in query.items())}" if query else "")
        ok &= goal(label, samples)
        print(f"    {len(page['items'])} items, counts {page['counts']}")
    second = get("/api/v1/submissions", "supervisor", limit=50)["next_cursor"]
    samples = []
    for _ in range(SAMPLES // 4):
        timed(samples, lambda: get("/api/v1/submissions", "supervisor", limit=50, cursor=second))
    ok &= goal("queue second page (cursor), supervisor", samples)

    rng = random.Random(7)
    detail: list[float] = []
    both: list[float] = []
    for _ in range(SAMPLES):
        iid = rng.choice(ids)
        t0 = time.perf_counter()
        timed(detail, lambda iid=iid: get(f"/api/v1/submissions/{iid}", "supervisor"))
        get(f"/api/v1/submissions/{iid}/comments", "supervisor")
        both.append(time.perf_counter() - t0)
    ok &= goal("submission detail", detail)
    ok &= goal("submission page: detail + comments", both)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print("all figures within their goals" if ok else "some figures missed their goals")


if __name__ == "__main__":
    main()
