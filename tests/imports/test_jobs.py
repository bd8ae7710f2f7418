"""The import job on both databases: encodings and formats, idempotence, updates, candidates, refusals, resume."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from server import pipeline
from server.imports import jobs
from server.imports.models import ImportJob, ImportRow
from server.registry import service as registry
from server.registry.models import DuplicateCandidate, Entity, EntityVersion
from server.sealing.crypto import Sealer
from tests.imports.conftest import report
from tests.imports.support import csv_bytes, id_number, person, xlsx_bytes


def _entities(db: Any) -> int:
    return db.scalar(select(func.count()).select_from(Entity))


def _versions(db: Any) -> int:
    return db.scalar(select(func.count()).select_from(EntityVersion))


def _names(db: Any, job: ImportJob) -> list[str]:
    uuids = [line["entity_uuid"] for line in report(db, job)["rows"]["created"]]
    return [db.scalar(select(Entity.label).where(Entity.uuid == u)) for u in uuids]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding_creates_the_people_with_their_names_intact(db, import_file, grid, encoding):
    rows = [person(1, grid), person(2, grid, full_name="阿依古丽·买买提"), person(3, grid, full_name="马䶮")]
    job = import_file(csv_bytes(rows, encoding))
    assert (job.status, job.done, job.total) == ("done", 3, 3)
    assert job.encoding == encoding
    assert report(db, job)["counts"]["created"] == 3
    assert _names(db, job) == [rows[0]["full_name"], "阿依古丽·买买提", "马䶮"]


def test_xlsx_made_with_openpyxl_imports(db, import_file, grid):
    job = import_file(xlsx_bytes([person(1, grid), person(2, grid)]), "persons.xlsx")
    assert (job.status, job.file_format, job.counts) == ("done", "xlsx", {"created": 2})
    uuid = report(db, job)["rows"]["created"][0]["entity_uuid"]
    entity = db.scalar(select(Entity).where(Entity.uuid == uuid))
    assert entity.properties["arrival_date"] == "2026-03-01" and entity.grid_code == grid


def test_the_same_file_again_changes_nothing(db, import_file, grid):
    data = csv_bytes([person(n, grid) for n in range(1, 6)])
    first = import_file(data)
    entities, versions = _entities(db), _versions(db)
    again = import_file(csv_bytes([person(n, grid) for n in range(5, 0, -1)], "gb18030"))  # re-ordered, re-encoded
    assert first.counts == {"created": 5}
    assert again.counts == {"unchanged": 5}
    assert (_entities(db), _versions(db)) == (entities, versions)


def test_a_re_export_with_one_field_changed_updates_the_person(db, import_file, grid, admin, settings):
    import_file(csv_bytes([person(1, grid), person(2, grid)]))
    entities = _entities(db)
    job = import_file(csv_bytes([person(1, grid, current_address="和庄镇新华路1号"), person(2, grid)]))
    assert job.counts == {"updated": 1, "unchanged": 1}
    assert _entities(db) == entities
    line = report(db, job)["rows"]["updated"][0]
    assert line["row"] == 2
    record = registry.detail(db, Sealer.from_settings(settings), admin, "persons", line["entity_uuid"])
    assert record["version"] == 2 and record["properties"]["current_address"] == "和庄镇新华路1号"
    assert [(e["kind"], e["source_type"]) for e in record["events"]] == [("created", "import"), ("updated", "import")]
    assert record["events"][1]["source_id"] == f"import-{job.id}:2"
    assert record["versions"][1]["source_type"] == "import"


def test_a_near_duplicate_becomes_a_candidate(db, import_file, grid):
    first = import_file(csv_bytes([person(1, grid)]))
    near = person(1, grid, resident_id="", current_address="和庄镇另一处")
    job = import_file(csv_bytes([near]))
    assert job.counts == {"duplicate_candidate": 1}
    line = report(db, job)["rows"]["duplicate_candidate"][0]
    candidate = db.get(DuplicateCandidate, line["candidates"][0])
    uuids = {candidate.entity_a.uuid, candidate.entity_b.uuid}
    assert uuids == {line["entity_uuid"], report(db, first)["rows"]["created"][0]["entity_uuid"]}


def test_refused_rows_are_reported_with_row_number_and_reason(db, import_file, grid):
    bad_check = id_number(7)[:17] + ("0" if id_number(7)[17] != "0" else "1")
    rows = [
        person(1, grid),
        person(2, grid, resident_id=bad_check),
        person(3, grid, birth_date="1985-13-40"),
        person(4, grid, origin_county="999999"),
        person(5, grid, ethnicity="99"),
        person(6, "999999999999999"),
        person(8, grid, full_name=""),
        person(1, grid),  # the first row again
        person(1, grid, current_address="另一个地址"),  # the same ID number, saying something else
        person(9, grid, ethnicity="回族"),  # a name is as good as a code
    ]
    job = import_file(csv_bytes(rows))
    got = report(db, job)
    assert job.status == "done" and job.done == len(rows)
    assert [(r["row"], r["code"]) for r in got["rows"]["refused"]] == [
        (3, "row.bad_resident_id"), (4, "row.bad_date"), (5, "row.bad_division"), (6, "row.bad_ethnicity"),
        (7, "row.unknown_grid"), (8, "row.missing_value"), (10, "row.duplicate_key")]
    assert got["rows"]["refused"][0]["problems"][0]["column"] == "resident_id"
    assert got["rows"]["refused"][0]["problems"][0]["message"]
    assert got["rows"]["duplicate_in_file"] == [{"row": 9, "same_as_row": 2}]
    assert [r["row"] for r in got["rows"]["created"]] == [2, 11]
    assert db.scalar(select(Entity.ethnicity).where(Entity.uuid == got["rows"]["created"][1]["entity_uuid"])) == "03"


MAPPING = """
columns:
  姓名: full_name
  公民身份号码: resident_id
  民族: ethnicity
  来郑日期: arrival_date
  经度: lon
  纬度: lat
ignore: [备注]
"""


def test_a_declared_mapping_with_lon_lat_places_each_row(db, import_file, grid):
    header = ["姓名", "公民身份号码", "民族", "来郑日期", "经度", "纬度", "备注"]
    rows = [{"姓名": "马小红", "公民身份号码": id_number(1), "民族": "03", "来郑日期": "2026/3/1",
             "经度": "113.74", "纬度": "34.40", "备注": "平台导出"}]
    job = import_file(csv_bytes(rows, "gb18030", header), mapping=MAPPING)
    assert job.counts == {"created": 1}
    entity = db.scalar(select(Entity).where(Entity.uuid == report(db, job)["rows"]["created"][0]["entity_uuid"]))
    assert (entity.label, entity.grid_code, entity.properties["arrival_date"]) == ("马小红", grid, "2026-03-01")


def test_a_crash_mid_file_is_recorded_and_the_next_run_resumes(db, import_file, grid, settings, admin, monkeypatch):
    from server.imports import service
    from tests.imports.support import NOW

    monkeypatch.setattr(jobs, "BATCH", 2)
    real = jobs.merge_batch
    calls = {"n": 0}

    def crash_in_the_second_batch(*args: Any) -> Any:  # rows are merged a batch at a time (registry/batch.py)
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker lost")
        return real(*args)

    monkeypatch.setattr(jobs, "merge_batch", crash_in_the_second_batch)
    job = service.create_import(db, settings, admin, dataset="persons", source="police-platform",
                                filename="p.csv", data=csv_bytes([person(n, grid) for n in range(1, 6)]), now=NOW,
                                enqueue=False)
    db.commit()
    with pytest.raises(RuntimeError):
        jobs.run_import(job.id)
    db.expire_all()
    assert (job.status, job.done, job.error["code"], job.error["stopped_at_row"]) == ("failed", 2, "import.crashed", 4)
    assert db.scalar(select(func.count()).select_from(ImportRow).where(ImportRow.import_id == job.id)) == 2
    assert jobs.run_import(job.id) == "done"
    db.expire_all()
    assert (job.status, job.done, job.counts, job.error) == ("done", 5, {"created": 5}, None)
    assert [r["row"] for r in report(db, job)["rows"]["created"]] == [2, 3, 4, 5, 6]
    assert jobs.run_import(job.id) == "skipped"


# --------------------------------------------------------------------------- on a real RQ worker


def test_an_upload_runs_on_a_real_rq_worker(settings, engine, maker, db, monkeypatch, grid, redis_conn):
    import io

    from rq import Queue
    from rq.job import Job

    from tests.conftest import burst, own_queue, redis_app

    conn = redis_conn
    with redis_app(settings, engine, maker, monkeypatch) as app:
        client = app.test_client()
        token = client.post("/api/v1/auth/token", json={"username": "admin", "password": "gridreg-demo"})
        headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
        form = {"dataset": "persons", "source": "police-platform",
                "file": (io.BytesIO(csv_bytes([person(n, grid) for n in range(1, 4)], "utf-8-sig")), "p.csv")}
        resp = client.post("/api/v1/imports", data=form, headers=headers, content_type="multipart/form-data")
        assert resp.status_code == 202 and resp.get_json()["status"] == "queued"
        import_id = resp.get_json()["id"]
        imports = Queue(own_queue("imports"), connection=conn)
        assert f"run_import-{import_id}" in imports.job_ids  # rung after commit, by id
        waiting = client.get(f"/api/v1/imports/{import_id}", headers=headers).get_json()
        assert (waiting["status"], waiting["done"], waiting["total"]) == ("queued", 0, 3)
        burst(conn, "imports")
        assert Job.fetch(f"run_import-{import_id}", connection=conn).return_value() == "done"
        done = client.get(f"/api/v1/imports/{import_id}", headers=headers).get_json()
        assert (done["status"], done["done"], done["report"]["counts"]["created"]) == ("done", 3, 3)


def test_requeue_stuck_rings_an_import_left_queued(db, settings, admin, job_context, grid):
    from server.db import discard_after_commit, run_after_commit
    from server.imports import service
    from tests.imports.support import NOW

    job = service.create_import(db, settings, admin, dataset="persons", source="police-platform", filename="p.csv",
                                data=csv_bytes([person(1, grid)]), now=NOW)
    db.commit()
    discard_after_commit(db)  # Redis lost the bell
    assert jobs.find_stuck(db, settings, 10**9) == 0  # not that old, whatever the machine's clock says
    assert pipeline.requeue_stuck(db, settings, -10**9)["server.imports.jobs.find_stuck"] == 1  # a future cutoff
    db.commit()
    run_after_commit(db)  # inline mode: the bell rings now
    db.expire_all()
    assert (job.status, job.counts) == ("done", {"created": 1})
    assert jobs.find_stuck(db, settings, -10**9) == 0  # done: nothing to ring
