"""The city's XLSForm workbooks compile with pyxform and carry the agreed structure."""

from __future__ import annotations

import functools
import importlib.util
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from server.domain import datasets, resident_id
from server.forms.expr import EvalContext, evaluate, number_to_string

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "forms"
WORKBOOKS = {
    "registration.xlsx": "person_registration",
    "household_visit.xlsx": "household_visit",
    "follow_up.xlsx": "follow_up",
    "dispute_screening.xlsx": "dispute_screening",
    "move_out.xlsx": "move_out",
}
NS = {
    "h": "http://www.w3.org/1999/xhtml",
    "x": "http://www.w3.org/2002/xforms",
    "entities": "http://www.opendatakit.org/xforms/entities",
    "jr": "http://openrosa.org/javarosa",
}
ENTITIES_VERSION = "{http://www.opendatakit.org/xforms/entities}entities-version"
SAVETO = "{http://www.opendatakit.org/xforms/entities}saveto"


@functools.cache
def _load_generator() -> ModuleType:
    """Import forms/build_workbooks.py (not a package) as a module."""
    name = "gridreg_forms_build_workbooks"
    spec = importlib.util.spec_from_file_location(name, FORMS / "build_workbooks.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def compiled() -> dict[str, ET.Element]:
    """Each workbook compiled once: filename -> parsed XForm root."""
    result = {}
    for filename in WORKBOOKS:
        warnings: list[str] = []
        xform = convert(xlsform=FORMS / filename, warnings=warnings).xform
        assert warnings == [], (filename, warnings)
        result[filename] = ET.fromstring(xform)
    return result


def model(root: ET.Element) -> ET.Element:
    found = root.find("h:head/x:model", NS)
    assert found is not None
    return found


def primary_instance(root: ET.Element) -> ET.Element:
    found = model(root).find("x:instance/*", NS)
    assert found is not None
    return found


def binds(root: ET.Element) -> dict[str, dict[str, str]]:
    return {b.attrib["nodeset"].rsplit("/", 1)[-1]: b.attrib for b in model(root).findall("x:bind", NS)}


def itemset_names(root: ET.Element, instance_id: str) -> list[str]:
    instance = model(root).find(f"x:instance[@id='{instance_id}']", NS)
    assert instance is not None, instance_id
    return [item.findtext("x:name", namespaces=NS) or "" for item in instance.findall("x:root/x:item", NS)]


@pytest.mark.parametrize(("filename", "form_id"), WORKBOOKS.items())
def test_compiles_with_form_id_and_both_languages(
    compiled: dict[str, ET.Element], filename: str, form_id: str
) -> None:
    root = compiled[filename]
    assert primary_instance(root).attrib["id"] == form_id
    translations = model(root).findall("x:itext/x:translation", NS)
    langs = {t.attrib["lang"]: t.attrib.get("default") for t in translations}
    assert set(langs) == {"zh", "en"}
    assert langs["zh"] == "true()"


def test_registration_ethnicity_list_has_the_56_codes(compiled: dict[str, ET.Element]) -> None:
    assert itemset_names(compiled["registration.xlsx"], "ethnicity") == [f"{i:02d}" for i in range(1, 57)]


def test_registration_origin_cascade_uses_choice_filters(compiled: dict[str, ET.Element]) -> None:
    root = compiled["registration.xlsx"]
    nodesets = [i.attrib["nodeset"] for i in root.iter("{http://www.w3.org/2002/xforms}itemset")]
    assert any(
        re.search(r"instance\('prefecture'\)/root/item\[province=\s*/data/origin/origin_province\s*\]", n)
        for n in nodesets
    )
    assert any(
        re.search(r"instance\('county'\)/root/item\[prefecture=\s*/data/origin/origin_prefecture\s*\]", n)
        for n in nodesets
    )
    counties = itemset_names(root, "county")
    assert "410184" in counties and len(counties) == 2978
    assert len(itemset_names(root, "province")) == 34


def test_registration_creates_persons_entities(compiled: dict[str, ET.Element]) -> None:
    root = compiled["registration.xlsx"]
    assert model(root).attrib[ENTITIES_VERSION] in {"2024.1.0", "2025.1.0"}
    entity = primary_instance(root).find("x:meta/x:entity", NS)
    assert entity is not None
    assert entity.attrib["dataset"] == "persons" and entity.attrib["create"] == "1"
    assert "update" not in entity.attrib
    label_bind = binds(root)["label"]
    assert "full_name" in label_bind["calculate"]
    saved = {a[SAVETO] for a in binds(root).values() if SAVETO in a}
    assert {
        "full_name",
        "resident_id",
        "sex",
        "ethnicity",
        "birth_date",
        "phone",
        "origin_county",
        "geometry",
    } <= saved


def test_registration_resident_id_rules(compiled: dict[str, ET.Element]) -> None:
    bind_by_name = binds(compiled["registration.xlsx"])
    id_bind = bind_by_name["id_number"]
    assert "regex(" in id_bind["constraint"]
    assert id_bind["{https://gridreg.xinzheng.gov.cn/xforms}datatype"] == "cn_resident_id"
    assert "substr(" in bind_by_name["id_birth_date"]["calculate"]
    assert "id_birth_date" in bind_by_name["birth_date"]["constraint"]
    assert "today()" in bind_by_name["arrival_date"]["constraint"]
    assert "regex(" in bind_by_name["phone"]["constraint"]
    assert bind_by_name["photo"]["{http://openrosa.org/xforms}max-pixels"] == "1600"
    assert "selected(" in bind_by_name["needs_other"]["relevant"]
    assert "child_school_stage" in bind_by_name["child_school_name"]["relevant"]


def test_registration_code_lists(compiled: dict[str, ET.Element]) -> None:
    root = compiled["registration.xlsx"]
    assert itemset_names(root, "sex") == ["1", "2", "0", "9"]
    assert itemset_names(root, "occupation")[:8] == [str(i) for i in range(1, 9)]
    assert itemset_names(root, "marital") == ["10", "20", "21", "22", "23", "30", "40", "90"]
    assert len(itemset_names(root, "reason")) == 10
    assert itemset_names(root, "permit_status") == ["unregistered", "registered", "permit", "expired"]


@pytest.mark.parametrize("filename", ["household_visit.xlsx", "move_out.xlsx"])
def test_updates_persons_entities_by_picked_uuid(compiled: dict[str, ET.Element], filename: str) -> None:
    root = compiled[filename]
    entity = primary_instance(root).find("x:meta/x:entity", NS)
    assert entity is not None
    assert entity.attrib["dataset"] == "persons" and entity.attrib["update"] == "1"
    assert "create" not in entity.attrib
    id_bind = next(
        b for b in model(root).findall("x:bind", NS) if b.attrib["nodeset"].endswith("/meta/entity/@id")
    )
    assert id_bind.attrib["calculate"].strip() == "/data/person"
    persons = model(root).find("x:instance[@id='persons']", NS)
    assert persons is not None and persons.attrib["src"] == "jr://file-csv/persons.csv"


def test_move_out_destination_cascade(compiled: dict[str, ET.Element]) -> None:
    bind_by_name = binds(compiled["move_out.xlsx"])
    assert bind_by_name["destination_division"][SAVETO] == "destination_county"
    assert bind_by_name["residence_status"][SAVETO] == "residence_status"


def test_follow_up_and_screening_structure(compiled: dict[str, ET.Element]) -> None:
    follow = binds(compiled["follow_up.xlsx"])
    assert "resolved" in follow["resolution_date"]["relevant"]
    # opens a follow-up (followups dataset) when none is picked, records progress on the picked one otherwise
    entity = primary_instance(compiled["follow_up.xlsx"]).find("x:meta/x:entity", NS)
    assert entity is not None and entity.attrib["dataset"] == "followups"
    assert "= ''" in follow["@create"]["calculate"] and "!= ''" in follow["@update"]["calculate"]
    assert follow["person"][SAVETO] == "person" and follow["status"][SAVETO] == "status"
    screening = binds(compiled["dispute_screening.xlsx"])
    for name in ("households_checked", "disputes_found", "disputes_resolved", "risks_reported"):
        assert screening[name]["type"] == "int"
        assert ">= 0" in screening[name]["constraint"]
    assert "format-date" in screening["month"]["constraint"]
    assert itemset_names(compiled["dispute_screening.xlsx"], "risk_level") == [
        "low",
        "medium",
        "high",
        "major",
    ]


def test_committed_workbooks_match_the_generator(tmp_path: Path) -> None:
    generator = _load_generator()
    generator.build_all(tmp_path)
    for filename in WORKBOOKS:
        fresh, committed = load_workbook(tmp_path / filename), load_workbook(FORMS / filename)
        assert fresh.sheetnames == committed.sheetnames, filename
        for sheet in fresh.sheetnames:
            fresh_rows = list(fresh[sheet].iter_rows(values_only=True))
            committed_rows = list(committed[sheet].iter_rows(values_only=True))
            assert fresh_rows == committed_rows, f"{filename}:{sheet} is stale; run forms/build_workbooks.py"


@pytest.mark.parametrize("number", ["640104198506120218", "62292119920815026X", "450102199704300363"])
def test_checksum_xpath_agrees_with_domain(number: str) -> None:
    """The form's own check-character calculation, run by our expression engine, matches GB 11643."""
    generator = _load_generator()
    refs = {"id_number": "/data/id_number", "id_remainder": "/data/id_remainder"}
    remainder = evaluate(generator.id_remainder_expression(), EvalContext({"data": {"id_number": number}}, refs))
    data = {"data": {"id_number": number, "id_remainder": number_to_string(remainder)}}
    check = evaluate(generator.id_checksum_expression(), EvalContext(data, refs))
    assert check == resident_id.check_char(number[:17]) == number[17]


def _survey_rows(filename: str) -> list[dict[str, str]]:
    sheet = load_workbook(FORMS / filename)["survey"]
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [{h: str(v) for h, v in zip(header, row, strict=True) if v is not None} for row in rows[1:]]


@pytest.mark.parametrize("filename", ["registration.xlsx", "household_visit.xlsx", "move_out.xlsx"])
def test_save_to_targets_are_declared_persons_properties(filename: str) -> None:
    persons = datasets.load_datasets(FORMS / "datasets.yaml")["persons"]
    expected_types = {
        "date": {datasets.PropertyType.DATE},
        "integer": {datasets.PropertyType.INTEGER},
        "geopoint": {datasets.PropertyType.GEOPOINT},
    }
    for row in _survey_rows(filename):
        if "save_to" not in row:
            continue
        prop = persons.properties.get(row["save_to"])
        assert prop is not None, f"{filename}: save_to {row['save_to']!r} is not declared in datasets.yaml"
        kind, _, list_name = row["type"].partition(" ")
        if kind in ("select_one", "select_multiple") and prop.type is datasets.PropertyType.SELECT:
            assert prop.list_name == list_name, (row["name"], prop.list_name, list_name)
            assert prop.multiple == (kind == "select_multiple"), row["name"]
        if kind in expected_types:
            assert prop.type in expected_types[kind], (row["name"], prop.type)


@pytest.mark.slow
@pytest.mark.parametrize("filename", WORKBOOKS)
def test_odk_validate_accepts_the_xform(filename: str) -> None:
    """ODK Validate (JavaRosa, bundled with pyxform) parses the form and its XPath expressions."""
    assert shutil.which("java"), "ODK Validate needs Java: `make test` installs default-jre-headless"
    warnings: list[str] = []
    convert(xlsform=FORMS / filename, validate=True, warnings=warnings)
    assert warnings == []
