"""The embedded SQLite store under concurrent writers."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from server.db import make_engine
from tests.conftest import make_settings


def test_concurrent_writers_wait_instead_of_failing(tmp_path):
    engine = make_engine(make_settings(f"sqlite:///{tmp_path / 'c.sqlite'}", tmp_path))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    first_wrote = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            first_wrote.set()
            time.sleep(0.3)

    def second() -> None:
        first_wrote.wait(5)
        try:
            with engine.begin() as conn:  # reads, then writes, as a request does
                count = conn.execute(text("SELECT count(*) FROM t")).scalar_one()
                conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": count + 10})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM t ORDER BY x")).scalars().all() == [1, 11]
    engine.dispose()
