"""The review's pure rules: which state changes make sense, comment limits, the answers an edit changed."""

from __future__ import annotations

import pytest

from server.errors import RuleViolation
from server.submissions.review import MAX_COMMENT_CHARS, answer_changes, check_decision, clean_comment


@pytest.mark.parametrize("status, target, comment", [
    ("validated", "approved", None), ("invalid", "approved", None), ("merged", "approved", None),
    ("received", "has_issues", None), ("received", "returned", "请补拍照片"), ("validated", "rejected", "重复"),
])
def test_sensible_decisions_pass(status, target, comment):
    check_decision(status, target, comment)


@pytest.mark.parametrize("status, target, comment, code", [
    ("received", "approved", "好", "review.not_validated"),
    ("validated", "rejected", None, "review.comment_required"),
    ("validated", "returned", None, "review.comment_required"),
    ("validated", "received", "重新审核", "review.bad_state"),
    ("validated", "edited", None, "review.bad_state"),
])
def test_senseless_decisions_are_refused(status, target, comment, code):
    with pytest.raises(RuleViolation) as caught:
        check_decision(status, target, comment)
    assert caught.value.code == code and caught.value.status == 422


def test_a_replaced_version_is_not_reviewed():
    with pytest.raises(RuleViolation) as caught:
        check_decision("validated", "approved", None, superseded=True)
    assert caught.value.code == "review.superseded"


def test_comments_are_trimmed_and_limited():
    assert clean_comment("  请核对  ") == "请核对"
    assert clean_comment("   ") is None and clean_comment(None) is None
    assert clean_comment("字" * MAX_COMMENT_CHARS) == "字" * 2000
    with pytest.raises(RuleViolation) as caught:
        clean_comment("字" * (MAX_COMMENT_CHARS + 1))
    assert caught.value.code == "review.comment_too_long"


def test_changes_name_answers_as_validation_does():
    before = {"identity": {"full_name": "马明", "phone": "13812345678"},
              "family": {"children": [{"child_name": "小明"}, {"child_name": "小红"}]}}
    after = {"identity": {"full_name": "马明", "phone": "13987654321", "former_name": "马小明"},
             "family": {"children": [{"child_name": "小明"}]}}
    assert sorted(answer_changes(before, after, "data"), key=lambda c: c["path"]) == [
        {"path": "/data/family/children[2]/child_name", "before": "小红", "after": None},
        {"path": "/data/identity/former_name", "before": None, "after": "马小明"},
        {"path": "/data/identity/phone", "before": "13812345678", "after": "13987654321"},
    ]
    assert answer_changes({"data": before}, {"data": before}, "data") == []  # stored with its root element


def test_changes_leave_out_the_meta_block_every_edit_changes():
    before = {"name": "马明", "meta": {"instanceID": "uuid:1", "instanceName": "马明"}}
    after = {"name": "马明", "meta": {"instanceID": "uuid:2", "deprecatedID": "uuid:1", "instanceName": "马明"}}
    assert answer_changes(before, after, "data") == []


def test_changes_are_found_on_full_values_and_shown_masked():
    before, after = {"identity": {"phone": "13812345678"}}, {"identity": {"phone": "13800005678"}}
    masked = {"identity": {"phone": "138****5678"}}
    assert answer_changes(before, after, "data", shown_before=masked, shown_after=masked) == [
        {"path": "/data/identity/phone", "before": "138****5678", "after": "138****5678"}]
