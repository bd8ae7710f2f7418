"""Real processes for the fault tests and the benchmarks: PostgreSQL, Redis, gunicorn, `gridreg worker`.

Everything here starts its own throwaway instance (a PostgreSQL 15 cluster in a
temporary directory, a Redis without persistence, gunicorn on a free port) so
that it never disturbs the machine's shared PostgreSQL (5432) and Redis (6379).
Each process is started in its own session and stopped by its process id, so
``Stack.close`` cleans up everything it started, and only that, even after a
failure.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("GRIDREG_PG_BIN", "/usr/lib/postgresql/15/bin"))
DEMO_PASSWORD = "gridreg-demo"
KEY = base64.urlsafe_b64encode(b"bench-key-bench-key-bench-key-32").decode()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0, proc: subprocess.Popen[Any] | None = None) -> None:
    """Block until something accepts connections on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.args!r} exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


def stop_process(proc: subprocess.Popen[Any] | None, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Signal a process group we started (by its id) and wait; SIGKILL if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(5)


def _as_postgres() -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class PgCluster:
    """A throwaway PostgreSQL 15 cluster (trust auth, TCP on 127.0.0.1, fsync on)."""

    def __init__(self, base: Path, port: int | None = None, settings: Mapping[str, str] | None = None) -> None:
        self.base = base
        self.data = base / "pgdata"
        self.port = port or free_port()
        self.log = base / "postgres.log"
        self.settings = {"listen_addresses": "127.0.0.1", "fsync": "on", "max_connections": "300",
                         "shared_buffers": "256MB", **(settings or {})}

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*_as_postgres(), *args], check=check, capture_output=True, text=True, timeout=120)

    def init(self) -> PgCluster:
        """initdb into ``base/pgdata``."""
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8", "--locale", "C")
        return self

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        opts = f"-p {self.port} -k {self.base} " + " ".join(f"-c {k}={v}" for k, v in self.settings.items())
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "-t", "60",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast`` or ``immediate``, the latter like a crash)."""
        if (self.data / "postmaster.pid").exists():
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        """Stop and start again."""
        self.stop(mode)
        self.start()

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of a database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create a database; its URL."""
        self._run(str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                  "-v", "ON_ERROR_STOP=1", "-c", f'CREATE DATABASE "{name}"')
        return self.url(name)


class RedisServer:
    """A Redis without persistence on a free port, in the foreground as our child."""

    def __init__(self, base: Path, port: int | None = None) -> None:
        self.base = base
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until it listens."""
        self.base.mkdir(parents=True, exist_ok=True)
        log = open(self.base / f"redis-{self.port}.log", "ab")  # noqa: SIM115 - owned by the child
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.base)], stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        wait_for_port(self.port, 15, self.proc)

    def stop(self) -> None:
        """Stop it (its data is gone: no persistence)."""
        stop_process(self.proc)
        self.proc = None

    @property
    def url(self) -> str:
        """The URL the service uses."""
        return f"redis://127.0.0.1:{self.port}/0"


@dataclass
class Stack:
    """PostgreSQL + Redis + gunicorn + `gridreg worker` processes, all ours."""

    base: Path
    web_workers: int = 2
    web_threads: int = 8
    pg_settings: Mapping[str, str] | None = None
    pg: PgCluster | None = None
    redis: RedisServer | None = None
    web: subprocess.Popen[bytes] | None = None
    web_port: int = 0
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    database_url: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    web_app: str = "server.wsgi:app"

    # ---------------------------------------------------------------- environment

    def env(self) -> dict[str, str]:
        """The environment of every gridreg process of this stack."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDREG_")}
        env.update({
            "GRIDREG_DATABASE_URL": self.database_url,
            "GRIDREG_MEDIA_ROOT": str(self.base / "media"),
            "GRIDREG_SECRET_KEY": "bench-secret",
            "GRIDREG_ENCRYPTION_KEY": KEY,
            "GRIDREG_DEMO": "1",
            "GRIDREG_LOG_FORMAT": "text",
            "PYTHONUNBUFFERED": "1",
        })
        if self.redis is not None:
            env["GRIDREG_REDIS_URL"] = self.redis.url
        env.update(self.extra_env)
        return env

    def gridreg(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one `gridreg` command against this stack."""
        done = subprocess.run([str(BIN / "gridreg"), *args], env=self.env(), cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise RuntimeError(f"gridreg {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    # ---------------------------------------------------------------- lifecycle

    def start_database(self, database: str = "gridreg") -> None:
        """A fresh cluster with one database, migrated, demo city, users and forms loaded."""
        self.pg = PgCluster(self.base / "pg", settings=self.pg_settings).init()
        self.pg.start()
        self.database_url = self.pg.create_database(database)
        self.gridreg("db", "upgrade")
        self.gridreg("demo", "load")

    def start_redis(self) -> None:
        """Our own Redis."""
        self.redis = RedisServer(self.base / "redis")
        self.redis.start()

    def start_web(self, *, profile_dir: Path | None = None) -> None:
        """gunicorn (gthread) on a free port; waits for /healthz."""
        self.web_port = free_port()
        log = open(self.base / "gunicorn.log", "ab")  # noqa: SIM115 - owned by the child
        args = [str(BIN / "gunicorn"), self.web_app, "--bind", f"127.0.0.1:{self.web_port}",
                "--workers", str(self.web_workers), "--threads", str(self.web_threads),
                "--worker-class", "gthread", "--timeout", "60", "--keep-alive", "30", "--backlog", "2048",
                "--reuse-port",  # a listening socket per worker: the kernel spreads keep-alive clients evenly
                "--no-control-socket"]
        self.web = subprocess.Popen(args, env=self.env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        log.close()
        wait_for_port(self.web_port, 60, self.web)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _ = http_request(self.web_port, "GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError("gunicorn did not answer /healthz")

    def stop_web(self) -> None:
        """Stop gunicorn."""
        stop_process(self.web, signal.SIGTERM, 15)
        self.web = None

    def start_worker(self, queues: str = "validation,merge,media", *options: str) -> subprocess.Popen[bytes]:
        """One `gridreg worker` process (``options``: more of its command-line options)."""
        log = open(self.base / f"worker-{len(self.workers)}.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen([str(BIN / "gridreg"), "worker", "--queues", queues, *options], env=self.env(),
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.workers.append(proc)
        return proc

    def stop_workers(self, sig: int = signal.SIGTERM) -> None:
        """Stop every worker we started."""
        for proc in self.workers:
            stop_process(proc, sig, 15)
        self.workers.clear()

    def close(self) -> None:
        """Stop everything this stack started, in reverse order; never raises."""
        for step in (self.stop_workers, self.stop_web,
                     lambda: self.redis.stop() if self.redis else None,
                     lambda: self.pg.stop("immediate") if self.pg else None):
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - cleanup must go on
                print(f"cleanup step failed: {exc!r}", file=sys.stderr)

    def tail_logs(self, lines: int = 40) -> str:
        """The last lines of every log file we wrote (for failure messages)."""
        out = []
        for path in sorted(self.base.rglob("*.log")):
            try:
                text = path.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                continue
            out.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(out)


@contextmanager
def stack(base: Path | None = None, keep: bool = False, **kwargs: Any) -> Iterator[Stack]:
    """A Stack in a temporary directory, closed (and removed) on exit, even on failure."""
    made = base is None
    base = base or Path(tempfile.mkdtemp(prefix="gridreg-stack-"))
    if os.geteuid() == 0:
        base.chmod(0o755)
    st = Stack(base, **kwargs)
    try:
        yield st
    finally:
        st.close()
        if made and not keep:
            shutil.rmtree(base, ignore_errors=True)


# -------------------------------------------------------------------- client side


def http_request(port: int, method: str, path: str, body: bytes | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float = 30) -> tuple[int, bytes]:
    """One request on a fresh connection: (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}))
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def bearer_token(port: int, username: str = "worker", password: str = DEMO_PASSWORD) -> str:
    """Log in through the JSON API."""
    status, body = http_request(port, "POST", "/api/v1/auth/token",
                                json.dumps({"username": username, "password": password}).encode(),
                                {"Content-Type": "application/json"})
    if status != 200:
        raise RuntimeError(f"login failed: {status} {body[:300]!r}")
    return str(json.loads(body)["access_token"])


def basic_auth(username: str = "worker", password: str = DEMO_PASSWORD) -> str:
    """An HTTP Basic Authorization value."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def multipart_body(parts: list[tuple[str, str, str, bytes]], boundary: str) -> bytes:
    """multipart/form-data of (name, filename, content type, bytes) parts."""
    out: list[bytes] = []
    for name, filename, content_type, content in parts:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                   f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def psql(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Run one statement with psycopg on a fresh connection; rows if it returns any."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True,
                         connect_timeout=5) as conn:
        cur = conn.execute(sql)  # type: ignore[arg-type]
        return list(cur.fetchall()) if cur.description else []


def log_file(path: Path) -> IO[bytes]:
    """An append-mode log file for a child process."""
    return open(path, "ab")  # noqa: SIM115
