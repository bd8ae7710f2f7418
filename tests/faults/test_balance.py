"""Keep-alive clients that connect at once are spread over both gunicorn workers, not stacked on one."""

from __future__ import annotations

import http.client
import os
from pathlib import Path

from tests.support.stack import Stack

CLIENTS = 60


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rfind(")") + 2:].split()[1]) == pid:
                found.append(int(entry))
    return found


def _established_inodes(port: int) -> set[str]:
    """Socket inodes of established TCP connections whose local end is ``port``."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":
            inodes.add(fields[9])
    return inodes


def _connections_by_worker(st: Stack) -> dict[int, int]:
    assert st.web is not None
    ours = _established_inodes(st.web_port)
    counts = {}
    for worker in _children(st.web.pid):
        held = 0
        for fd in Path(f"/proc/{worker}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in ours:
                held += 1
        counts[worker] = held
    return counts


def test_clients_connecting_at_once_land_on_both_workers(live: Stack):
    connections = [http.client.HTTPConnection("127.0.0.1", live.web_port, timeout=15) for _ in range(CLIENTS)]
    try:
        for conn in connections:
            conn.connect()
        for conn in connections:  # one request each, so every connection has been accepted and kept alive
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 200
        counts = _connections_by_worker(live)
    finally:
        for conn in connections:
            conn.close()
    assert len(counts) == 2 and sum(counts.values()) == CLIENTS, counts
    assert min(counts.values()) >= CLIENTS // 4, counts  # even hashing: below 15 of 60 happens ~1 in 20,000
