"""The audit trail, for admins."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from server.accounts.auth import current_user
from server.accounts.models import Role
from server.api import API_PREFIX, BaseView
from server.audit.queries import AuditPage, list_events
from server.audit.schemas import AuditArgsSchema, AuditPageSchema
from server.db import get_session

blp = Blueprint("audit", __name__, url_prefix=f"{API_PREFIX}/audit", description="审计日志 (audit log, admins only)")


@blp.route("")
class AuditEvents(BaseView):
    """Who did what, when."""

    @blp.arguments(AuditArgsSchema, location="query")
    @blp.response(200, AuditPageSchema)
    def get(self, args: dict[str, Any]) -> AuditPage:
        """Events by actor, action, target and time, newest first; ``full_reads`` finds every unmasked read."""
        current_user(Role.ADMIN)
        return list_events(get_session(), args)
