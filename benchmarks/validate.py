"""Benchmark the submission validator on realistic registration submissions, single-threaded.

Run from the repository root:  .venv/bin/python benchmarks/validate.py [-n 5000] [--profile]

Compiles forms/registration.xlsx, generates N valid registrations (Chinese names,
resident ID numbers with correct check characters, GB/T 3304 ethnic codes,
GB/T 2260 origin cascades, 0-3 children, geopoints near 34.40 N 113.74 E),
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from server.domain import divisions, ethnicity, resident_id  # noqa: E402
from server.forms.compiled import CompiledForm  # noqa: E402
from server.forms.compiler import compile_workbook  # noqa: E402
from server.forms.validator import check_submission  # noqa: E402

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华霞平刚桂兰建国志红玉梅海燕文辉鹏飞雪晶"
MINORITY_NAMES = ["阿依古丽", "买买提·艾力", "古丽娜尔", "热依拉", "扎西顿珠", "卓玛", "巴特尔", "其其格",
                  "阿迪力", "努尔兰", "斯琴高娃", "央金"]
REASONS = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "99"]
NEEDS = ["employment", "schooling", "medical", "legal_aid", "hardship", "housing", "other"]
STAGES = ["preschool", "primary", "junior", "senior", "not_enrolled", "dropped_out"]


def _clock() -> datetime:
    return NOW


def _name(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(MINORITY_NAMES)
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _counties() -> list[divisions.Division]:
    """Counties whose prefecture is itself a choice (skips provinces without prefectures)."""
    return [c for c in divisions.counties() if c.parent_code and len(c.parent_code) == 4]


def _id_number(rng: random.Random, county: str, born: date, sex: str) -> str:
    seq = rng.randrange(0, 100) * 10 + rng.choice([1, 3, 5, 7, 9] if sex == "1" else [0, 2, 4, 6, 8])
    first17 = f"{county}{born:%Y%m%d}{seq:03d}"
    return first17 + resident_id.check_char(first17)


def make_submission(
    rng: random.Random, counties: list[divisions.Division], index: int
) -> tuple[dict[str, Any], set[str]]:
    """One valid registration submission (JSON tree) and its attachment names."""
    sex = rng.choice(["1", "2"])
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 45))
    county = rng.choice(counties)
    prefecture = county.parent_code or ""
    province = prefecture[:2]
    id_number = _id_number(rng, county.code, born, sex)
    full_name = _name(rng)
    reason = rng.choice(REASONS)
    needs = sorted(rng.sample(NEEDS, rng.randint(0, 3)), key=NEEDS.index)
    children = []
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        stage = rng.choice(STAGES)
        child = {
            "child_name": _name(rng),
            "child_sex": rng.choice(["1", "2"]),
            "child_birth_date": (date(2008, 1, 1) + timedelta(days=rng.randrange(0, 365 * 17))).isoformat(),
            "child_status": rng.choice(["accompanying", "left_behind"]),
            "child_school_stage": stage,
        }
        if stage in ("preschool", "primary", "junior", "senior"):
            child["child_school_name"] = rng.choice(["新郑市第一小学", "龙湖镇中学", "新华路幼儿园"])
        children.append(child)
    photo = f"photo-{index}.jpg"
    lat = 34.40 + rng.uniform(-0.05, 0.05)
    lon = 113.74 + rng.uniform(-0.05, 0.05)
    data = {
        "identity": {
            "full_name": full_name,
            "id_number": id_number,
            "id_remainder": str(resident_id.check_remainder(id_number[:17])),
            "id_check_char": id_number[-1],
            "id_birth_date": born.isoformat(),
            "id_sex": sex,
            "sex": sex,
            "ethnicity": rng.choice(ethnicity.all_ethnicities()).code,
            "birth_date": born.isoformat(),
            "phone": "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9)),
            "photo": photo,
        },
        "origin": {
            "origin_province": province,
            "origin_prefecture": prefecture,
            "origin_county": county.code,
            "origin_division": county.code,
            "origin_address": "某某村" + str(rng.randint(1, 99)) + "号",
        },
        "residence": {
            "arrival_date": (date(2020, 1, 1) + timedelta(days=rng.randrange(0, 2000))).isoformat(),
            "current_address": "新郑市新建路" + str(rng.randint(1, 300)) + "号",
            "residence_type": rng.choice(["owned", "rented", "dormitory", "site"]),
            "location": f"{lat:.6f} {lon:.6f} {rng.uniform(80, 160):.1f} {rng.uniform(3, 15):.1f}",
            "permit_status": rng.choice(["unregistered", "registered", "permit", "expired"]),
        },
        "work": {"reason": reason, "occupation": rng.choice(["1", "4", "6", "0"]), "employer": "某公司"},
        "family": {"marital_status": rng.choice(["10", "20", "40"]), "children": children,
                   "children_count": str(len(children))},
        "needs_group": {"needs": " ".join(needs), "remarks": ""},
        "meta": {"instanceID": f"uuid:00000000-0000-4000-8000-{index:012d}",
                 "instanceName": "登记-" + full_name},
    }
    if reason == "99":
        data["work"]["reason_other"] = "探亲"
    if "other" in needs:
        data["needs_group"]["needs_other"] = "技能培训"
    return {"data": data}, {photo}


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
    counties = _counties()
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
