"""Applying forms/datasets.yaml: idempotent, a changed file is a migration refused where it would lose data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.domain.datasets import DEFAULT_PATH
from server.registry import declarations
from server.registry.declare import DeclarationRefused, apply_file
from server.registry.models import Dataset, DatasetVersion, Entity
from tests.registry.conftest import REGISTRATION, redeclare, registration


def _document() -> dict:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def _write(tmp_path: Path, document: dict) -> Path:
    path = tmp_path / "datasets.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _versions(db, name="persons"):
    return db.scalar(select(func.count()).select_from(DatasetVersion).join(Dataset).where(Dataset.name == name))


def _declare_events(db):
    return db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "dataset.declare"))


def test_reapplying_the_unchanged_file_changes_nothing(db):
    before, audited = _versions(db), _declare_events(db)
    changes = apply_file(db)
    assert {c.dataset for c in changes} == {"persons", "households", "followups", "services"}
    assert not any(c.changed for c in changes)
    assert _versions(db) == before
    assert _declare_events(db) == audited


def test_properties_added_since_survive_reapplying_the_unchanged_file(db):
    redeclare(db, "persons", lambda b: {**b, "properties": {
        **b["properties"], "hobby": {"type": "text", "label": {"zh": "爱好", "en": "Hobby"}}}})
    assert not any(c.changed for c in apply_file(db))
    assert "hobby" in declarations.spec(db, "persons").properties


def test_a_changed_file_is_a_new_version_keeping_added_properties(db, tmp_path):
    redeclare(db, "persons", lambda b: {**b, "properties": {
        **b["properties"], "hobby": {"type": "text", "label": {"zh": "爱好", "en": "Hobby"}}}})
    document = _document()
    shoe_size = {"type": "integer", "label": {"zh": "鞋码", "en": "Shoe"}}
    document["datasets"]["persons"]["properties"]["shoe_size"] = shoe_size
    version = db.scalar(select(Dataset.version).where(Dataset.name == "persons"))
    changes = {c.dataset: c for c in apply_file(db, _write(tmp_path, document))}
    assert changes["persons"].changed and changes["persons"].added == ["shoe_size"]
    assert not changes["households"].changed
    spec = declarations.spec(db, "persons")
    assert {"shoe_size", "hobby"} <= set(spec.properties)
    assert db.scalar(select(Dataset.version).where(Dataset.name == "persons")) == version + 1
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "dataset.declare",
                                               AuditEvent.target_id == "persons").order_by(AuditEvent.id.desc()))
    assert event.detail["source"] == "file" and event.detail["added"] == ["shoe_size"]
    # and again: unchanged now
    assert not any(c.changed for c in apply_file(db, _write(tmp_path, document)))


def test_removing_or_retyping_a_property_in_use_is_refused(db, merge, tmp_path):
    merge(REGISTRATION, registration())
    document = _document()
    del document["datasets"]["persons"]["properties"]["current_address"]
    document["datasets"]["persons"]["properties"]["arrival_date"]["type"] = "text"
    document["datasets"]["persons"]["properties"]["phone"]["type"] = "text"
    document["datasets"]["persons"]["properties"]["phone"]["sensitive"] = False
    version = db.scalar(select(Dataset.version).where(Dataset.name == "persons"))
    with pytest.raises(DeclarationRefused) as err:
        apply_file(db, _write(tmp_path, document))
    problems = {p["path"]: p["message"] for p in err.value.errors["declaration"]}
    assert "cannot remove 'current_address': records hold values for it" in problems[
        "datasets.persons.properties.current_address"]
    assert "from date to text" in problems["datasets.persons.properties.arrival_date.type"]
    assert "datasets.persons.properties.phone.type" in problems
    assert db.scalar(select(Dataset.version).where(Dataset.name == "persons")) == version


def test_removing_an_unused_property_or_one_only_a_form_uses(db, tmp_path):
    document = _document()
    del document["datasets"]["persons"]["properties"]["employer"]  # no record, no stored form uses it
    changes = {c.dataset: c for c in apply_file(db, _write(tmp_path, document))}
    assert changes["persons"].removed == ["employer"]
    assert "employer" not in declarations.spec(db, "persons").properties


def test_an_invalid_file_is_refused_with_located_problems(db, tmp_path):
    document = _document()
    document["datasets"]["persons"]["properties"]["bad name"] = {"type": "colour", "label": {"zh": "x", "en": "x"}}
    with pytest.raises(DeclarationRefused) as err:
        apply_file(db, _write(tmp_path, document))
    paths = {p["path"] for p in err.value.errors["declaration"]}
    assert "datasets.persons.properties.bad name" in paths
    broken = tmp_path / "broken.yaml"
    broken.write_text("datasets: [", encoding="utf-8")
    with pytest.raises(DeclarationRefused):
        apply_file(db, broken)


def test_a_submission_merges_under_the_declaration_in_force_when_received(db, merge):
    from datetime import UTC, datetime

    # A later version labels persons by their address instead of their name.
    redeclare(db, "persons", lambda b: {**b, "label_property": "current_address"},
              now=datetime(2026, 11, 20, tzinfo=UTC))
    before = merge(REGISTRATION, registration(name="早登记"), received_at=datetime(2026, 11, 10, tzinfo=UTC))
    after = merge(REGISTRATION, registration(name="晚登记", id_number=None, phone="13900000000"),
                  received_at=datetime(2026, 11, 28, tzinfo=UTC))
    labels = {row.uuid: row.label for row in db.scalars(select(Entity))}
    assert labels[before.entity_uuid] == "早登记"  # the file's label property: full_name
    assert labels[after.entity_uuid] == "和庄镇幸福路8号"  # the later declaration's
