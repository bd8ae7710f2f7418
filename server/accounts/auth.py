"""Who is calling: resolve the Authorization header once per request, before anything else.

``install_authentication`` makes every request under the API and OpenRosa prefixes
authenticate before routing errors, body parsing or path parameters are looked at:
a stranger learns "log in" and nothing more, whatever the URL names. A view method
that strangers may call (logging in) is marked ``@public``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from server.accounts.identity import caller_for_basic, caller_for_bearer
from server.accounts.models import Role, User
from server.api import API_PREFIX
from server.cache import attach
from server.db import get_session
from server.errors import AppError, AuthenticationError, PermissionDeniedError

OPENROSA_PREFIX = "/openrosa"
# Everything under these answers 401 to a caller without valid credentials, unless marked public.
PROTECTED_PREFIXES = (API_PREFIX + "/", OPENROSA_PREFIX + "/")
F = TypeVar("F", bound=Callable[..., Any])


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


def _caller(*, allow_basic: bool) -> User | None:
    """The caller as the identity cache's read-only copy, or None; resolved once per request."""
    if "caller" in g:
        caller: User | None = g.caller
        return caller
    caller = None
    session = get_session()
    if token := bearer_token():
        caller = caller_for_bearer(session, token)
    elif allow_basic and (creds := _basic_credentials()):
        # Basic credentials come with every OpenRosa request: the same lockout as the login form.
        caller = caller_for_basic(session, current_app.extensions["gridreg"].settings, *creds)
    g.caller = caller
    return caller


def optional_user(*, allow_basic: bool = False) -> User | None:
    """The authenticated user, or None: the request's own copy, attached to its session (no query)."""
    if "current_user" in g:
        user: User | None = g.current_user
        return user
    caller = _caller(allow_basic=allow_basic)
    user = attach(get_session(), caller) if caller is not None else None
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


def current_caller(*, allow_basic: bool = False) -> User:
    """The authenticated user as the process's cached copy, shared by concurrent requests: read it, never
    change it, never hand it to the session (no relationship may point at it).

    The intake endpoints read only who is calling (id, role, scopes): attaching a copy to the session
    cost more CPU than the row's INSERT. Everything else uses ``current_user``.
    """
    caller = _caller(allow_basic=allow_basic)
    if caller is None:
        raise AuthenticationError("Authentication required")
    return caller


def public(view: F) -> F:
    """Mark a view (or a MethodView method) that answers callers without credentials."""
    view.public = True  # type: ignore[attr-defined]
    return view


def _is_public() -> bool:
    if not request.path.startswith(PROTECTED_PREFIXES):
        return True
    if request.routing_exception is not None or request.endpoint is None:
        return False  # no such URL or method: nothing is said about that before a login
    view: Any = current_app.view_functions[request.endpoint]
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = request.method.lower()
        view = getattr(view_class, method, None) or (getattr(view_class, "get", None) if method == "head" else None)
    return bool(getattr(view, "public", False))


def authenticate_request() -> None:
    """Before any view, routing error or body parsing: 401 unless the caller is known or the view public."""
    if _is_public():
        return
    try:
        user = _caller(allow_basic=request.path.startswith(OPENROSA_PREFIX + "/"))
    except AppError as exc:
        if exc.keep_changes:  # a failed Basic login counts towards its lockout
            get_session().commit()
        raise
    if user is None:
        raise AuthenticationError("Authentication required")


def install_authentication(app: Flask) -> None:
    """Authenticate every protected request first (see the module docstring)."""
    app.before_request(authenticate_request)
