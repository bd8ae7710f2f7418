"""Monthly report API: a stored report as JSON or XLSX (scoped), and an admin's run of a period."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from server.accounts.auth import current_user
from server.accounts.models import Role
from server.api import API_PREFIX, BaseView, app_settings, request_now
from server.db import get_session
from server.reports import overview, service
from server.reports.schemas import (
    OverviewArgsSchema,
    OverviewSchema,
    ReportArgsSchema,
    ReportSchema,
    RunArgsSchema,
)

blp = Blueprint(
    "reports",
    __name__,
    url_prefix=f"{API_PREFIX}/reports",
    description="月度统计报表 (the monthly report per grid, community, township and city)",
)

READERS = (Role.ADMIN, Role.SUPERVISOR, Role.GRID_WORKER)
LEADERS = (Role.ADMIN, Role.SUPERVISOR)  # the overview is for those who lead a unit
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("/monthly/<string:period>")
class MonthlyReport(BaseView):
    """A period's stored report for a unit in the caller's scope."""

    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200, ReportSchema)
    def get(self, args: dict[str, Any], period: str) -> dict[str, Any]:
        """The newest revision (or the one asked for); 422 for a malformed period, 404 before its first run."""
        return service.get_report(get_session(), app_settings(), current_user(*READERS), period, args.get("unit"),
                                  args.get("revision"))


@blp.route("/monthly/<string:period>.xlsx")
class MonthlyReportXlsx(BaseView):
    """The same report as a workbook to print."""

    @blp.arguments(RunArgsSchema, location="query")
    @blp.response(200, content_type=XLSX, description="one sheet per level, A4 landscape")
    def get(self, args: dict[str, Any], period: str) -> Response:
        """The unit's newest revision with a sheet per level below it."""
        data, name = service.get_report_xlsx(get_session(), app_settings(), current_user(*READERS), period,
                                             args.get("unit"))
        response = Response(data, content_type=XLSX)
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["Cache-Control"] = "private, no-store"
        return response


@blp.route("/monthly/<string:period>/run")
class MonthlyReportRun(BaseView):
    """Count a period now (admins): a new revision for the unit and every unit below it."""

    @blp.arguments(RunArgsSchema, location="query")
    @blp.response(201, ReportSchema)
    def post(self, args: dict[str, Any], period: str) -> tuple[dict[str, Any], int]:
        """422 for a malformed period or one that has not begun; the running period is marked provisional."""
        data = service.run_for(get_session(), app_settings(), current_user(Role.ADMIN), period, args.get("unit"),
                               request_now())
        return data, 201


@blp.route("/overview")
class Overview(BaseView):
    """How a unit and its child units stand today (admins and supervisors, in their scope)."""

    @blp.arguments(OverviewArgsSchema, location="query")
    @blp.response(200, OverviewSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Persons present, arrivals this period, open and overdue cases; 404 for a unit outside the scope."""
        return overview.get_overview(get_session(), app_settings(), current_user(*LEADERS), args.get("unit"),
                                     request_now())
