"""create_if / update_if: the server evaluates the entities block itself; a false condition merges without writing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from server.errors import RuleViolation
from server.registry.conditions import BlockExpressions, Decision
from server.registry.models import AppliedSource, Entity
from tests.registry.conftest import (
    REGISTRATION,
    YES_NO,
    publish_form,
    registration,
    submission_status,
    submit,
    visit_check_workbook,
)
from tests.unit.forms.fixtures.workbooks import xlsform

DATA = {"person": "p-1", "still_here": "no", "consent": "yes", "note": "找工作", "meta": {"instanceID": "uuid:x"}}


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({}, Decision(True, False)),
        ({"create_if": "${consent} = 'yes'"}, Decision(True, False)),
        ({"create_if": "${consent} = 'no'"}, Decision(False, False, "create_if_false")),
        ({"entity_id": "${person}"}, Decision(False, True)),
        ({"entity_id": "${person}", "update_if": "${still_here} = 'yes'"}, Decision(False, False, "update_if_false")),
        ({"entity_id": "${person}", "update_if": "true()"}, Decision(False, True)),
        (
            {"entity_id": "${person}", "create_if": "${still_here} = 'no'", "update_if": "${still_here} = 'yes'"},
            Decision(True, False),
        ),
        (
            {"entity_id": "${person}", "create_if": "false()", "update_if": "1 = 2"},
            Decision(False, False, "create_if_and_update_if_false"),
        ),
    ],
)
def test_the_entities_sheet_table(block, expected):
    assert BlockExpressions(block, DATA, None).decide() == expected


def test_a_condition_holds_as_odk_central_reads_it():
    holds = BlockExpressions({"a": "${consent}", "b": "1", "c": "'true'", "d": "0", "e": "${missing}"}, DATA, None)
    assert not holds.holds("a")  # "yes" is an answer, not a condition: write ${consent} = 'yes'
    assert holds.holds("b") and holds.holds("c")
    assert not holds.holds("d")
    with pytest.raises(RuleViolation) as err:
        holds.holds("e")
    assert err.value.code == "registry.entity_expression" and "e" in err.value.errors


def test_entity_id_and_label_are_expressions_too():
    exprs = BlockExpressions({"entity_id": "${person}", "label": "concat('需求-', ${note})"}, DATA, None)
    assert exprs.value("entity_id") == "p-1" and exprs.value("label") == "需求-找工作"
    assert exprs.value("create_if") is None


# --------------------------------------------------------------------------- through intake and the merge job


def _register_if_consent() -> bytes:
    """Registers the person only when they agree (create_if)."""
    survey = [
        {"type": "text", "name": "full_name", "label": "姓名", "required": "yes", "save_to": "full_name"},
        {"type": "select_one yes_no", "name": "consent", "label": "同意登记", "required": "yes"},
        {"type": "text", "name": "address", "label": "现住址", "save_to": "current_address"},
    ]
    entities = [{"list_name": "persons", "label": "${full_name}", "create_if": "${consent} = 'yes'"}]
    settings = [{"form_id": "register_if_consent", "form_title": "自愿登记", "version": "1"}]
    return xlsform(survey, YES_NO, settings, entities)


def _named(db, name):
    return db.scalar(select(func.count()).select_from(Entity).where(Entity.label == name))


def test_create_if_false_merges_without_creating_and_says_why(client, auth, db, jobs, monkeypatch):
    version = publish_form(db, monkeypatch, _register_if_consent(), "register_if_consent.xlsx")
    device_says_create = {"entity": {"@dataset": "persons", "@create": "1", "@id": str(uuid.uuid4()), "label": "x"}}
    skipped = submit(client, auth, "register_if_consent", version.version,
                     {"full_name": "古丽", "consent": "no", "meta": device_says_create})
    assert submission_status(db, skipped) == ("merged", [])  # not an error
    assert _named(db, "古丽") == 0  # the server evaluated create_if itself, whatever the device wrote
    result = client.get(f"/api/v1/registry/submissions/{skipped}", headers=auth.headers("worker"))
    assert result.status_code == 200, result.get_json()
    (block,) = result.get_json()["blocks"]
    assert (block["dataset"], block["outcome"], block["reason"], block["entity_uuid"]) == (
        "persons", "skipped", "create_if_false", None)
    assert block["detail"]["create_if"] == "${consent} = 'yes'"

    created = submit(client, auth, "register_if_consent", version.version,
                     {"full_name": "阿依古丽", "consent": "yes", "address": "幸福路8号"})
    assert submission_status(db, created) == ("merged", [])
    (block,) = client.get(f"/api/v1/registry/submissions/{created}", headers=auth.headers("worker")).get_json()[
        "blocks"]
    assert block["outcome"] == "created" and block["reason"] is None
    person = db.scalar(select(Entity).where(Entity.uuid == block["entity_uuid"]))
    assert person.label == "阿依古丽" and person.properties["current_address"] == "幸福路8号"
    assert person.grid_code == "410184105005004"  # no location: the submitter's grid
    assert db.scalar(select(AppliedSource.outcome).where(AppliedSource.source_id == skipped)) == "skipped"


def test_update_if_false_leaves_the_record_alone(client, auth, db, merge, jobs, monkeypatch):
    person = merge(REGISTRATION, registration())
    version = publish_form(db, monkeypatch, visit_check_workbook(), "visit_check.xlsx")
    gone = submit(client, auth, "visit_check", version.version,
                  {"person": person.entity_uuid, "visit_date": "2026-11-20", "still_here": "no"})
    assert submission_status(db, gone) == ("merged", [])
    record = db.scalar(select(Entity).where(Entity.uuid == person.entity_uuid))
    db.refresh(record)
    assert record.version == 1 and "last_visit_date" not in record.properties
    (block,) = client.get(f"/api/v1/registry/submissions/{gone}", headers=auth.headers("worker")).get_json()["blocks"]
    assert (block["outcome"], block["reason"]) == ("skipped", "update_if_false")

    here = submit(client, auth, "visit_check", version.version,
                  {"person": person.entity_uuid, "visit_date": "2026-11-21", "still_here": "yes"})
    assert submission_status(db, here) == ("merged", [])
    db.refresh(record)
    assert record.version == 2 and record.properties["last_visit_date"] == "2026-11-21"


def test_a_bad_expression_rejects_the_submission_with_a_code(db, merge):
    person = merge(REGISTRATION, registration())
    block = {"dataset": "persons", "entity_id": "${person}", "update_if": "nosuchfunction(1)",
             "save_to": {"visit_date": "last_visit_date"}}
    with pytest.raises(RuleViolation) as err:
        merge(block, {"person": person.entity_uuid, "visit_date": "2026-11-20"})
    assert err.value.code == "registry.entity_expression"
