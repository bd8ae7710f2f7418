"""Who is calling: resolve the Authorization header once per request."""

from __future__ import annotations

import base64
import binascii

from flask import current_app, g, request

from server.accounts.basic_cache import cached_user_for_password
from server.accounts.models import Role, User
from server.accounts.service import check_not_locked, note_failure, user_for_token
from server.db import get_session
from server.errors import AuthenticationError, PermissionDeniedError


def bearer_token() -> str | None:
    """The raw bearer token of the request, if it carries one."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _basic_credentials() -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (username, password) if sep else None


def optional_user(*, allow_basic: bool = False) -> User | None:
    """The authenticated user, or None; resolved once per request."""
    if "current_user" in g:
        user: User | None = g.current_user
        return user
    user = None
    session = get_session()
    if token := bearer_token():
        user = user_for_token(session, token)
    elif allow_basic and (creds := _basic_credentials()):
        # Basic credentials come with every OpenRosa request: the same lockout as the login form.
        throttle = check_not_locked(session, creds[0])
        user = cached_user_for_password(session, *creds)
        if user is None:
            raise note_failure(session, current_app.extensions["gridreg"].settings, creds[0], throttle, None)
    g.current_user = user
    return user


def current_user(*roles: Role, allow_basic: bool = False) -> User:
    """The authenticated user, who must hold one of ``roles`` when given."""
    user = optional_user(allow_basic=allow_basic)
    if user is None:
        raise AuthenticationError("Authentication required")
    if roles and user.role not in roles:
        raise PermissionDeniedError("Your role may not do this")
    return user
