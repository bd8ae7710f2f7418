"""Report test helpers: a registry filled by submissions the test makes, with a ledger of what each should count.

The ledger is kept by the test from the submissions themselves (which grid,
which day), and expected figures are counted from it by admin-code prefix (a
grid's code starts with its community's, township's and city's), not by the
unit paths the report uses.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from server.geo.service import grid_at
from tests.registry.conftest import (  # noqa: F401  (fixtures)
    FAR_POINT,
    MOVE_OUT,
    REGISTRATION,
    VISIT,
    WORKER_POINT,
    far_worker,
    merge,
    neighbour,
    registration,
    sealer,
    user_named,
)

CASE = {"dataset": "followups", "label": "${title}",
        "save_to": {k: k for k in ("person", "title", "kind", "status", "department", "due_date", "resolved_date")}}
SERVICE = {"dataset": "services", "label": "${summary}",
           "save_to": {k: k for k in ("summary", "service_type", "service_date", "people_served")}}
CHILD = {"dataset": "persons", "label": "${full_name}",
         "save_to": {k: k for k in ("full_name", "sex", "ethnicity", "birth_date", "parent", "school_stage",
                                    "enrolment_status", "arrival_date")}}


def at(day: str, hour: int = 10) -> datetime:
    """A moment on a day (UTC 02:00 is 10:00 in Shanghai: the same day there)."""
    return datetime.fromisoformat(day).replace(hour=hour - 8, tzinfo=UTC)


@dataclass
class Ledger:
    """What the test's submissions should count, by grid code."""

    entries: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    moves: list[tuple[str, str]] = field(default_factory=list)

    def note(self, figure: str, grid: str, n: int = 1) -> None:
        self.entries[figure].extend([grid] * n)

    def count(self, figure: str, unit: str) -> int:
        """How many of the figure's entries lie in the unit (grid codes start with their units' codes)."""
        if figure == "transfers_in":
            return sum(new.startswith(unit) and not old.startswith(unit) for old, new in self.moves)
        if figure == "transfers_out":
            return sum(old.startswith(unit) and not new.startswith(unit) for old, new in self.moves)
        return sum(grid.startswith(unit) for grid in self.entries[figure])


@dataclass
class Registry:
    """The people, cases and services a test made, and the grids they are in."""

    db: Session
    merge: Callable[..., Any]
    worker_grid: str
    neighbour_grid: str
    neighbour_point: tuple[float, float]
    far_grid: str
    ledger: Ledger = field(default_factory=Ledger)

    def person(self, name: str, arrived: str, *, received: str | None = None, point: tuple[float, float] = WORKER_POINT,
               username: str = "worker", sex: str = "2", ethnicity: str = "03") -> str:
        data = registration(name, None, point=point, phone=f"139{uuid.uuid4().int % 10**8:08d}")
        data.update(arrival_date=arrived, sex=sex, ethnicity=ethnicity)
        out = self.merge(REGISTRATION, data, username=username, point=point, received_at=at(received or arrived))
        assert out.action == "created", out
        return str(out.entity_uuid)

    def visit(self, person: str, day: str, *, point: tuple[float, float] | None = WORKER_POINT,
              username: str = "worker") -> None:
        self.merge(VISIT, {"person": person, "visit_date": day, "visit_type": "home"}, point=point,
                   username=username, received_at=at(day))

    def depart(self, person: str, day: str) -> None:
        self.merge(MOVE_OUT, {"person": person, "departure_date": day, "move_reason": "work",
                              "residence_status": "departed"}, received_at=at(day))

    def case(self, person: str, opened: str, **props: str) -> None:
        data = {"person": person, "title": f"事项{uuid.uuid4().hex[:6]}", "kind": "appeal", "status": "open",
                "department": "hrss", **props}
        self.merge(CASE, data, received_at=at(opened))

    def service(self, day: str, people: int, kind: str = "policy") -> None:
        self.merge(SERVICE, {"summary": "政策宣讲", "service_type": kind, "service_date": day,
                             "people_served": people}, point=WORKER_POINT, received_at=at(day))

    def child(self, parent: str, name: str, born: str, enrolment: str, received: str) -> None:
        out = self.merge(CHILD, {"full_name": name, "sex": "1", "ethnicity": "03", "birth_date": born,
                                 "parent": parent, "school_stage": "primary", "enrolment_status": enrolment,
                                 "arrival_date": received}, point=WORKER_POINT, received_at=at(received))
        assert out.action == "created", out


@pytest.fixture
def registry(db: Session, merge: Callable[..., Any], neighbour: Any, far_worker: Any) -> Registry:  # noqa: F811
    """An empty registry and the grids of the demo worker, their neighbour and a far township."""
    grids = [grid_at(db, *point) for point in (WORKER_POINT, neighbour[1], FAR_POINT)]
    assert all(grids)
    codes = [g.code for g in grids if g is not None]
    return Registry(db, merge, codes[0], codes[1], neighbour[1], codes[2])
