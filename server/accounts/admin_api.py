"""Admins manage accounts: create, change role and admin units, disable, reset passwords, API tokens."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from server.accounts import admin, service
from server.accounts.auth import current_user
from server.accounts.models import AccessToken, Role, User
from server.accounts.schemas import (
    ApiTokenCreateSchema,
    ApiTokenSchema,
    DepartmentSchema,
    IssuedApiTokenSchema,
    PasswordResetResultSchema,
    PasswordResetSchema,
    UserArgsSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
)
from server.api import API_PREFIX, BaseView, app_settings
from server.db import get_session

departments_blp = Blueprint("departments", __name__, url_prefix=f"{API_PREFIX}/departments",
                            description="部门与用途 (departments and their purposes, admins only)")
blp = Blueprint("users", __name__, url_prefix=f"{API_PREFIX}/users", description="用户管理 (accounts, admins only)")


@blp.route("")
class Users(BaseView):
    """Every account."""

    @blp.arguments(UserArgsSchema, location="query")
    @blp.response(200, UserSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[User]:
        """Users with role, admin units and state, by username; the filters narrow the list."""
        current_user(Role.ADMIN)
        return service.list_users(get_session(), args)

    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, body: dict[str, Any]) -> User:
        """Create a user scoped to admin units (every role but admin needs one)."""
        actor = current_user(Role.ADMIN)
        return service.create_user(get_session(), username=body["username"], password=body["password"],
                                   role=body["role"], display_name=body.get("display_name"),
                                   unit_codes=body.get("units", ()), department=body.get("department"),
                                   actor_id=actor.id, password_profile=_profile())


@blp.route("/<string:username>")
class UserDetail(BaseView):
    """One account."""

    @blp.response(200, UserSchema)
    def get(self, username: str) -> User:
        """A user."""
        current_user(Role.ADMIN)
        return admin.get_user(get_session(), username)

    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, body: dict[str, Any], username: str) -> User:
        """Change role, admin units, name, department or active state (disabling revokes every token)."""
        return admin.update_user(get_session(), current_user(Role.ADMIN), username, body)


def _profile() -> str:
    return app_settings().password_profile


@blp.route("/<string:username>/password")
class UserPassword(BaseView):
    """Password resets."""

    @blp.arguments(PasswordResetSchema)
    @blp.response(200, PasswordResetResultSchema)
    def post(self, body: dict[str, Any], username: str) -> dict[str, Any]:
        """Set a new password, or generate one (shown once); the user's tokens are revoked."""
        password = admin.reset_password(get_session(), current_user(Role.ADMIN), username, body.get("password"),
                                        password_profile=_profile())
        return {"password": password}


@blp.route("/<string:username>/tokens")
class UserTokens(BaseView):
    """Long-lived tokens for department systems."""

    @blp.response(200, ApiTokenSchema(many=True))
    def get(self, username: str) -> list[AccessToken]:
        """The user's API tokens, without their secrets."""
        current_user(Role.ADMIN)
        return admin.list_tokens(get_session(), username)

    @blp.arguments(ApiTokenCreateSchema)
    @blp.response(201, IssuedApiTokenSchema)
    def post(self, body: dict[str, Any], username: str) -> service.IssuedToken:
        """Issue a token for a department account: the secret is in this answer only."""
        return admin.issue_token(get_session(), current_user(Role.ADMIN), username, body["label"])


@blp.route("/<string:username>/tokens/<int:token_id>")
class UserToken(BaseView):
    """One API token."""

    @blp.response(200, ApiTokenSchema)
    def delete(self, username: str, token_id: int) -> AccessToken:
        """Revoke it."""
        return admin.revoke_api_token(get_session(), current_user(Role.ADMIN), username, token_id)


@departments_blp.route("")
class Departments(BaseView):
    """The departments a department account may belong to."""

    @departments_blp.response(200, DepartmentSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every department of forms/departments.yaml with what its purpose lets it read."""
        current_user(Role.ADMIN)
        return admin.list_departments()
