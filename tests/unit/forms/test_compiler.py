"""compile_workbook: the city's workbooks compile to the documented JSON contract and an XForm."""

from __future__ import annotations

import functools
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from server.forms.compiled import CompiledForm, FormEntities, iter_fields
from server.forms.compiler import compile_workbook
from tests.unit.forms.fixtures.workbooks import simple_form

ROOT = Path(__file__).resolve().parents[3]
FORMS = ROOT / "forms"
SCHEMA_PATH = ROOT / "server" / "forms" / "compiled_form.schema.json"
CITY_WORKBOOKS = sorted(p.name for p in FORMS.glob("*.xlsx"))


@functools.cache
def compiled(filename: str) -> CompiledForm:
    return compile_workbook((FORMS / filename).read_bytes(), filename)


@functools.cache
def schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def by_name(form: CompiledForm) -> dict[str, dict[str, Any]]:
    return {f["name"]: dict(f) for f in iter_fields(form.definition["fields"])}


def test_there_are_city_workbooks() -> None:
    assert len(CITY_WORKBOOKS) >= 5


@pytest.mark.parametrize("filename", CITY_WORKBOOKS)
def test_city_workbook_matches_the_json_schema(filename: str) -> None:
    form = compiled(filename)
    document = json.loads(json.dumps(form.definition, ensure_ascii=False))  # JSON-serialisable as is
    errors = sorted(schema_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert form.warnings == ()
    # an explicit dated version (yyyymmddNN), bumped when the workbook changes
    assert form.version.isdigit() and form.version >= "2026112800" and len(form.version) == 10
    assert not form.version_derived
    assert form.default_language == "zh" and form.languages == ("zh", "en")


@pytest.mark.parametrize("filename", CITY_WORKBOOKS)
def test_refs_and_repeats_match_the_tree(filename: str) -> None:
    definition = compiled(filename).definition
    fields = list(iter_fields(definition["fields"]))
    assert definition["refs"] == {f["name"]: f["path"] for f in fields}
    assert definition["repeats"] == [f["path"] for f in fields if f["type"] == "repeat"]
    assert all(f["path"].startswith("/" + definition["root"] + "/") for f in fields)


@pytest.mark.parametrize("filename", CITY_WORKBOOKS)
def test_xform_is_odk_xml_with_the_same_id_and_version(filename: str) -> None:
    form = compiled(filename)
    root = ET.fromstring(form.xform_xml)
    instance = root.find(".//{http://www.w3.org/2002/xforms}instance/*")
    assert instance is not None
    assert instance.attrib["id"] == form.form_id
    assert instance.attrib["version"] == form.version


def test_registration_contract() -> None:
    form = compiled("registration.xlsx")
    assert (form.form_id, form.title) == ("person_registration", "基础信息采集")
    assert form.entities == FormEntities("persons", ("create",))
    fields = by_name(form)
    id_number = fields["id_number"]
    assert id_number["path"] == "/data/identity/id_number"
    assert id_number["datatype"] == "cn_resident_id"
    assert id_number["required"] is True
    assert id_number["label"] == {"zh": "公民身份号码", "en": "Resident ID number"}
    assert id_number["constraint_message"]["en"].startswith("The ID number")
    assert fields["children"]["type"] == "repeat" and fields["children"]["path"] == "/data/family/children"
    assert fields["origin_county"]["choice_filter"] == "prefecture=${origin_prefecture}"
    assert fields["location"]["parameters"] == {"capture-accuracy": "10", "warning-accuracy": "30"}
    assert fields["photo"]["type"] == "image" and fields["photo"]["parameters"] == {"max-pixels": "1600"}
    assert fields["needs"]["type"] == "select_multiple" and fields["needs"]["list_name"] == "needs"
    assert fields["reason_other"]["relevant"] == "${reason} = '99'"
    entities = form.definition["entities"]
    assert entities["dataset"] == "persons" and entities["label"] == "${full_name}"
    assert entities["save_to"]["/data/identity/id_number"] == "resident_id"
    assert form.definition["settings"]["instance_name"] == "concat('登记-', ${full_name})"
    reason = {c["name"]: c for c in form.definition["choices"]["reason"]}
    assert reason["01"] == {"name": "01", "label": {"zh": "务工", "en": "Work (employed)"}, "census_2020": "1"}
    assert len(form.definition["choices"]["ethnicity"]) == 56


def test_entity_update_form_and_media() -> None:
    form = compiled("household_visit.xlsx")
    assert form.entities == FormEntities("persons", ("update",))
    assert form.media_files == ("persons.csv",)
    person = by_name(form)["person"]
    assert person["type"] == "select_one_from_file" and person["list_name"] == "persons.csv"
    assert by_name(form)["visit_date"]["default"] == "today()"


def test_repeat_count_is_compiled() -> None:
    fields = by_name(compiled("dispute_screening.xlsx"))
    assert fields["disputes"]["repeat_count"] == "${disputes_found}"
    assert compiled("dispute_screening.xlsx").entities is None


def test_datatype_from_a_dataset_property_without_the_bind_column() -> None:
    survey = [{"type": "text", "name": "full_name", "label": "Name", "save_to": "full_name"},
              {"type": "text", "name": "idn", "label": "ID", "save_to": "resident_id"}]
    from tests.unit.forms.fixtures.workbooks import xlsform

    data = xlsform(survey, settings=[{"form_id": "p"}], entities=[{"list_name": "persons", "label": "${full_name}"}])
    fields = by_name(compile_workbook(data, "p.xlsx"))
    assert fields["idn"]["datatype"] == "cn_resident_id"
    assert fields["full_name"]["datatype"] is None


def test_version_is_derived_from_content_when_absent() -> None:
    a = compile_workbook(simple_form({"type": "text", "name": "a", "label": "A"}), "a.xlsx")
    again = compile_workbook(simple_form({"type": "text", "name": "a", "label": "A"}), "a.xlsx")
    other = compile_workbook(simple_form({"type": "text", "name": "b", "label": "B"}), "a.xlsx")
    assert a.version_derived and a.version.startswith("h") and len(a.version) == 13
    assert a.version == again.version != other.version
    assert f'version="{a.version}"' in a.xform_xml


def test_form_without_translations_uses_the_default_language() -> None:
    form = compile_workbook(simple_form({"type": "integer", "name": "n", "label": "N"}, version="3"), "n.xlsx")
    assert (form.default_language, form.languages, form.version) == ("default", ("default",), "3")
    assert by_name(form)["n"]["label"] == {"default": "N"}
    schema_validator().validate(json.loads(json.dumps(form.definition)))


def test_csv_xlsform_is_read_by_pyxform() -> None:
    csv = "survey,,,\n,type,name,label\n,integer,age,Age\nsettings,,,\n,form_id,version,\n,csv_form,7,\n"
    form = compile_workbook(csv.encode(), "form.csv")
    assert (form.form_id, form.version) == ("csv_form", "7")
    assert by_name(form)["age"]["type"] == "integer"


@pytest.mark.parametrize("filename", CITY_WORKBOOKS)
def test_digest_is_the_hash_of_the_rest_of_the_definition(filename: str) -> None:
    import hashlib

    definition = dict(compiled(filename).definition)
    digest = definition.pop("digest")
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert digest == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
