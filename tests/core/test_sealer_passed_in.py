"""No service finds the sealer's settings by itself: the caller passes them in.

A resource builds the sealer from the request's settings (``server.api.app_sealer``),
a job from the worker's, and both hand it down to the services they call. So every
``current_sealer(...)`` and ``Sealer.from_settings(...)`` under server/ names the
settings it seals under; a call without them is found here, wherever it stands.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from server.sealing.crypto import current_sealer

SERVER = Path(__file__).resolve().parents[2] / "server"
BUILDERS = ("current_sealer", "from_settings")


def bare_calls(source: str) -> list[tuple[int, str]]:
    """The calls of a sealer builder given no argument, with their lines."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or node.args or node.keywords:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name in BUILDERS:
            found.append((node.lineno, name))
    return found


def test_the_walker_finds_bare_calls_in_every_form():
    source = (
        "def f(settings):\n"
        "    a = current_sealer()\n"
        "    b = crypto.current_sealer()\n"
        "    c = Sealer.from_settings()\n"
        "    d = current_sealer(settings)\n"
        "    e = Sealer.from_settings(settings=settings)\n"
        "    return lambda: current_sealer()\n"
    )
    assert sorted(bare_calls(source)) == [(2, "current_sealer"), (3, "current_sealer"), (4, "from_settings"),
                                          (7, "current_sealer")]


def test_no_sealer_is_built_without_settings_under_server():
    bare = [
        f"{path.relative_to(SERVER.parent)}:{line} calls {name}() without settings"
        for path in sorted(SERVER.rglob("*.py"))
        for line, name in bare_calls(path.read_text(encoding="utf-8"))
    ]
    assert bare == []


def test_current_sealer_requires_settings():
    with pytest.raises(TypeError):
        current_sealer()  # type: ignore[call-arg]
