"""The application factory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from flask_smorest import Api
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from server.api import make_api
from server.db import close_request_session, make_engine, session_factory
from server.errors import Renderer, register_error_handlers
from server.logs import configure_logging, install_request_logging
from server.pool import ping_when_idle
from server.settings import Settings, load_settings

STATIC = Path(__file__).resolve().parent / "static"


@dataclass
class AppState:
    """What the application holds for its lifetime, under app.extensions['gridreg']."""

    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker[Session]
    api: Api | None = None
    error_renderers: list[tuple[str, Renderer]] = field(default_factory=list)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> Flask:
    """Build the Flask application for ``settings`` (read from the environment if None)."""
    settings = settings or load_settings()
    configure_logging(settings.log_json)
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=settings.max_upload_bytes,
                      JSON_AS_ASCII=False)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if engine is None:
        engine = make_engine(settings, pool_pre_ping=False)
        ping_when_idle(engine)  # server/pool.py: a round trip per request saved
    state = AppState(settings=settings, engine=engine, sessionmaker=session_factory(engine))
    app.extensions["gridreg"] = state
    if not settings.redis_url:
        from server import worker

        worker.configure(settings, engine, state.sessionmaker)  # inline jobs share the app's engine
    app.teardown_appcontext(close_request_session)
    install_request_logging(app)

    state.api = make_api(app)
    register_error_handlers(app)
    from server.accounts.auth import install_authentication

    install_authentication(app)
    _register_health(app)
    from server.routes import register_routes

    register_routes(app, state.api)
    return app


def _register_health(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> tuple[dict[str, str], int]:
        """The process is alive."""
        return {"status": "ok"}, 200

    @app.get("/readyz")
    def readyz() -> tuple[dict[str, object], int]:
        """The database and, when configured, Redis answer."""
        state: AppState = app.extensions["gridreg"]
        checks: dict[str, str] = {}
        try:
            # A bare DBAPI round trip: no transaction, so it never queues behind a writer.
            raw = state.engine.raw_connection()
            try:
                raw.cursor().execute("SELECT 1")
            finally:
                raw.close()
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - report, never raise, from a probe
            checks["database"] = f"error: {exc.__class__.__name__}"
        if state.settings.redis_url:
            from server.queue import redis_connection

            try:
                redis_connection(state.settings).ping()
                checks["redis"] = "ok"
            except Exception as exc:  # noqa: BLE001
                checks["redis"] = f"error: {exc.__class__.__name__}"
        ok = all(v == "ok" for v in checks.values())
        return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503
