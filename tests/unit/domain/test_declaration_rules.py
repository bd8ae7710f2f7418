"""Rules for properties designers declare: ODK names, one-line labels, names that look like personal data."""

from __future__ import annotations

import pytest

from server.domain.datasets import DatasetDeclarationError
from server.domain.declaration_rules import (
    block_digest,
    from_stored,
    label_problem,
    looks_sensitive,
    name_problem,
    read_blocks,
    to_stored,
)


@pytest.mark.parametrize("name", ["hobby", "_x", "a-b", "shoe_size2", "x" * 64])
def test_good_names(name):
    assert name_problem(name) is None


@pytest.mark.parametrize(("name", "why"), [
    ("", "needs a name"), ("1st", "not a valid name"), ("a b", "not a valid name"), ("姓名", "not a valid name"),
    ("a.b", "not a valid name"), ("__x", "reserved"), ("name", "reserved by ODK"), ("Label", "reserved by ODK"),
    ("x" * 65, "at most 64"), (None, "needs a name"),
])
def test_bad_names(name, why):
    assert why in name_problem(name)


@pytest.mark.parametrize("label", ["爱好", "Hobby", "住所（楼栋）", "x" * 100])
def test_good_labels(label):
    assert label_problem(label) is None


@pytest.mark.parametrize("label", ["", "  ", "a\nb", "a\tb", "a\u0000", "a\u202eb", "a\u2028b", "x" * 101, 5])
def test_bad_labels(label):
    assert label_problem(label) is not None


@pytest.mark.parametrize(("name", "label"), [
    ("id_number", None), ("spouse_id", None), ("idcard", None), ("id", None), ("phone2", None),
    ("contact_mobile", None), ("ethnicity_of_spouse", None), ("passport_no", None), ("x1", "身份证号"),
    ("x2", "联系电话"), ("x3", "手机"), ("x4", "民族"), ("sfz", None), ("tel", None),
])
def test_names_or_labels_that_look_like_personal_data(name, label):
    assert looks_sensitive(name, label)


@pytest.mark.parametrize(("name", "label"), [
    ("hobby", "爱好"), ("video_count", "视频数"), ("identity_note", None), ("shoe_size", "鞋码"), ("idle", None),
])
def test_plain_names(name, label):
    assert not looks_sensitive(name, label)


def test_digests_ignore_key_order_but_not_property_order():
    assert block_digest({"a": 1, "b": {"c": 2, "d": 3}}) == block_digest({"b": {"d": 3, "c": 2}, "a": 1})
    assert block_digest({"a": 1}) != block_digest({"a": 2})
    assert block_digest({"properties": {"x": 1, "y": 2}}) != block_digest({"properties": {"y": 2, "x": 1}})


def test_stored_blocks_keep_property_order():
    block = {"label": {"zh": "人"}, "properties": {"zeta": {"type": "text"}, "alpha": {"type": "date"}}}
    stored = to_stored(block)
    assert stored["properties"] == [["zeta", {"type": "text"}], ["alpha", {"type": "date"}]]
    assert list(from_stored(stored)["properties"]) == ["zeta", "alpha"] and from_stored(stored) == block
    assert from_stored(None) == {}


def test_reading_a_file_checks_it(tmp_path):
    path = tmp_path / "datasets.yaml"
    path.write_text("version: 1\ndatasets: {}\n", encoding="utf-8")
    with pytest.raises(DatasetDeclarationError):
        read_blocks(path)
    path.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(DatasetDeclarationError):
        read_blocks(path)
    with pytest.raises(DatasetDeclarationError):
        read_blocks(tmp_path / "missing.yaml")
    assert set(read_blocks()) == {"persons", "households", "followups", "services"}
