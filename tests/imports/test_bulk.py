"""Rows merged a batch at a time leave the registry exactly as merging them one by one does."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from server.imports import jobs
from server.imports.models import ImportJob, ImportRow
from server.registry import store
from server.registry.models import AppliedSource, DuplicateCandidate, Entity, EntityVersion, RegistryEvent
from server.sealing.crypto import Sealer
from tests.imports.support import csv_bytes, person
from tests.registry.conftest import merge_one_by_one

_SEARCH = ("label", "unit_path", "grid_code", "version", "status", "created_by", "conflict", "followed_id",
           "name_key", "name_pinyin", "name_initials", "block_key", "birth_date", "origin_code", "ethnicity",
           "arrival_date", "id_hash", "phone_hash")


def _files(grid: str) -> list[bytes]:
    first = [person(n, grid) for n in range(1, 5)]
    second = [
        person(1, grid, current_address="和庄镇新华路1号"),  # names a record already there: merged one by one
        person(10, grid),
        person(10, grid, resident_id="", phone="13900000010", current_address="别处"),  # near the row before it
        person(2, grid, resident_id="", phone="13900000002", current_address="别处"),  # near an earlier record
        person(3, grid, arrival_date="2026-04-01"),  # another update between new people
        person(13, grid),
        person(14, grid, birth_date="1985-13-40"),  # refused
        person(10, grid),  # the same row twice in the file
        person(15, grid, full_name="=马小明"),
    ]
    return [csv_bytes(first), csv_bytes(second)]


def _wipe(db: Any) -> None:
    for model in (DuplicateCandidate, RegistryEvent, EntityVersion, AppliedSource, ImportRow, Entity):
        db.execute(delete(model))
    db.commit()


def _registry(db: Any, imports: list[ImportJob], sealer: Sealer) -> dict[str, Any]:
    """The registry the imports left, with ids, uuids, job ids and sealing nonces replaced by row numbers."""
    rows = {}
    where: dict[int, str] = {}
    for i, job in enumerate(imports):
        for line in db.scalars(select(ImportRow).where(ImportRow.import_id == job.id).order_by(ImportRow.row_number)):
            rows[f"{i}:{line.row_number}"] = (line.outcome, line.code, line.detail)
            if line.entity_uuid and line.outcome in ("created", "duplicate_candidate"):
                where[db.scalar(select(Entity.id).where(Entity.uuid == line.entity_uuid))] = f"{i}:{line.row_number}"
    jobs_ = {f"import-{job.id}:": f"import-{i}:" for i, job in enumerate(imports)}

    def source(value: str | None) -> str | None:
        for real, canonical in jobs_.items():
            if value and value.startswith(real):
                return canonical + value[len(real):]
        return value

    pairs = {c.id: (where[c.entity_a_id], where[c.entity_b_id]) for c in db.scalars(select(DuplicateCandidate))}
    for key, (outcome, code, detail) in rows.items():
        if detail and "candidates" in detail:
            detail = {**detail, "candidates": [pairs[c] for c in detail["candidates"]]}
        rows[key] = (outcome, code, detail)
    entities = {where[e.id]: ({k: getattr(e, k) for k in _SEARCH}, e.properties, store.open_sealed(e.sealed, sealer))
                for e in db.scalars(select(Entity))}
    versions = sorted((where[v.entity_id], v.version, v.base_version, v.label, v.properties,
                       store.open_sealed(v.sealed, sealer), v.changed, v.unit_path, v.author_id, v.source_type,
                       source(v.source_id), v.conflict) for v in db.scalars(select(EntityVersion)))
    events = [(where[e.entity_id], e.kind, e.version, e.unit_path, e.previous_unit_path, e.event_date, e.actor_id,
               e.source_type, source(e.source_id), e.detail)
              for e in db.scalars(select(RegistryEvent).order_by(RegistryEvent.cursor))]
    candidates = sorted((pairs[c.id], c.score, c.reasons, c.status, c.path_a, c.path_b, c.revision)
                        for c in db.scalars(select(DuplicateCandidate)))
    claims = sorted((s.source_key, s.outcome, where.get(s.entity_id or 0), source(s.source_id), s.dataset,
                     s.unit_path, {**(s.detail or {}), **({"candidates": [pairs[c] for c in s.detail["candidates"]]}
                                                          if s.detail and "candidates" in s.detail else {})})
                    for s in db.scalars(select(AppliedSource)))
    return {"rows": rows, "entities": entities, "versions": versions, "events": events, "candidates": candidates,
            "claims": claims}


def _import_all(import_file: Any, grid: str) -> list[ImportJob]:
    return [import_file(data) for data in _files(grid)] + [import_file(_files(grid)[1])]  # and the second again


def test_a_batch_of_rows_writes_what_merging_themmerge_one_by_one_writes(db, import_file, grid, monkeypatch, settings):
    monkeypatch.setattr(jobs, "BATCH", 4)  # batches end between the rows of each kind
    batches: list[int] = []
    real_batch = jobs.merge_batch

    def counting_batch(session: Any, batch: list[Any], sealer: Any) -> Any:
        batches.append(len(batch))
        return real_batch(session, batch, sealer)

    monkeypatch.setattr(jobs, "merge_batch", counting_batch)
    sealer = Sealer.from_settings(settings)
    batched = _registry(db, _import_all(import_file, grid), sealer)
    assert sum(batches) == 4 + 7  # the first file's four, then the second's rows that reach the merge
    _wipe(db)
    monkeypatch.setattr(jobs, "merge_batch", merge_one_by_one)
    one_by_one = _registry(db, _import_all(import_file, grid), sealer)
    assert batched["rows"]["1:4"][0] == "duplicate_candidate" and batched["rows"]["1:5"][0] == "duplicate_candidate"
    assert [v[0] for v in batched["rows"].values()].count("updated") == 2
    assert {v[0] for k, v in batched["rows"].items() if k.startswith("2:")} == {"unchanged", "refused",
                                                                               "duplicate_in_file"}
    for part in ("rows", "entities", "versions", "events", "candidates", "claims"):
        assert batched[part] == one_by_one[part], part


def test_an_id_number_already_registered_updates_that_record(db, import_file, grid, settings):
    first = import_file(csv_bytes([person(1, grid)]))
    assert first.counts == {"created": 1}
    job = import_file(csv_bytes([person(2, grid), person(1, grid, phone="13912345678"), person(3, grid)]))
    assert job.counts == {"created": 2, "updated": 1}
    line = db.scalar(select(ImportRow).where(ImportRow.import_id == job.id, ImportRow.row_number == 3))
    record = db.scalar(select(Entity).where(Entity.uuid == line.entity_uuid))
    assert line.outcome == "updated" and record.version == 2
    assert store.open_sealed(record.sealed, Sealer.from_settings(settings))["phone"] == "13912345678"
