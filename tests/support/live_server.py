"""The real service on a free port, for the browser tests and benchmarks/render.py.

``gridreg db upgrade`` and ``gridreg demo load`` prepare a fresh SQLite database in a
temporary folder, then ``gridreg serve --workers 1`` runs as a child process until
``stop()``. The GRIDREG_* variables go to the child processes only: this process's
environment is never changed (tests/conftest.py fails tests that change it). Without
GRIDREG_REDIS_URL the service runs its validation and merge jobs inline after commit,
so a submission's status is final when the POST has answered.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from tests.support.stack import BIN, DEMO_PASSWORD, free_port

__all__ = ["DEMO_PASSWORD", "LiveServer", "ServiceError"]


class ServiceError(RuntimeError):
    """The service could not be prepared or did not come up."""


class LiveServer:
    """``gridreg serve`` on a demo database in ``root``; call start() then stop()."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = root
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = root / "serve.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDREG_")}
        self.env.update(GRIDREG_DEMO="1", GRIDREG_DATABASE_URL=f"sqlite:///{root / 'b.sqlite'}",
                        GRIDREG_MEDIA_ROOT=str(root / "media"), GRIDREG_PORT=str(self.port),
                        GRIDREG_LOG_FORMAT="text", GRIDREG_WEBHOOKS_ALLOW_PRIVATE="1",
                        GRIDREG_WEBHOOK_MAX_ATTEMPTS="1", GRIDREG_PASSWORD_PROFILE="CHEAPEST")
        self._proc: subprocess.Popen[bytes] | None = None
        self._tokens: dict[str, str] = {}

    def _run(self, *args: str) -> None:
        done = subprocess.run([str(BIN / "gridreg"), *args], env=self.env, cwd=self.root,
                              capture_output=True, text=True, timeout=180)
        if done.returncode:
            raise ServiceError(f"gridreg {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    def start(self, timeout: float = 60) -> LiveServer:
        """Migrate, load the demo city, serve, and wait for /healthz."""
        (self.root / "media").mkdir(parents=True, exist_ok=True)
        self._run("db", "upgrade")
        self._run("demo", "load")
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen([str(BIN / "gridreg"), "serve", "--workers", "1"], env=self.env,
                                          cwd=self.root, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise ServiceError(f"gridreg serve exited with {self._proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise ServiceError(f"gridreg serve did not answer /healthz within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate the server (gunicorn shuts its worker down on SIGTERM)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log, for failure messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # --- HTTP API as a supervisor or admin would use it --------------------------------

    def request(self, method: str, path: str, *, user: str | None = None, body: Any = None,
                data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """Call the API; returns (status, decoded JSON or text). Never raises on HTTP errors."""
        hdrs = {"Accept": "application/json", **(headers or {})}
        if user:
            hdrs["Authorization"] = f"Bearer {self.token(user)}"
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
            err.close()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def add_user(self, username: str, role: str, units: list[str], password: str = DEMO_PASSWORD) -> None:
        """Create an account with ``gridreg users create`` (as an administrator would)."""
        self._run("users", "create", username, "--role", role, *(f"--unit={u}" for u in units),
                  f"--password={password}")

    def token(self, user: str) -> str:
        """A bearer token for a demo user (cached).

        Logging in writes a token row; on SQLite a write that overlaps another request's
        write fails with 500 "database is locked" (deferred BEGIN in WAL mode), so tests
        log in before the browser starts sending.
        """
        if user not in self._tokens:
            status, answer = self.request("POST", "/api/v1/auth/token",
                                          body={"username": user, "password": DEMO_PASSWORD})
            if status != 200:
                raise ServiceError(f"login as {user} failed: {status} {answer}")
            self._tokens[user] = answer["access_token"]
        return self._tokens[user]

    def publish(self, form_id: str, workbook: bytes, user: str = "designer") -> None:
        """Upload an XLSForm workbook (.xlsx bytes) as a new draft of form_id and publish it."""
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{form_id}.xlsx\"\r\n"
                "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").encode()
        body += workbook + f"\r\n--{boundary}--\r\n".encode()
        status, answer = self.request("POST", "/api/v1/forms", user=user, data=body,
                                      headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        if status not in (200, 201):
            raise ServiceError(f"upload of {form_id} refused: {status} {json.dumps(answer, ensure_ascii=False)[:2000]}")
        status, answer = self.request("POST", f"/api/v1/forms/{form_id}/draft/publish", user=user)
        if status != 200:
            raise ServiceError(f"publishing {form_id} refused: {status} {answer}")

    def submissions(self, form_id: str, user: str = "admin", **query: str) -> list[dict[str, Any]]:
        """Every submission of a form the user can see (follows the keyset cursor)."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params = dict(query, limit="200", **({"cursor": cursor} if cursor else {}))
            qs = "&".join(f"{k}={urllib.request.quote(str(v))}" for k, v in params.items())
            status, page = self.request("GET", f"/api/v1/forms/{form_id}/submissions?{qs}", user=user)
            if status != 200:
                raise ServiceError(f"listing {form_id} submissions: {status} {page}")
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor or not page["items"]:
                return items

    def submission(self, instance_id: str, user: str = "admin") -> dict[str, Any]:
        """One submission's detail: status, errors, flags, data."""
        status, answer = self.request("GET", f"/api/v1/submissions/{instance_id}", user=user)
        if status != 200:
            raise ServiceError(f"submission {instance_id}: {status} {answer}")
        return dict(answer)
