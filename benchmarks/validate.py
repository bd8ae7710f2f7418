"""Benchmark the submission validator on realistic registration submissions, single-threaded.

Run from the repository root:  .venv/bin/python benchmarks/validate.py [-n 5000] [--profile]

Compiles forms/registration.xlsx, generates N valid registrations (Chinese names,
resident ID numbers with correct check characters, GB/T 3304 ethnic codes,
GB/T 2260 origin cascades, 0-3 children, geopoints near 34.40 N 113.74 E; the
generator is tests/support/registrations.py, which the validator's tests use too),
validates each one and prints validations/s, median and p95 microseconds, a
sanity line counting issues on the valid data (expected 0) and a check that a
deliberately corrupted submission is caught.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from server.forms.compiled import CompiledForm  # noqa: E402
from server.forms.compiler import compile_workbook  # noqa: E402
from server.forms.validator import check_submission  # noqa: E402
from tests.support.registrations import make_submission, origin_counties  # noqa: E402

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def _clock() -> datetime:
    return NOW


def corrupt(submission: dict[str, Any]) -> dict[str, Any]:
    """A copy with a wrong check character, an unknown ethnic code and a non-relevant answer."""
    import copy

    bad = copy.deepcopy(submission)
    identity = bad["data"]["identity"]
    digits = identity["id_number"]
    identity["id_number"] = digits[:17] + ("0" if digits[17] != "0" else "1")
    identity["ethnicity"] = "99"
    bad["data"]["work"]["reason"] = "01"
    bad["data"]["work"]["reason_other"] = "不应填写"
    return bad


def load_form() -> CompiledForm:
    """The compiled registration form."""
    path = ROOT / "forms" / "registration.xlsx"
    return compile_workbook(path.read_bytes(), path.name)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5000, help="submissions to validate (default 5000)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the run")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    form = load_form()
    print(f"compiled {form.form_id} v{form.version} in {time.perf_counter() - started:.2f} s")
    rng = random.Random(args.seed)
    counties = origin_counties()
    samples = [make_submission(rng, counties, i) for i in range(args.n)]
    check_submission(form, samples[0][0], attachments=samples[0][1], clock=_clock)  # build the plan

    # CPU time of this thread is what one core spends; wall time also counts other processes'
    # turns on a shared machine, so both are reported.
    profiler = cProfile.Profile(time.thread_time) if args.profile else None
    timings: list[float] = []
    issues_found = 0
    if profiler:
        profiler.enable()
    wall_start, cpu_start = time.perf_counter(), time.thread_time()
    for data, files in samples:
        t0 = time.thread_time()
        issues = check_submission(form, data, attachments=files, clock=_clock)
        timings.append(time.thread_time() - t0)
        issues_found += len(issues)
    cpu = time.thread_time() - cpu_start
    wall = time.perf_counter() - wall_start
    if profiler:
        profiler.disable()

    timings.sort()
    median_us = statistics.median(timings) * 1e6
    p95_us = timings[int(len(timings) * 0.95) - 1] * 1e6
    print(f"validated {args.n} registrations single-threaded: {args.n / cpu:,.0f} validations/s of CPU on one core "
          f"(median {median_us:.0f} us, p95 {p95_us:.0f} us CPU per submission)")
    print(f"wall clock: {wall:.2f} s, {args.n / wall:,.0f} validations/s "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(f"sanity: {issues_found} issues on {args.n} valid submissions (expected 0)")
    bad_issues = check_submission(form, corrupt(samples[0][0]), attachments=samples[0][1], clock=_clock)
    codes = sorted({i.code for i in bad_issues})
    print(f"sanity: corrupted sample caught with {len(bad_issues)} issues: {', '.join(codes)}")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return 0 if issues_found == 0 and bad_issues else 1


if __name__ == "__main__":
    raise SystemExit(main())
