"""Registry test helpers: the city's form entities blocks and a merge driver that needs no intake."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.models import User
from server.registry.merge import MergeOutcome, SubmissionEssentials, merge_submission_data
from server.registry.models import Entity, RegistryEvent
from server.sealing.crypto import Sealer
from server.settings import Settings

WORKER_POINT = (113.74, 34.40)  # inside the demo worker's grid (township 410184105)
FAR_POINT = (113.60, 34.30)  # another township, outside the demo supervisor's scope

REGISTRATION = {
    "dataset": "persons",
    "label": "${full_name}",
    "save_to": {
        "/person_registration/full_name": "full_name",
        "/person_registration/id_number": "resident_id",
        "/person_registration/sex": "sex",
        "/person_registration/ethnicity": "ethnicity",
        "/person_registration/birth_date": "birth_date",
        "/person_registration/phone": "phone",
        "/person_registration/origin/county": "origin_county",
        "/person_registration/arrival_date": "arrival_date",
        "/person_registration/current_address": "current_address",
        "/person_registration/location": "geometry",
    },
}
VISIT = {
    "dataset": "persons",
    "entity_id": "${person}",
    "save_to": {"/household_visit/visit_date": "last_visit_date", "/household_visit/visit_type": "last_visit_type"},
}
MOVE_OUT = {
    "dataset": "persons",
    "entity_id": "${person}",
    "save_to": {
        "/move_out/departure_date": "departure_date",
        "/move_out/destination/county": "destination_county",
        "/move_out/move_reason": "move_out_reason",
        "/move_out/residence_status": "residence_status",
    },
}

FOLLOWUP = {  # a follow-up opened for a person (the follow-up form's block, reduced to what the tests need)
    "dataset": "followups",
    "label": "${title}",
    "save_to": {"person": "person", "title": "title", "kind": "kind", "status": "status"},
}

ID_A = "640104198506120218"
ID_B = "62292119920815026X"
PERSONS = "/api/v1/registry/persons"


def page_of(client: Any, auth: Any, user: str, **params: Any) -> Any:
    """The persons list as ``user`` sees it (200 asserted), with the query's ``params``."""
    return auth.read(f"{PERSONS}/entities", user, **params)


def geopoint(point: tuple[float, float]) -> str:
    """An ODK geopoint string for (lon, lat)."""
    return f"{point[1]} {point[0]} 100 5"


def fresh_entity(db: Session, uuid: str) -> Entity:
    """A record by its uuid, as the database holds it now."""
    entity = db.scalar(select(Entity).where(Entity.uuid == uuid))
    assert entity is not None
    db.refresh(entity)
    return entity


def event_kinds(db: Session, entity: Entity) -> list[str]:
    """The kinds of a record's registry events, oldest first."""
    return list(db.scalars(select(RegistryEvent.kind).where(RegistryEvent.entity_id == entity.id)
                           .order_by(RegistryEvent.cursor)))


def registration(
    name: str = "马小红",
    id_number: str | None = ID_A,
    *,
    point: tuple[float, float] = WORKER_POINT,
    birth: str = "1985-06-12",
    phone: str = "13812345678",
    origin: str = "640104",
    address: str = "和庄镇幸福路8号",
) -> dict[str, Any]:
    """The data tree of a registration submission."""
    data: dict[str, Any] = {
        "full_name": name,
        "sex": "2",
        "ethnicity": "03",
        "birth_date": birth,
        "phone": phone,
        "origin": {"county": origin},
        "arrival_date": "2026-03-01",
        "current_address": address,
        "location": geopoint(point),
        "meta": {"instanceID": f"uuid:{uuid.uuid4()}"},
    }
    if id_number:
        data["id_number"] = id_number
    return data


@pytest.fixture
def sealer(settings: Settings) -> Sealer:
    """The sealer for the test settings."""
    return Sealer.from_settings(settings)


@pytest.fixture
def far_worker(db: Session) -> User:
    """A grid worker of the grid at FAR_POINT (another township): moving people there is in their scope."""
    from server.accounts.service import create_user
    from server.demo import DEMO_PASSWORD
    from server.geo.service import grid_at

    grid = grid_at(db, *FAR_POINT)
    assert grid is not None
    user = create_user(db, username="far_worker", password=DEMO_PASSWORD, role="grid_worker", unit_codes=[grid.code])
    db.flush()
    return user


NEIGHBOUR_GRID = "410184105005003"  # beside the demo worker's grid, in the same township


@pytest.fixture
def neighbour(db: Session) -> tuple[User, tuple[float, float]]:
    """The grid worker of the neighbouring grid (same township: the demo supervisor sees both) and a point in it."""
    from geoalchemy2.shape import to_shape

    from server.accounts.service import create_user
    from server.demo import DEMO_PASSWORD
    from server.geo.models import AdminUnit

    grid = db.scalar(select(AdminUnit).where(AdminUnit.code == NEIGHBOUR_GRID))
    assert grid is not None
    centre = to_shape(grid.boundary).centroid
    user = create_user(db, username="neighbour", password=DEMO_PASSWORD, role="grid_worker", unit_codes=[grid.code])
    db.flush()
    return user, (float(centre.x), float(centre.y))


@pytest.fixture
def user_named(db: Session) -> Callable[[str], User]:
    """Demo users by name."""

    def get(username: str) -> User:
        user = db.scalar(select(User).where(User.username == username))
        assert user is not None
        return user

    return get


Merge = Callable[..., MergeOutcome]


@pytest.fixture
def merge(db: Session, sealer: Sealer, user_named: Callable[[str], User]) -> Merge:
    """Merge a submission's essentials as the given user; returns the (single) outcome."""

    def run(
        block: dict[str, Any],
        data: dict[str, Any],
        *,
        username: str = "worker",
        point: tuple[float, float] | None = None,
        instance_id: str | None = None,
        base_version: int | None = None,
        received_at: datetime = datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
    ) -> MergeOutcome:
        ess = SubmissionEssentials(
            instance_id=instance_id or data.get("meta", {}).get("instanceID") or f"uuid:{uuid.uuid4()}",
            entities=block,
            data=data,
            submitter_id=user_named(username).id,
            received_at=received_at,
            point=point,
            base_version=base_version,
        )
        outcomes = merge_submission_data(db, ess, sealer)
        db.flush()
        return outcomes[0]

    return run


# --------------------------------------------------------------------------- through intake and the merge job


@pytest.fixture
def jobs(app: Any, settings: Settings, engine: Any, maker: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Inline jobs see (and roll back with) the test; validation rings the merge job."""
    from server import worker

    before = worker._context
    worker.configure(settings, engine, maker)
    yield
    worker._context = before


_COMPILED: dict[tuple[bytes, str], Any] = {}


def _compiled(data: bytes, filename: str, **options: Any) -> Any:
    """Compile once per run (against the city's declarations: tests that publish forms change none)."""
    from server.forms.compiler import compile_workbook

    key = (data, filename)
    if key not in _COMPILED:
        _COMPILED[key] = compile_workbook(data, filename, **options)
    return _COMPILED[key]


def publish_form(db: Session, monkeypatch: pytest.MonkeyPatch, data: bytes, filename: str) -> Any:
    """Upload and publish a workbook (compiled once per run); its form version."""
    from server.forms import service as forms

    monkeypatch.setattr(forms, "compile_workbook", _compiled)
    result = forms.upload(db, None, data, filename)
    version = forms.publish(db, None, result.form_id)
    db.commit()
    return version


def submit(client: Any, auth: Any, form_id: str, version: str, data: dict[str, Any], username: str = "worker") -> str:
    """POST a JSON submission as the user; its instance id (uuid:…)."""
    from tests.submissions.support import multipart, new_id, submission_part

    iid = new_id()
    resp = client.post(
        f"/api/v1/forms/{form_id}/submissions",
        data=multipart(submission_part(iid, data, version=version)),
        headers=auth.headers(username),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    return f"uuid:{iid}"


def submission_status(db: Session, instance_id: str) -> tuple[str, list[Any]]:
    """A submission's status and errors, as the jobs left them."""
    from server.submissions.models import Submission

    row = db.scalar(select(Submission).where(Submission.instance_id == instance_id))
    assert row is not None
    db.refresh(row)
    return row.status, list(row.errors or [])


YES_NO = [{"list_name": "yes_no", "name": "yes", "label": "是"}, {"list_name": "yes_no", "name": "no", "label": "否"}]


def visit_check_workbook() -> bytes:
    """A visit form that updates the person's last visit only when they still live here (update_if)."""
    from tests.unit.forms.fixtures.workbooks import xlsform

    survey = [
        {"type": "select_one_from_file persons.csv", "name": "person", "label": "人员", "required": "yes"},
        {"type": "date", "name": "visit_date", "label": "日期", "required": "yes", "save_to": "last_visit_date"},
        {"type": "select_one yes_no", "name": "still_here", "label": "仍居住", "required": "yes"},
    ]
    entities = [{"list_name": "persons", "entity_id": "${person}", "update_if": "${still_here} = 'yes'"}]
    settings = [{"form_id": "visit_check", "form_title": "走访核查", "version": "1"}]
    return xlsform(survey, YES_NO, settings, entities)


# Before the merge fixture's default receipt time, so a redeclared dataset is the one in force for it.
REDECLARED_AT = datetime(2026, 11, 1, tzinfo=UTC)


def redeclare(db: Session, dataset: str, change: Callable[[dict[str, Any]], dict[str, Any]],
              now: datetime = REDECLARED_AT) -> None:
    """Put a changed copy of the dataset's declaration in force (a new version, as designers make them)."""
    from server.registry.declare import current_block, write_version
    from server.registry.models import Dataset

    row = db.scalar(select(Dataset).where(Dataset.name == dataset))
    write_version(db, dataset, change(current_block(db, row)), source="api", actor_id=None, now=now, row=row)


def merge_one_by_one(session: Session, batch: list[SubmissionEssentials], sealer: Sealer) -> list[Any]:
    """merge.py's merge of each submission alone, in its own savepoint, in order: what a batch merge must equal."""
    from server.errors import AppError

    results: list[Any] = []
    for ess in batch:
        try:
            with session.begin_nested():
                results.append(merge_submission_data(session, ess, sealer))
        except AppError as exc:
            results.append(exc)
    return results
