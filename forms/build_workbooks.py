"""Generate the city's XLSForm workbooks (forms/*.xlsx) from the tables below and the reference CSVs.

Run from the repository root:  .venv/bin/python forms/build_workbooks.py

Form designers may edit the generated .xlsx files directly; long choice lists (56 ethnic
groups, the province -> prefecture -> county cascade) come from server/data so they are
never typed by hand. Re-running the generator overwrites the workbooks, so changes that
should last belong in this file. Labels are Chinese first (label::zh), English second
(label::en); the settings sheet makes zh the default language.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook as XlsxWorkbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # allow `python forms/build_workbooks.py` without PYTHONPATH
    sys.path.insert(0, str(ROOT))

from pypinyin import lazy_pinyin  # noqa: E402

from server.domain import divisions, ethnicity, phone  # noqa: E402
from server.domain._reference import read_csv  # noqa: E402
from server.domain.resident_id import CHECK_CHARS, WEIGHTS  # noqa: E402

FORMS_DIR = Path(__file__).resolve().parent
FORM_VERSION = "2026112801"
NAMESPACE = 'gridreg="https://gridreg.xinzheng.gov.cn/xforms"'
TODAY_OR_EARLIER = ". <= today()"

Row = dict[str, str]
Text = tuple[str, str]  # (zh, en)


# --------------------------------------------------------------------------- row helpers


def q(
    type_: str,
    name: str,
    label: Text | None = None,
    *,
    hint: Text | None = None,
    required: bool | str = False,
    required_message: Text | None = None,
    constraint: str = "",
    constraint_message: Text | None = None,
    **extra: str,
) -> Row:
    """One survey row; label/hint/messages are (zh, en) pairs, extra keys are raw columns."""
    row: Row = {"type": type_, "name": name}
    if label:
        row["label::zh"], row["label::en"] = label
    if hint:
        row["hint::zh"], row["hint::en"] = hint
    if required:
        row["required"] = "yes" if required is True else str(required)
        zh, en = required_message or ("此项必填", "This field is required")
        row["required_message::zh"], row["required_message::en"] = zh, en
    if constraint:
        row["constraint"] = constraint
        if constraint_message:
            row["constraint_message::zh"], row["constraint_message::en"] = constraint_message
    row.update({k: v for k, v in extra.items() if v})
    return row


def begin_group(name: str, label: Text, **extra: str) -> Row:
    """A begin_group row."""
    return q("begin_group", name, label, **extra)


def end_group(name: str) -> Row:
    """An end_group row."""
    return {"type": "end_group", "name": name}


def begin_repeat(name: str, label: Text, **extra: str) -> Row:
    """A begin_repeat row."""
    return q("begin_repeat", name, label, **extra)


def end_repeat(name: str) -> Row:
    """An end_repeat row."""
    return {"type": "end_repeat", "name": name}


def choice_list(list_name: str, items: Iterable[Sequence[str]], **columns: Sequence[str]) -> list[Row]:
    """Choices rows from (name, zh, en) tuples; extra columns come as parallel sequences."""
    rows = []
    for i, (name, zh, en) in enumerate(items):
        row: Row = {"list_name": list_name, "name": name, "label::zh": zh, "label::en": en}
        for column, values in columns.items():
            row[column] = values[i]
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- shared code lists

SEX = [
    ("1", "男", "Male"),
    ("2", "女", "Female"),
    ("0", "未知的性别", "Unknown"),
    ("9", "未说明的性别", "Not stated"),
]
YES_NO = [("yes", "是", "Yes"), ("no", "否", "No")]
MARITAL = [  # GB/T 2261.2
    ("10", "未婚", "Never married"),
    ("20", "已婚", "Married"),
    ("21", "初婚", "First marriage"),
    ("22", "再婚", "Remarried"),
    ("23", "复婚", "Remarried to former spouse"),
    ("30", "丧偶", "Widowed"),
    ("40", "离婚", "Divorced"),
    ("90", "未说明的婚姻状况", "Not stated"),
]
# Project list of reasons for coming, with the 2020 census "离开户口登记地原因" code it maps to.
REASON = [
    ("01", "务工", "Work (employed)", "1"),
    ("02", "经商", "Business", "1"),
    ("03", "务农", "Farming", "1"),
    ("04", "就学/培训", "Study / training", "2"),
    ("05", "随迁家属", "Accompanying family member", "3"),
    ("06", "投亲靠友", "Joining relatives or friends", "3"),
    ("07", "婚嫁", "Marriage", "6"),
    ("08", "治病疗养", "Medical treatment / convalescence", "9"),
    ("09", "照料家人", "Caring for family", "7"),
    ("99", "其他", "Other", "10"),
]
OCCUPATION = [  # GB/T 6565-2015 major groups (7/8 written X/Y in some editions)
    ("1", "党政机关、群团和社会组织、企事业单位负责人", "Heads of government, organizations and enterprises"),
    ("2", "专业技术人员", "Professionals and technicians"),
    ("3", "办事人员和有关人员", "Clerks and related workers"),
    ("4", "社会生产服务和生活服务人员", "Social production and life service workers"),
    ("5", "农、林、牧、渔业生产及辅助人员", "Agriculture, forestry, animal husbandry and fishery workers"),
    ("6", "生产制造及有关人员", "Production and manufacturing workers"),
    ("7", "军人", "Military personnel"),
    ("8", "不便分类的其他从业人员", "Other workers not elsewhere classified"),
    ("0", "无业/待业/学生", "Not employed / job-seeking / student"),
]
PERMIT_STATUS = [
    ("unregistered", "未登记", "Not registered"),
    ("registered", "已居住登记", "Residence registered"),
    ("permit", "已办居住证", "Residence permit issued"),
    ("expired", "已过期", "Expired"),
]
RESIDENCE_TYPE = [
    ("owned", "自购房", "Own home"),
    ("rented", "租赁房", "Rented"),
    ("dormitory", "单位/学校宿舍", "Employer / school dormitory"),
    ("site", "工地工棚", "Construction-site shelter"),
    ("relatives", "借住亲友", "Staying with relatives or friends"),
    ("business", "经营场所", "Business premises"),
    ("other", "其他", "Other"),
]
CHILD_STATUS = [("accompanying", "随迁", "Came along"), ("left_behind", "留守", "Stayed behind")]
SCHOOL_STAGE = [
    ("preschool", "学前", "Preschool"),
    ("primary", "小学", "Primary school"),
    ("junior", "初中", "Junior secondary"),
    ("senior", "高中", "Senior secondary"),
    ("not_enrolled", "未入学", "Not enrolled"),
    ("dropped_out", "辍学", "Dropped out"),
]
IN_SCHOOL = " or ".join(
    f"selected(${{child_school_stage}}, '{stage}')" for stage in ("preschool", "primary", "junior", "senior")
)
NEEDS = [
    ("employment", "就业", "Employment"),
    ("schooling", "子女入学", "Children's schooling"),
    ("medical", "医疗", "Medical care"),
    ("legal_aid", "法律援助", "Legal aid"),
    ("hardship", "困难救助", "Hardship relief"),
    ("housing", "住房", "Housing"),
    ("other", "其他", "Other"),
]
VISIT_TYPE = [
    ("home", "入户走访", "Home visit"),
    ("workplace", "工作场所走访", "Workplace visit"),
    ("phone", "电话回访", "Phone call"),
    ("street", "街面巡查中遇见", "Met during patrol"),
    ("other", "其他", "Other"),
]
DEPARTMENT = [
    ("none", "未转办（网格内处理）", "Not referred (handled in the grid)"),
    ("police", "公安", "Public security"),
    ("health", "卫生健康", "Health"),
    ("education", "教育", "Education"),
    ("hrss", "人力资源和社会保障", "Human resources and social security"),
    ("civil", "民政", "Civil affairs"),
    ("justice", "司法", "Justice"),
    ("housing", "住房和城乡建设", "Housing and urban-rural development"),
    ("ethnic_religious", "民族宗教事务", "Ethnic and religious affairs"),
    ("market", "市场监管", "Market regulation"),
    ("other", "其他", "Other"),
]
FOLLOW_UP_SOURCE = [
    ("visit", "走访发现", "Found during a visit"),
    ("appeal", "本人求助", "Request by the person"),
    ("referral", "部门转交", "Referred by a department"),
    ("other", "其他", "Other"),
]
CASE_STATUS = [  # a grid worker records progress up to resolved; a department closes (server/cases/)
    ("open", "待处理", "Open"),
    ("in_progress", "处理中", "In progress"),
    ("resolved", "已解决", "Resolved"),
]
DISPUTE_TYPE = [
    ("family", "婚姻家庭", "Marriage and family"),
    ("neighbour", "邻里", "Neighbours"),
    ("property", "房屋宅基地", "Housing and homestead"),
    ("contract", "合同", "Contract"),
    ("labour", "劳动争议/欠薪", "Labour dispute / unpaid wages"),
    ("damages", "损害赔偿", "Damages"),
    ("estate", "物业", "Property management"),
    ("expropriation", "征地拆迁", "Land expropriation and demolition"),
    ("business", "生产经营", "Business operations"),
    ("medical", "医疗", "Medical"),
    ("traffic", "交通事故", "Traffic accident"),
    ("other", "其他", "Other"),
]
RISK_LEVEL = [
    ("low", "低", "Low"),
    ("medium", "中", "Medium"),
    ("high", "高", "High"),
    ("major", "重大", "Major"),
]
DISPUTE_STATUS = [
    ("mediating", "调解中", "Being mediated"),
    ("resolved", "已化解", "Resolved"),
    ("referred", "已移交", "Referred"),
    ("unresolved", "未化解", "Unresolved"),
]
MOVE_REASON = [
    ("home", "返回户籍地", "Returning home"),
    ("work", "到外地务工经商", "Work or business elsewhere"),
    ("study", "就学", "Study"),
    ("family", "随迁/投亲", "Following family"),
    ("within_city", "在新郑市内搬迁", "Moved within Xinzheng"),
    ("other", "其他", "Other"),
]


def ethnicity_choices() -> list[Row]:
    """The 56 GB/T 3304 groups, value = 2-digit code, in the standard's order."""
    groups = ethnicity.all_ethnicities()
    return choice_list("ethnicity", [(e.code, e.name_zh, e.name_en) for e in groups])


_SUFFIXES_EN = [
    ("自治州", " Autonomous Prefecture"),
    ("自治县", " Autonomous County"),
    ("自治旗", " Autonomous Banner"),
    ("地区", " Prefecture"),
    ("林区", " Forest District"),
    ("新区", " New Area"),
    ("市", " City"),
    ("县", " County"),
    ("区", " District"),
    ("旗", " Banner"),
    ("盟", " League"),
]


def romanize(name: str) -> str:
    """English label for a division without one: pinyin stem plus an English suffix."""
    special = {
        "市辖区": "City districts",
        "省直辖县级行政区划": "Province-administered counties",
        "自治区直辖县级行政区划": "Region-administered counties",
        "县": "Counties",
    }
    if name in special:
        return special[name]
    for suffix, english in _SUFFIXES_EN:
        stem = name.removesuffix(suffix)
        if stem != name and len(stem) >= 2:
            return "".join(lazy_pinyin(stem)).capitalize() + english
    return "".join(lazy_pinyin(name)).capitalize()


def province_choices(list_name: str = "province") -> list[Row]:
    """The 34 provincial-level units (2-digit codes)."""
    english = {row["code"]: row["name_en"] for row in read_csv("provinces.csv")}
    return choice_list(
        list_name, [(p.code, p.name, english.get(p.code, romanize(p.name))) for p in divisions.provinces()]
    )


def prefecture_choices(list_name: str = "prefecture") -> list[Row]:
    """All prefecture-level units (4-digit codes), each with its province for the cascade filter."""
    prefectures = [d for p in divisions.provinces() for d in divisions.children(p.code)]
    return choice_list(
        list_name,
        [(d.code, d.name, romanize(d.name)) for d in prefectures],
        province=[d.parent_code or "" for d in prefectures],
    )


def county_choices(list_name: str = "county") -> list[Row]:
    """All county-level units (6-digit GB/T 2260 codes), each with its prefecture."""
    counties = divisions.counties()
    return choice_list(
        list_name,
        [(d.code, d.name, romanize(d.name)) for d in counties],
        prefecture=[d.parent_code or "" for d in counties],
    )


def provinces_without_prefectures() -> list[str]:
    """Provincial units with no prefecture rows in the NBS tables (Taiwan, Hong Kong, Macao)."""
    return [p.code for p in divisions.provinces() if not divisions.children(p.code)]


def division_cascade(prefix: str, label: Text, *, required: bool, save_to: str = "") -> list[Row]:
    """province -> prefecture -> county selects filtered by choice_filter, plus a 6-digit code."""
    no_sub = " and ".join(f"${{{prefix}_province}} != '{code}'" for code in provinces_without_prefectures())
    has_sub = f"${{{prefix}_province}} != '' and {no_sub}"
    zh, en = label
    return [
        q(
            "select_one province",
            f"{prefix}_province",
            (f"{zh}：省级", f"{en}: province"),
            required=required,
            appearance="minimal",
        ),
        q(
            "select_one prefecture",
            f"{prefix}_prefecture",
            (f"{zh}：地级", f"{en}: prefecture"),
            required=required,
            relevant=has_sub,
            appearance="minimal",
            choice_filter=f"province=${{{prefix}_province}}",
        ),
        q(
            "select_one county",
            f"{prefix}_county",
            (f"{zh}：县级", f"{en}: county"),
            required=required,
            relevant=f"${{{prefix}_prefecture}} != ''",
            appearance="minimal",
            choice_filter=f"prefecture=${{{prefix}_prefecture}}",
        ),
        q(
            "calculate",
            f"{prefix}_division",
            calculation=(
                f"if(${{{prefix}_county}} != '', ${{{prefix}_county}}, "
                f"if(${{{prefix}_province}} != '', concat(${{{prefix}_province}}, '0000'), ''))"
            ),
            save_to=save_to,
        ),
    ]


def division_choices() -> list[Row]:
    """Choice rows for the division cascade."""
    return province_choices() + prefecture_choices() + county_choices()


# --------------------------------------------------------------------------- resident ID expressions

ID_REGEX = "^([0-9]{17}[0-9Xx]|[0-9]{15})$"
ID18 = "string-length(${id_number}) = 18"


def id_remainder_expression(field_ref: str = "${id_number}") -> str:
    """XPath for the MOD 11-2 remainder of the first 17 digits (ODK substr is 0-based)."""
    terms = " + ".join(f"number(substr({field_ref}, {i}, {i + 1})) * {w}" for i, w in enumerate(WEIGHTS))
    return f"({terms}) mod 11"


def id_checksum_expression(remainder_ref: str = "${id_remainder}") -> str:
    """XPath for the expected check character, from the remainder computed once in its own field."""
    return f"substr('{CHECK_CHARS}', {remainder_ref}, {remainder_ref} + 1)"


def _id_date(year: int, month: int, day: int, end: int, *, century: str = "") -> str:
    """XPath building YYYY-MM-DD from the ID number (0-based substr offsets)."""
    prefix = f"'{century}', " if century else ""
    return (
        f"concat({prefix}substr(${{id_number}}, {year}, {month}), '-', "
        f"substr(${{id_number}}, {month}, {day}), '-', substr(${{id_number}}, {day}, {end}))"
    )


def _id_sex(position: int) -> str:
    """XPath for GB/T 2261.1 sex from the parity of the digit at the 0-based position."""
    return f"if(number(substr(${{id_number}}, {position}, {position + 1})) mod 2 = 1, '1', '2')"


def id_rows() -> list[Row]:
    """The resident ID question and the values derived from it (birth date, sex, check char)."""
    return [
        q(
            "text",
            "id_number",
            ("公民身份号码", "Resident ID number"),
            hint=(
                "18位，末位可为X；15位旧号码也可录入",
                "18 characters, the last may be X; legacy 15-digit numbers are accepted",
            ),
            required=True,
            constraint=(
                f"regex(., '{ID_REGEX}') and "
                "(string-length(.) = 15 or translate(substr(., 17, 18), 'x', 'X') = ${id_check_char})"
            ),
            constraint_message=(
                "身份证号码格式或校验码错误",
                "The ID number is malformed or its check character is wrong",
            ),
            save_to="resident_id",
            **{"bind::gridreg:datatype": "cn_resident_id"},
        ),
        q(
            "calculate",
            "id_remainder",
            calculation=(
                f"if({ID18} and regex(${{id_number}}, '^[0-9]{{17}}'), {id_remainder_expression()}, '')"
            ),
        ),
        q(
            "calculate",
            "id_check_char",
            calculation=f"if(string-length(${{id_remainder}}) > 0, {id_checksum_expression()}, '')",
        ),
        q(
            "calculate",
            "id_birth_date",
            calculation=(
                "if(regex(${id_number}, '^[0-9]{17}[0-9Xx]$'), "
                f"{_id_date(6, 10, 12, 14)}, "
                "if(regex(${id_number}, '^[0-9]{15}$'), "
                f"{_id_date(6, 8, 10, 12, century='19')}, ''))"
            ),
        ),
        q(
            "calculate",
            "id_sex",
            calculation=(
                f"if(regex(${{id_number}}, '^[0-9]{{17}}[0-9Xx]$'), {_id_sex(16)}, "
                f"if(regex(${{id_number}}, '^[0-9]{{15}}$'), {_id_sex(14)}, ''))"
            ),
        ),
    ]


PHONE_CONSTRAINT = f"regex(., '{phone.XLSFORM_REGEX}')"
PHONE_MESSAGE = (
    "请输入11位手机号（1开头）或带区号的固定电话",
    "Enter an 11-digit mobile number (starting 1) or a landline with area code",
)
NOT_FUTURE = ("日期不能晚于今天", "The date cannot be in the future")
NON_NEGATIVE = ("请输入不小于0的整数", "Enter a whole number of 0 or more")


def geopoint(name: str = "location", save_to: str = "") -> Row:
    """A geopoint that warns above 30 m and auto-accepts at 10 m accuracy."""
    return q(
        "geopoint",
        name,
        ("位置（GPS）", "Location (GPS)"),
        hint=("请在户外或窗边获取定位", "Capture outdoors or near a window"),
        parameters="capture-accuracy=10 warning-accuracy=30",
        save_to=save_to,
    )


def photo(name: str, label: Text) -> Row:
    """A photo, downscaled on the phone to at most 1600 px."""
    return q("image", name, label, parameters="max-pixels=1600")


def person_picker(save_to: str = "") -> list[Row]:
    """Pick a registered person from the persons entity list (entity uuid as the value)."""
    return [
        q(
            "select_one_from_file persons.csv",
            "person",
            ("选择人员", "Select the person"),
            hint=("输入姓名或拼音搜索", "Type the name or its pinyin to search"),
            required=True,
            appearance="search",
            save_to=save_to,
        ),
        q("calculate", "person_name", calculation="instance('persons')/root/item[name=${person}]/label"),
    ]


# --------------------------------------------------------------------------- workbooks


@dataclass
class FormSpec:
    """One XLSForm workbook: its sheets as lists of rows."""

    filename: str
    form_id: str
    title: str
    survey: list[Row]
    choices: list[Row] = field(default_factory=list)
    entities: list[Row] = field(default_factory=list)
    instance_name: str = ""
    version: str = FORM_VERSION  # a changed workbook needs a new version, or loading it again conflicts
    opens_cases: bool = False  # a record this form creates in the followups dataset is a case (server/cases/)

    def settings(self) -> list[Row]:
        """The settings sheet row."""
        row = {
            "form_title": self.title,
            "form_id": self.form_id,
            "version": self.version,
            "default_language": "zh",
            "namespaces": NAMESPACE,
        }
        if self.instance_name:
            row["instance_name"] = self.instance_name
        if self.opens_cases:
            row["opens_cases"] = "yes"
        return [row]


def registration() -> FormSpec:
    """基础信息采集: registers a new person (creates a persons entity)."""
    survey = [
        begin_group("identity", ("一、基本信息", "1. Identity")),
        q(
            "text",
            "full_name",
            ("姓名", "Name"),
            required=True,
            constraint="string-length(normalize-space(.)) >= 1 and string-length(.) <= 50",
            constraint_message=("姓名不能为空且不超过50字", "The name must be 1 to 50 characters"),
            save_to="full_name",
        ),
        q("text", "former_name", ("曾用名", "Former name"), save_to="former_name"),
        *id_rows(),
        q(
            "select_one sex",
            "sex",
            ("性别", "Sex"),
            required=True,
            constraint="${id_sex} = '' or . = ${id_sex}",
            constraint_message=("性别与身份证号码不符", "The sex does not match the ID number"),
            appearance="horizontal-compact",
            save_to="sex",
        ),
        q(
            "select_one ethnicity",
            "ethnicity",
            ("民族", "Ethnic group"),
            required=True,
            appearance="autocomplete",
            save_to="ethnicity",
        ),
        q(
            "date",
            "birth_date",
            ("出生日期", "Date of birth"),
            hint=("填写身份证号码后应与号码中的出生日期一致", "Must match the birth date in the ID number"),
            required=True,
            constraint=(
                "(. <= today() and . >= date('1900-01-01')) and "
                "(${id_birth_date} = '' or format-date(., '%Y-%m-%d') = ${id_birth_date})"
            ),
            constraint_message=(
                "出生日期与身份证号码不符或超出范围",
                "The birth date does not match the ID number or is out of range",
            ),
            save_to="birth_date",
        ),
        q(
            "text",
            "phone",
            ("联系电话", "Phone"),
            appearance="numbers",
            constraint=PHONE_CONSTRAINT,
            constraint_message=PHONE_MESSAGE,
            save_to="phone",
        ),
        photo("photo", ("本人照片", "Photo of the person")),
        end_group("identity"),
        begin_group("origin", ("二、户籍地", "2. Place of household registration")),
        *division_cascade(
            "origin", ("户籍地", "Registered residence"), required=True, save_to="origin_county"
        ),
        q(
            "text",
            "origin_address",
            ("户籍地详细地址", "Registered residence: detailed address"),
            save_to="origin_address",
        ),
        end_group("origin"),
        begin_group("residence", ("三、现居住情况", "3. Current residence")),
        q(
            "date",
            "arrival_date",
            ("来新郑日期", "Date of arrival in Xinzheng"),
            required=True,
            constraint=TODAY_OR_EARLIER,
            constraint_message=NOT_FUTURE,
            save_to="arrival_date",
        ),
        q(
            "text",
            "current_address",
            ("现住址", "Current address"),
            hint=("小区/村、楼栋、单元、门牌号", "Compound or village, building, unit, door number"),
            required=True,
            save_to="current_address",
        ),
        q(
            "select_one residence_type",
            "residence_type",
            ("住所类型", "Type of residence"),
            save_to="residence_type",
        ),
        geopoint(save_to="geometry"),
        q(
            "select_one permit_status",
            "permit_status",
            ("居住登记/居住证情况", "Residence registration / permit"),
            required=True,
            save_to="permit_status",
        ),
        end_group("residence"),
        begin_group("work", ("四、来郑事由与就业", "4. Reason for coming and work")),
        q(
            "select_one reason",
            "reason",
            ("来新郑事由", "Reason for coming"),
            required=True,
            save_to="reason",
        ),
        q(
            "text",
            "reason_other",
            ("其他事由（请注明）", "Other reason (specify)"),
            relevant="${reason} = '99'",
            required=True,
            save_to="reason_other",
        ),
        q(
            "select_one occupation",
            "occupation",
            ("职业（大类）", "Occupation (major group)"),
            save_to="occupation",
        ),
        q("text", "employer", ("工作单位/服务处所", "Employer / place of work"), save_to="employer"),
        end_group("work"),
        begin_group("family", ("五、婚姻与子女", "5. Marriage and children")),
        q("select_one marital", "marital_status", ("婚姻状况", "Marital status"), save_to="marital_status"),
        begin_repeat("children", ("子女", "Child")),
        q("text", "child_name", ("子女姓名", "Child's name"), required=True),
        q(
            "select_one sex",
            "child_sex",
            ("子女性别", "Child's sex"),
            required=True,
            appearance="horizontal-compact",
        ),
        q(
            "date",
            "child_birth_date",
            ("子女出生日期", "Child's date of birth"),
            constraint=TODAY_OR_EARLIER,
            constraint_message=NOT_FUTURE,
        ),
        q(
            "select_one child_status",
            "child_status",
            ("随迁/留守", "Came along / stayed behind"),
            required=True,
            appearance="horizontal-compact",
        ),
        q("select_one school_stage", "child_school_stage", ("就学阶段", "School stage"), required=True),
        q("text", "child_school_name", ("学校名称", "School name"), relevant=IN_SCHOOL),
        end_repeat("children"),
        q("calculate", "children_count", calculation="count(${children})", save_to="children_count"),
        end_group("family"),
        begin_group("needs_group", ("六、需求", "6. Needs")),
        q("select_multiple needs", "needs", ("主要需求", "Main needs"), save_to="needs"),
        q(
            "text",
            "needs_other",
            ("其他需求（请注明）", "Other needs (specify)"),
            relevant="selected(${needs}, 'other')",
            required=True,
            save_to="needs_other",
        ),
        q("text", "remarks", ("备注", "Remarks"), appearance="multiline"),
        end_group("needs_group"),
    ]
    choices = (
        choice_list("sex", SEX)
        + ethnicity_choices()
        + division_choices()
        + choice_list("residence_type", RESIDENCE_TYPE)
        + choice_list("permit_status", PERMIT_STATUS)
        + choice_list("reason", [r[:3] for r in REASON], census_2020=[r[3] for r in REASON])
        + choice_list("occupation", OCCUPATION)
        + choice_list("marital", MARITAL)
        + choice_list("child_status", CHILD_STATUS)
        + choice_list("school_stage", SCHOOL_STAGE)
        + choice_list("needs", NEEDS)
    )
    entities = [{"list_name": "persons", "label": "${full_name}"}]
    return FormSpec(
        "registration.xlsx",
        "person_registration",
        "基础信息采集",
        survey,
        choices,
        entities,
        instance_name="concat('登记-', ${full_name})",
    )


def household_visit() -> FormSpec:
    """走访: a visit to a registered person, updating their last-visit properties."""
    survey = [
        *person_picker(),
        q(
            "date",
            "visit_date",
            ("走访日期", "Visit date"),
            required=True,
            default="today()",
            constraint=TODAY_OR_EARLIER,
            constraint_message=NOT_FUTURE,
            save_to="last_visit_date",
        ),
        q(
            "select_one visit_type",
            "visit_type",
            ("走访方式", "Type of visit"),
            required=True,
            save_to="last_visit_type",
        ),
        q(
            "integer",
            "people_present",
            ("在场人数", "People present"),
            constraint=". >= 0",
            constraint_message=NON_NEGATIVE,
        ),
        q(
            "select_one yes_no",
            "still_resident",
            ("是否仍在本网格居住", "Still living in this grid?"),
            required=True,
            hint=("如已离开，请另填流出登记", "If the person has left, also fill in the move-out form"),
            appearance="horizontal-compact",
        ),
        q("text", "situation", ("走访情况", "Situation notes"), required=True, appearance="multiline"),
        q("select_multiple needs", "needs_found", ("发现的需求", "Needs found")),
        q(
            "text",
            "needs_other",
            ("其他需求（请注明）", "Other needs (specify)"),
            relevant="selected(${needs_found}, 'other')",
            required=True,
        ),
        geopoint(),
        photo("photo", ("现场照片", "Photo")),
        q(
            "select_one yes_no",
            "follow_up_needed",
            ("是否需要跟进", "Follow-up needed?"),
            required=True,
            appearance="horizontal-compact",
        ),
        q(
            "text",
            "follow_up_what",
            ("跟进事项", "What needs follow-up"),
            relevant="${follow_up_needed} = 'yes'",
            required=True,
            appearance="multiline",
        ),
    ]
    choices = (
        choice_list("visit_type", VISIT_TYPE) + choice_list("yes_no", YES_NO) + choice_list("needs", NEEDS)
    )
    entities = [{"list_name": "persons", "entity_id": "${person}"}]
    return FormSpec(
        "household_visit.xlsx",
        "household_visit",
        "走访",
        survey,
        choices,
        entities,
        instance_name="concat('走访-', ${person_name}, '-', ${visit_date})",
    )


FOLLOW_UP_KIND = [  # the case kinds of forms/departments.yaml
    ("appeal", "诉求", "An appeal"),
    ("dispute", "矛盾纠纷", "A dispute"),
    ("relief", "急难救助", "Emergency relief"),
    ("need", "服务需求（就业、入学、就医、法律援助等）", "A service need (job, schooling, medical care, legal aid…)"),
]
NEW_FOLLOW_UP = "${followup} = ''"


def follow_up() -> FormSpec:
    """诉求跟进: opens or updates a follow-up (followups dataset) of a person's need, appeal or dispute.

    Leaving "existing follow-up" empty opens a new one (create_if); picking one of the person's
    follow-ups records progress on it (update_if). An open follow-up moves with its person.
    """
    survey = [
        *person_picker(save_to="person"),
        q(
            "select_one_from_file followups.csv",
            "followup",
            ("继续跟进已有事项", "Continue an existing follow-up"),
            hint=("新的事项请留空", "Leave empty for a new follow-up"),
            choice_filter="person=${person}",
        ),
        q(
            "select_one followup_kind",
            "kind",
            ("事项类型", "Kind"),
            required=True,
            relevant=NEW_FOLLOW_UP,
            save_to="kind",
        ),
        q(
            "select_one needs",
            "need_category",
            ("需求类别", "Need"),
            required=True,
            relevant=NEW_FOLLOW_UP + " and ${kind} = 'need'",
            save_to="need",
        ),
        q(
            "select_one dispute_type",
            "dispute_type",
            ("诉求/纠纷类型", "Appeal or dispute type"),
            required=True,
            relevant=NEW_FOLLOW_UP + " and (${kind} = 'appeal' or ${kind} = 'dispute')",
            save_to="dispute_type",
        ),
        q("select_one source", "source", ("诉求来源", "Source"), required=True, relevant=NEW_FOLLOW_UP,
          save_to="source"),
        q(
            "text",
            "description",
            ("诉求内容", "Description"),
            required=True,
            relevant=NEW_FOLLOW_UP,
            appearance="multiline",
            save_to="notes",
        ),
        q("date", "due_date", ("办理时限", "Due date"), relevant=NEW_FOLLOW_UP, save_to="due_date"),
        q("text", "action_taken", ("已采取的措施", "Action taken"), appearance="multiline", save_to="action_taken"),
        q("select_one department", "department", ("转办部门", "Department referred to"), required=True,
          save_to="department"),
        q(
            "text",
            "department_other",
            ("其他部门（请注明）", "Other department (specify)"),
            relevant="${department} = 'other'",
            required=True,
        ),
        q(
            "select_one case_status",
            "status",
            ("办理状态", "Status"),
            required=True,
            default="open",
            appearance="horizontal-compact",
            save_to="status",
        ),
        q(
            "date",
            "resolution_date",
            ("办结日期", "Resolution date"),
            relevant="${status} = 'resolved'",
            required=True,
            constraint=TODAY_OR_EARLIER,
            constraint_message=NOT_FUTURE,
            save_to="resolved_date",
        ),
        q(
            "text",
            "resolution",
            ("办理结果", "Outcome"),
            relevant="${status} = 'resolved'",
            required=True,
            appearance="multiline",
            save_to="resolution",
        ),
        photo("photo", ("相关材料照片", "Photo of documents")),
    ]
    choices = (
        choice_list("followup_kind", FOLLOW_UP_KIND)
        + choice_list("source", FOLLOW_UP_SOURCE)
        + choice_list("needs", NEEDS)
        + choice_list("dispute_type", DISPUTE_TYPE)
        + choice_list("department", DEPARTMENT)
        + choice_list("case_status", CASE_STATUS)
    )
    entities = [
        {
            "list_name": "followups",
            "entity_id": "${followup}",
            "create_if": NEW_FOLLOW_UP,
            "update_if": "${followup} != ''",
            "label": "if(" + NEW_FOLLOW_UP + ", concat(${person_name}, '：', ${description}), '')",
        }
    ]
    return FormSpec(
        "follow_up.xlsx",
        "follow_up",
        "诉求跟进",
        survey,
        choices,
        entities,
        instance_name="concat('跟进-', ${person_name})",
        version="2026120701",  # writes the followups dataset; a new follow-up opens a case
        opens_cases=True,
    )


def dispute_screening() -> FormSpec:
    """矛盾纠纷排查: the grid's monthly dispute screening, counts plus one row per dispute."""
    survey = [
        q(
            "date",
            "month",
            ("排查月份", "Month screened"),
            required=True,
            appearance="month-year",
            constraint="format-date(., '%d') = '01' and . <= today()",
            constraint_message=(
                "请选择不晚于本月的月份（每月1日）",
                "Choose a month no later than this one (the 1st of the month)",
            ),
        ),
        q(
            "integer",
            "households_checked",
            ("排查户数", "Households checked"),
            required=True,
            constraint=". >= 0",
            constraint_message=NON_NEGATIVE,
        ),
        q(
            "integer",
            "minority_persons_checked",
            ("排查少数民族人员数", "Minority persons checked"),
            required=True,
            constraint=". >= 0",
            constraint_message=NON_NEGATIVE,
        ),
        q(
            "integer",
            "disputes_found",
            ("发现矛盾纠纷数", "Disputes found"),
            required=True,
            constraint=". >= 0",
            constraint_message=NON_NEGATIVE,
        ),
        q(
            "integer",
            "disputes_resolved",
            ("已化解数", "Disputes resolved"),
            required=True,
            constraint=". >= 0 and . <= ${disputes_found}",
            constraint_message=("应为0到发现数之间的整数", "Must be between 0 and the number found"),
        ),
        q(
            "integer",
            "risks_reported",
            ("上报风险隐患数", "Risks reported"),
            required=True,
            constraint=". >= 0",
            constraint_message=NON_NEGATIVE,
        ),
        begin_repeat("disputes", ("矛盾纠纷", "Dispute"), repeat_count="${disputes_found}"),
        q("text", "parties", ("当事人", "Parties"), required=True),
        q(
            "integer",
            "party_count",
            ("当事人数", "Number of parties"),
            required=True,
            constraint=". >= 1",
            constraint_message=("至少1人", "At least 1"),
        ),
        q(
            "select_one yes_no",
            "involves_minority",
            ("是否涉及少数民族", "Involves ethnic minorities?"),
            required=True,
            appearance="horizontal-compact",
        ),
        q("select_one dispute_type", "dispute_type", ("纠纷类型", "Type of dispute"), required=True),
        q("text", "description", ("纠纷简况", "Description"), required=True, appearance="multiline"),
        q(
            "select_one risk_level",
            "risk_level",
            ("风险等级", "Risk level"),
            required=True,
            appearance="horizontal-compact",
        ),
        q("text", "measures", ("化解措施", "Measures taken"), appearance="multiline"),
        q("select_one dispute_status", "dispute_status", ("化解状态", "Status"), required=True),
        end_repeat("disputes"),
        q("calculate", "resolved_rows", calculation="count(${disputes}[dispute_status = 'resolved'])"),
        q(
            "note",
            "resolved_check",
            (
                "注意：已化解数与明细中“已化解”的条数不一致",
                "Note: the resolved count differs from the rows marked resolved",
            ),
            relevant="${disputes_found} > 0 and ${resolved_rows} != ${disputes_resolved}",
        ),
    ]
    choices = (
        choice_list("yes_no", YES_NO)
        + choice_list("dispute_type", DISPUTE_TYPE)
        + choice_list("risk_level", RISK_LEVEL)
        + choice_list("dispute_status", DISPUTE_STATUS)
    )
    return FormSpec(
        "dispute_screening.xlsx",
        "dispute_screening",
        "矛盾纠纷排查",
        survey,
        choices,
        instance_name="concat('矛盾纠纷排查-', format-date(${month}, '%Y-%m'))",
    )


def move_out() -> FormSpec:
    """流出登记: a registered person leaves; updates the persons entity."""
    survey = [
        *person_picker(),
        q(
            "date",
            "departure_date",
            ("离开日期", "Departure date"),
            required=True,
            constraint=TODAY_OR_EARLIER,
            constraint_message=NOT_FUTURE,
            save_to="departure_date",
        ),
        *division_cascade(
            "destination", ("去向地", "Destination"), required=False, save_to="destination_county"
        ),
        q(
            "text",
            "destination_address",
            ("去向详细地址", "Destination address"),
            save_to="destination_address",
        ),
        q(
            "select_one move_reason",
            "move_reason",
            ("离开原因", "Reason for leaving"),
            required=True,
            save_to="move_out_reason",
        ),
        q(
            "text",
            "move_reason_other",
            ("其他原因（请注明）", "Other reason (specify)"),
            relevant="${move_reason} = 'other'",
            required=True,
        ),
        geopoint(),
        q("calculate", "residence_status", calculation="'departed'", save_to="residence_status"),
    ]
    choices = division_choices() + choice_list("move_reason", MOVE_REASON)
    entities = [{"list_name": "persons", "entity_id": "${person}"}]
    return FormSpec(
        "move_out.xlsx",
        "move_out",
        "流出登记",
        survey,
        choices,
        entities,
        instance_name="concat('流出-', ${person_name})",
    )


ALL_FORMS = (registration, household_visit, follow_up, dispute_screening, move_out)


# --------------------------------------------------------------------------- writing

PREFERRED_ORDER = [
    "type",
    "name",
    "label::zh",
    "label::en",
    "hint::zh",
    "hint::en",
    "required",
    "required_message::zh",
    "required_message::en",
    "relevant",
    "constraint",
    "constraint_message::zh",
    "constraint_message::en",
    "calculation",
    "default",
    "choice_filter",
    "appearance",
    "parameters",
    "repeat_count",
    "save_to",
]
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _columns(rows: Sequence[Row], preferred: Sequence[str] = ()) -> list[str]:
    seen = dict.fromkeys(c for c in preferred if any(c in r for r in rows))
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _write_sheet(book: XlsxWorkbook, title: str, rows: Sequence[Row], preferred: Sequence[str] = ()) -> None:
    sheet = book.create_sheet(title)
    columns = _columns(rows, preferred)
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c, "") or None for c in columns])
    for i, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=i)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        width = max([len(column), *(len(str(r.get(column, ""))) for r in rows[:200])]) + 2
        sheet.column_dimensions[get_column_letter(i)].width = min(width, 60)
    sheet.freeze_panes = "C2" if title == "survey" else "A2"


def write_workbook(spec: FormSpec, path: Path) -> Path:
    """Write one FormSpec as an .xlsx XLSForm (all cells as text so codes keep leading zeros)."""
    book = XlsxWorkbook()
    book.remove(book.active)  # type: ignore[arg-type]
    _write_sheet(book, "survey", spec.survey, PREFERRED_ORDER)
    _write_sheet(book, "choices", spec.choices, ["list_name", "name", "label::zh", "label::en"])
    _write_sheet(book, "settings", spec.settings())
    if spec.entities:
        _write_sheet(
            book, "entities", spec.entities, ["list_name", "entity_id", "create_if", "update_if", "label"]
        )
    book.properties.creator = "gridreg forms/build_workbooks.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def build_all(out_dir: Path = FORMS_DIR) -> list[Path]:
    """Write every workbook into out_dir and return the paths."""
    return [write_workbook(spec, out_dir / spec.filename) for spec in (make() for make in ALL_FORMS)]


if __name__ == "__main__":
    for written in build_all(Path(sys.argv[1]) if len(sys.argv) > 1 else FORMS_DIR):
        print(f"wrote {written.relative_to(ROOT) if written.is_relative_to(ROOT) else written}")
