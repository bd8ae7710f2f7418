"""Cases API: the caller's cases (scoped and purpose-limited), opening one by hand, and working it."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask_smorest import Blueprint

from server.accounts.auth import current_user
from server.api import API_PREFIX, ETAG_HEADER, GUARDED, BaseView, Tagged, app_sealer, request_now, tagged
from server.cases import service
from server.cases.schemas import (
    CaseCodesSchema,
    CaseCreateSchema,
    CaseDetailSchema,
    CasePageSchema,
    CaseQueryArgsSchema,
    CaseUpdateSchema,
)
from server.db import get_session

blp = Blueprint(
    "cases",
    __name__,
    url_prefix=f"{API_PREFIX}/cases",
    description="事项：诉求、矛盾纠纷、急难救助与服务需求的转办与办理 (cases routed to departments)",
)

def _today() -> date:
    return service.city_today(request_now())


@blp.route("")
class Cases(BaseView):
    """The case list, and opening a case by hand."""

    @blp.arguments(CaseQueryArgsSchema, location="query")
    @blp.response(200, CasePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Cases in the caller's scope and purpose, by department, kind, status, overdue, grid or person."""
        return service.list_cases(get_session(), current_user(), args, _today())

    @blp.arguments(CaseCreateSchema)
    @blp.response(201, CaseDetailSchema, headers=ETAG_HEADER)
    def post(self, body: dict[str, Any]) -> Tagged:
        """Open a case for a person, routed to a department (422 for an unknown one)."""
        data = service.open_case(get_session(), app_sealer(), current_user(), body, _today())
        return tagged(data, data["etag"], 201)


@blp.route("/codes")
class CaseCodes(BaseView):
    """The code lists a case is opened with."""

    @blp.response(200, CaseCodesSchema)
    def get(self) -> dict[str, Any]:
        """Departments (the routing list) and kinds of case with their days to resolve."""
        return service.case_codes(current_user())


@blp.route("/<string:case_id>")
class CaseDetail(BaseView):
    """One case."""

    @blp.response(200, CaseDetailSchema, headers=ETAG_HEADER)
    def get(self, case_id: str) -> Tagged:
        """A case with its action records; ETag for changes."""
        data = service.get_case(get_session(), current_user(), case_id, _today())
        return tagged(data, data["etag"])

    @blp.arguments(CaseUpdateSchema)
    @blp.response(200, CaseDetailSchema, headers=ETAG_HEADER)
    @blp.doc(**GUARDED)
    def patch(self, body: dict[str, Any], case_id: str) -> Tagged:
        """Change status, assignee or notes (If-Match: the case's ETag; 428 without, 412 when stale)."""
        data = service.update_case(
            get_session(), app_sealer(), current_user(), case_id, request.headers.get("If-Match"), body, _today()
        )
        return tagged(data, data["etag"])
