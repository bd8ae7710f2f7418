"""Test fixtures: every database test runs on SQLite+SpatiaLite and on PostgreSQL+PostGIS.

The schema is built once per backend by running the migrations, the demo city
and accounts are loaded once and committed, and every test then runs inside
an outer transaction that is rolled back, so code under test may commit freely.
PostgreSQL is required: if it cannot be reached the run fails, it never skips.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from server import migrate
from server.app import create_app
from server.db import make_engine, session_factory
from server.demo import DEMO_PASSWORD, load_demo
from server.settings import Settings

BACKENDS = ("sqlite", "postgresql")
PG_ADMIN_URL = os.environ.get("GRIDREG_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# One database per test process, so parallel runs on one machine never share one.
PG_TEST_DB = os.environ.get("GRIDREG_TEST_PG_DB", f"gridreg_test_{os.getpid()}")
REDIS_URL = os.environ.get("GRIDREG_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", action="append", choices=BACKENDS,
                     help="run database tests on this backend only (repeatable; default both)")
    parser.addoption("--clock-ahead-days", type=int, default=0,
                     help="run with this process's wall clock moved this many days ahead (the clock keeps ticking; "
                          "monotonic time and other processes are untouched): no test may depend on today's date")


def pytest_configure(config: pytest.Config) -> None:
    days = config.getoption("--clock-ahead-days")
    if days:
        traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--db") or list(BACKENDS)
        metafunc.parametrize("backend", chosen, scope="session")


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def fresh_pg_database(name: str) -> str:
    """Create an empty PostgreSQL database (dropping any leftover of that name); its URL."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the whole PostgreSQL half cannot run: say so loudly
        pytest.exit(f"PostgreSQL is required for the tests ({PG_ADMIN_URL}): {exc}", returncode=3)
    finally:
        admin.dispose()
    return _pg_url(name)


def drop_pg_database(name: str) -> None:
    """Drop a database made by ``fresh_pg_database``."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def scratch_engine(backend: str, tmp_path: Path, name: str) -> Iterator[Engine]:
    """An engine on an empty database of the backend under test, apart from the shared one; gone afterwards."""
    pg_name = f"gridreg_{name}_{os.getpid()}"
    url = f"sqlite:///{tmp_path / f'{name}.sqlite'}" if backend == "sqlite" else fresh_pg_database(pg_name)
    engine = make_engine(make_settings(url, tmp_path))
    try:
        yield engine
    finally:
        engine.dispose()
        if backend == "postgresql":
            drop_pg_database(pg_name)


def make_settings(database_url: str, media_root: Path, **overrides: Any) -> Settings:
    """Settings for tests, never read from the environment."""
    values: dict[str, Any] = dict(database_url=database_url, media_root=media_root, secret_key="test-secret",
                                  encryption_key=TEST_KEY, demo=True, log_json=False,
                                  login_max_failures=5, login_lockout_seconds=300,
                                  # every test logs in: argon2's cheapest work factors (the default's are tested)
                                  password_profile="CHEAPEST")
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def settings(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at a fresh database of the backend under test."""
    root = tmp_path_factory.mktemp(f"gridreg-{backend}")
    if backend == "sqlite":
        url = f"sqlite:///{root / 'test.sqlite'}"
    else:
        url = fresh_pg_database(PG_TEST_DB)
    return make_settings(url, root / "media")


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    """The backend's engine with the schema built by the migrations and the demo city loaded."""
    engine = make_engine(settings)
    migrate.upgrade(engine)
    with session_factory(engine)() as session:
        load_demo(session, settings)
        session.commit()
    yield engine
    engine.dispose()
    if engine.dialect.name == "postgresql":
        drop_pg_database(PG_TEST_DB)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    if outer.is_active:
        outer.rollback()
    conn.close()


@pytest.fixture
def maker(connection: Connection) -> sessionmaker[Session]:
    """Sessions joined to the test's outer transaction (commit = release savepoint)."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def db(maker: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and checking data."""
    session = maker()
    yield session
    session.close()


@pytest.fixture
def app(settings: Settings, engine: Engine, maker: sessionmaker[Session]) -> Iterator[Flask]:
    """The application, its requests running inside the test's transaction."""
    application = create_app(settings, engine=engine)
    application.extensions["gridreg"].sessionmaker = maker
    if not settings.redis_url:  # inline jobs share the requests' transaction, as they share the app's engine
        from server import worker

        worker.configure(settings, engine, maker)
    application.config["TESTING"] = True
    yield application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


class Auth:
    """Log demo users in and build headers."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self._tokens: dict[str, str] = {}

    def token(self, username: str, password: str = DEMO_PASSWORD) -> str:
        """A bearer token for the user (cached per test)."""
        if username not in self._tokens:
            resp = self.client.post("/api/v1/auth/token", json={"username": username, "password": password})
            assert resp.status_code == 200, resp.get_json()
            self._tokens[username] = resp.get_json()["access_token"]
        return self._tokens[username]

    def headers(self, username: str) -> dict[str, str]:
        """Authorization header for the user."""
        return {"Authorization": f"Bearer {self.token(username)}"}

    def read(self, url: str, username: str, **params: Any) -> Any:
        """GET ``url`` as the user with ``params`` as its query; asserts 200 and returns the JSON body."""
        resp = self.client.get(url, query_string=params, headers=self.headers(username))
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    """Log in as demo users: admin, designer, supervisor, worker and the departments police, hrss, education, civil."""
    return Auth(client)


@pytest.fixture
def outsider(db: Session) -> str:
    """A supervisor of another township than the demo users' (410184105); their username."""
    from server.accounts.service import create_user
    from server.geo.models import AdminUnit

    other = db.scalar(select(AdminUnit).where(AdminUnit.level == "township", AdminUnit.code != "410184105")
                      .order_by(AdminUnit.code))
    assert other is not None
    create_user(db, username="outsider", password=DEMO_PASSWORD, role="supervisor", unit_codes=[other.code])
    db.commit()
    return "outsider"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The ``gridreg`` command's settings for a fresh, migrated SQLite file in tmp_path."""
    from tests.support.cli import cli_environment

    return cli_environment(tmp_path, monkeypatch, TEST_KEY)


@pytest.fixture(autouse=True)
def _no_environment_leaks() -> Iterator[None]:
    """Fail a test that leaves GRIDREG_* variables changed."""
    before = {k: v for k, v in os.environ.items() if k.startswith("GRIDREG_")}
    yield
    after = {k: v for k, v in os.environ.items() if k.startswith("GRIDREG_")}
    assert before == after, "test changed GRIDREG_* environment variables"


@pytest.fixture
def redis_conn() -> Iterator[Redis]:
    """The test Redis database, emptied before and after."""
    conn = Redis.from_url(REDIS_URL)
    conn.flushdb()
    yield conn
    conn.flushdb()


def own_queue(name: str) -> str:
    """This process's name for a queue: other test runs sharing the Redis database must not take our jobs."""
    return f"{name}_{os.getpid()}"


@contextmanager
def redis_app(settings: Settings, engine: Engine, maker: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
              **changes: Any) -> Iterator[Flask]:
    """The app with the test Redis configured (and ``changes``): jobs and the wake-up wait on this process's own
    queues until a worker takes them (``burst``, ``batch_worker.drain``), then run on the test's sessions."""
    from rq import Queue

    from server import queue, worker

    monkeypatch.setattr(queue, "WAKE_KEY", own_queue("wake"))
    monkeypatch.setattr(queue, "get_queue", lambda s, name: Queue(
        own_queue(name), connection=queue.redis_connection(s), default_timeout=queue.JOB_TIMEOUT))
    redis_settings = settings.with_(redis_url=REDIS_URL, **changes)
    application = create_app(redis_settings, engine=engine)
    application.extensions["gridreg"].sessionmaker = maker
    application.config["TESTING"] = True
    before = worker._context
    worker.configure(redis_settings, engine, maker)
    try:
        yield application
    finally:
        worker._context = before


def burst(conn: Redis, *names: str) -> None:
    """Run every job waiting on these queues (this process's own) in this process, then return."""
    from rq import Queue, SimpleWorker

    SimpleWorker([Queue(own_queue(n), connection=conn) for n in names], connection=conn).work(burst=True)
