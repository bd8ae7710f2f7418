"""A real stack for the fault tests: own PostgreSQL cluster, own Redis, gunicorn, `gridreg worker` processes.

Started once per module (migrations and the demo take ~30 s) and always torn
down, also when a test fails; each test starts and kills its own job workers.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.submissions.support import registration_data, submission_part
from tests.support.stack import Stack, bearer_token, multipart_body, psql, stack

FORM_PATH = "/api/v1/forms/person_registration/submissions"
FINAL = ("validated", "invalid", "merged", "rejected")
MERGED = ("invalid", "merged", "rejected")  # the end of the way: validated and merged, or refused
BOUNDARY = "gridregfaults"


@pytest.fixture(scope="module")
def live() -> Iterator[Stack]:
    """PostgreSQL + Redis + gunicorn, ours alone; everything stopped at the end."""
    with stack(web_workers=2, web_threads=4) as st:
        try:
            st.start_redis()
            st.start_database("gridreg_faults")
            st.start_web()
        except Exception:
            print(st.tail_logs())
            raise
        yield st


@dataclass
class Outcome:
    """Every answer one instance id got, in order (an int status or an exception name)."""

    instance_id: str
    attempts: list[int | str] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        """The server said it has it (201 created, 200 replay)."""
        return bool(self.attempts) and self.attempts[-1] in (200, 201)

    @property
    def committed_but_5xx(self) -> bool:
        """A 5xx answered for a row that was in fact committed (a later retry found it: 200 replay)."""
        return any(isinstance(a, int) and a >= 500 for a in self.attempts) and self.attempts[-1] == 200


class Clients:
    """Submitting clients that retry connection errors and 5xx with the same instance id, as the outbox does."""

    def __init__(self, st: Stack) -> None:
        self.st = st
        self.token = bearer_token(st.web_port)
        self.version = str(psql(st.database_url, "SELECT v.version FROM form_versions v JOIN forms f ON "
                                                 "f.id = v.form_pk WHERE f.form_id = 'person_registration' "
                                                 "AND v.state = 'published'")[0][0])
        self.data = registration_data(photo=None)
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()

    def _post(self, iid: str) -> int:
        body = multipart_body([("submission", "submission.json", "application/json",
                                submission_part(iid, self.data, version=self.version))], BOUNDARY)
        conn = http.client.HTTPConnection("127.0.0.1", self.st.web_port, timeout=15)
        try:
            conn.request("POST", FORM_PATH, body=body, headers={
                "Authorization": f"Bearer {self.token}", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()

    def submit(self, give_up_at: float) -> Outcome:
        """One new submission, retried with backoff until acknowledged, refused (4xx) or ``give_up_at``."""
        outcome = Outcome(str(uuid.uuid4()))
        with self._lock:
            self.outcomes.append(outcome)
        delay = 0.1
        while True:
            try:
                status: int | str = self._post(outcome.instance_id)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
            outcome.attempts.append(status)
            if status in (200, 201) or (isinstance(status, int) and 400 <= status < 500):
                return outcome
            if time.monotonic() > give_up_at:
                return outcome
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def burst(self, count: int, threads: int = 4, give_up_after: float = 60) -> None:
        """``count`` submissions from ``threads`` clients, back to back."""
        give_up_at = time.monotonic() + give_up_after
        left = iter(range(count))
        lock = threading.Lock()

        def run() -> None:
            while True:
                with lock:
                    if next(left, None) is None:
                        return
                self.submit(give_up_at)

        workers = [threading.Thread(target=run) for _ in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()

    def background(self, stop: threading.Event, threads: int = 4, pause: float = 0.1,
                   give_up_after: float = 60) -> list[threading.Thread]:
        """Clients submitting (each pausing ``pause`` s between submissions) until ``stop`` is set."""
        give_up_at = time.monotonic() + give_up_after

        def run() -> None:
            while not stop.is_set():
                self.submit(give_up_at)
                stop.wait(pause)

        workers = [threading.Thread(target=run, daemon=True) for _ in range(threads)]
        for t in workers:
            t.start()
        return workers

    def acknowledged(self) -> list[Outcome]:
        """Outcomes the server acknowledged."""
        return [o for o in self.outcomes if o.acknowledged]

    def summary(self) -> str:
        """What the clients saw, for the test log: answers by kind, retries."""
        answers: dict[str, int] = {}
        for o in self.outcomes:
            for a in o.attempts:
                answers[str(a)] = answers.get(str(a), 0) + 1
        retried = sum(1 for o in self.outcomes if len(o.attempts) > 1)
        return (f"{len(self.outcomes)} submissions, {len(self.acknowledged())} acknowledged, {retried} retried; "
                f"answers {dict(sorted(answers.items()))}")


def rows_by_instance(st: Stack, ids: list[str]) -> dict[str, tuple[int, str]]:
    """instance id (as the client sent it) -> (number of rows, status) for the given ids."""
    if not ids:
        return {}
    wanted = ",".join(f"'uuid:{i}'" for i in ids)
    rows = psql(st.database_url, f"SELECT instance_id, count(*), min(status) FROM submissions "
                                 f"WHERE instance_id IN ({wanted}) GROUP BY instance_id")
    return {str(r[0])[5:]: (int(r[1]), str(r[2])) for r in rows}


def wait_all_final(st: Stack, ids: list[str], timeout: float,
                   final: tuple[str, ...] = FINAL) -> dict[str, tuple[int, str]]:
    """Poll until every id's row is in one of the ``final`` statuses (or the timeout); the last look."""
    deadline = time.monotonic() + timeout
    while True:
        found = rows_by_instance(st, ids)
        if all(found.get(i, (0, ""))[1] in final for i in ids) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def children_of(pid: int) -> list[int]:
    """Direct children of a process (RQ's work horse runs in its own process group)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def dump(obj: object) -> str:
    """Compact JSON for assertion messages."""
    return json.dumps(obj, ensure_ascii=False, default=str)[:3000]
