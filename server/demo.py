"""The Xinzheng demo: geography, the city's dataset declarations and the demo accounts (staff and four
departments), only in demo mode."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.accounts.models import Role, User
from server.accounts.service import create_user
from server.geo.demo import CITY_CODE, demo_feature_collection
from server.geo.models import AdminUnit
from server.geo.service import ancestors, grid_at, import_units
from server.registry.declare import apply_file
from server.settings import Settings

DEMO_PASSWORD = "gridreg-demo"
# The demo grid worker's grid contains this point (the city centre).
WORKER_POINT = (113.7400, 34.4000)


@dataclass(frozen=True)
class DemoSummary:
    """What loading the demo did."""

    units_created: int
    users_created: list[str]
    datasets_changed: list[str]


class DemoRefused(RuntimeError):
    """Demo accounts exist only when the service runs in demo mode."""


def load_demo(session: Session, settings: Settings) -> DemoSummary:
    """Load the demo city and accounts; running it again adds nothing."""
    if not settings.demo:
        raise DemoRefused("demo data is only loaded when GRIDREG_DEMO=1")
    units = 0
    if session.scalar(select(AdminUnit.id).where(AdminUnit.code == CITY_CODE)) is None:
        units = len(import_units(session, demo_feature_collection(), is_demo=True))
    grid = grid_at(session, *WORKER_POINT)
    if grid is None:
        raise RuntimeError("the demo grid for the worker point is missing")
    township = next(u for u in ancestors(session, grid) if u.level == "township")
    accounts = [
        ("admin", Role.ADMIN, "系统管理员", [], None),
        ("designer", Role.FORM_DESIGNER, "表单设计员", [CITY_CODE], None),
        ("supervisor", Role.SUPERVISOR, f"{township.name}督导员", [township.code], None),
        ("worker", Role.GRID_WORKER, f"{grid.name}网格员", [grid.code], None),
        ("police", Role.DEPARTMENT, "市公安局", [CITY_CODE], "police"),
        ("hrss", Role.DEPARTMENT, "市人力资源和社会保障局", [CITY_CODE], "hrss"),
        ("education", Role.DEPARTMENT, "市教育局", [CITY_CODE], "education"),
        ("civil", Role.DEPARTMENT, "市民政局", [CITY_CODE], "civil"),
    ]
    changes = apply_file(session)  # the city's dataset declarations, idempotent
    created = []
    for username, role, display, codes, department in accounts:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            create_user(session, username=username, password=DEMO_PASSWORD, role=role.value,
                        display_name=display, unit_codes=codes, department=department,
                        password_profile=settings.password_profile)
            created.append(username)
    return DemoSummary(units, created, [c.dataset for c in changes if c.changed])
