"""The contexts depend on each other in one direction only.

The registry folds submissions into records, so it may read submissions; a
submission is stored and validated without knowing the registry (the merge job
follows validation through the job map in server/pipeline.py). Submissions
keep their photos through media; media stores and shrinks files without
knowing what a submission is. What both sides need (sealing sensitive
values) lives below them in server/sealing. Every import is read from the
source, inside functions too, so a deferred import cannot hide a cycle.

The benchmarks are tools built on the test harness (tests/support): they import
it, and no test imports a benchmark, by module or by file.
"""

from __future__ import annotations

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"
TESTS = SERVER.parent / "tests"

# context -> the contexts it must never import (the reverse direction is the allowed one)
FORBIDDEN = {
    "submissions": ("registry",),
    "media": ("submissions", "registry"),
    "sealing": ("submissions", "registry", "media"),
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a source file imports, with its line, wherever the import stands."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def crossings(context: str, forbidden: tuple[str, ...]) -> list[str]:
    """The places where ``context`` imports one of ``forbidden``."""
    bad = []
    for path in sorted((SERVER / context).rglob("*.py")):
        for line, module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "server" and len(parts) > 1 and parts[1] in forbidden:
                bad.append(f"{path.relative_to(SERVER.parent)}:{line} imports {module}")
    return bad


def test_the_walker_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from server.registry import store\n    import server.media.storage\n")
    assert imported_modules(source) == [(2, "server.registry.store"), (3, "server.media.storage")]


def test_every_context_exists():
    assert all((SERVER / name).is_dir() for name in FORBIDDEN)
    assert all((SERVER / name).is_dir() for names in FORBIDDEN.values() for name in names)


def test_submissions_do_not_import_the_registry():
    assert crossings("submissions", FORBIDDEN["submissions"]) == []


def test_media_knows_nothing_of_submissions():
    assert crossings("media", FORBIDDEN["media"]) == []


def test_sealing_stays_below_the_contexts_that_seal():
    assert crossings("sealing", FORBIDDEN["sealing"]) == []


def test_the_registry_direction_is_the_allowed_one():
    # The registry does read submissions; if it stopped, the rule above could be tightened.
    assert crossings("registry", ("submissions",)) != []


def test_tests_never_import_the_benchmarks():
    bad = []
    for path in sorted(set(TESTS.rglob("*.py")) - {Path(__file__).resolve()}):
        for line, module in imported_modules(path):
            if module.split(".")[0] == "benchmarks":
                bad.append(f"{path.relative_to(TESTS.parent)}:{line} imports {module}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value == "benchmarks":  # a path: ROOT / "benchmarks" / …
                bad.append(f"{path.relative_to(TESTS.parent)}:{node.lineno} names the benchmarks folder")
    assert bad == []
