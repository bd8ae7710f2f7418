"""Realistic registrations of forms/registration.xlsx, generated: the validator's tests and benchmarks/validate.py.

Chinese names (some of ethnic minorities), resident ID numbers with correct
check characters, GB/T 3304 ethnic codes, GB/T 2260 origin cascades, 0-3
children, geopoints near 34.40 N 113.74 E. Each is valid by every rule of the
form; a seeded ``random.Random`` makes a run repeatable.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from server.domain import divisions, ethnicity, resident_id

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华霞平刚桂兰建国志红玉梅海燕文辉鹏飞雪晶"
MINORITY_NAMES = ["阿依古丽", "买买提·艾力", "古丽娜尔", "热依拉", "扎西顿珠", "卓玛", "巴特尔", "其其格",
                  "阿迪力", "努尔兰", "斯琴高娃", "央金"]
REASONS = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "99"]
NEEDS = ["employment", "schooling", "medical", "legal_aid", "hardship", "housing", "other"]
STAGES = ["preschool", "primary", "junior", "senior", "not_enrolled", "dropped_out"]


def _name(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(MINORITY_NAMES)
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def origin_counties() -> list[divisions.Division]:
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
