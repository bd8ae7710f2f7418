"""Login, logout and who-am-I."""

from __future__ import annotations

from server.accounts import service
from server.accounts.auth import bearer_token, current_user, public
from server.accounts.models import User
from server.accounts.schemas import MeSchema, TokenRequestSchema, TokenSchema
from server.api import API_PREFIX, BaseView, Blueprint, app_settings
from server.db import get_session

blp = Blueprint("auth", __name__, url_prefix=API_PREFIX, description="登录与账户 (authentication)")


@blp.route("/auth/token")
class TokenResource(BaseView):
    """Session tokens."""

    @blp.arguments(TokenRequestSchema)
    @blp.response(200, TokenSchema)
    @blp.doc(security=[])
    @public
    def post(self, creds: dict[str, str]) -> service.IssuedToken:
        """Log in: exchange username and password for a bearer token."""
        return service.login(get_session(), app_settings(), creds["username"], creds["password"])

    @blp.response(204)
    def delete(self) -> None:
        """Log out: revoke the bearer token used for this request."""
        current_user()
        service.revoke_token(get_session(), bearer_token() or "")


@blp.route("/me")
class MeResource(BaseView):
    """The caller's account."""

    @blp.response(200, MeSchema)
    def get(self) -> User:
        """Who am I, with my role and scope."""
        return current_user()
