"""Pure registry rules: no database."""

from __future__ import annotations

from server.domain.datasets import load_datasets
from server.registry import rules
from server.registry.rules import Move, classify_conflict, residence_transition


def test_conflicts_follow_odk_central():
    assert classify_conflict(None, 3, {"a"}, {"a"}).kind is None
    assert classify_conflict(3, 3, {"a"}, {"a"}).kind is None
    soft = classify_conflict(1, 3, {"phone"}, {"last_visit_date"})
    assert (soft.kind, soft.overlapping, soft.unseen) == ("soft", (), ("phone",))
    hard = classify_conflict(1, 3, {"phone", "name"}, {"phone"})
    assert (hard.kind, hard.overlapping) == ("hard", ("phone",))


def test_residence_transitions():
    assert residence_transition("active", "/a/", "/a/", False) is Move.NONE
    assert residence_transition("active", "/a/", None, False) is Move.NONE
    assert residence_transition("active", "/a/", "/b/", False) is Move.TRANSFER
    assert residence_transition("active", "/a/", "/b/", True) is Move.DEPART  # a move-out never relocates
    assert residence_transition("departed", "/a/", "/a/", True) is Move.NONE
    assert residence_transition("departed", "/a/", "/b/", False) is Move.RETURN


def test_values_are_normalised_and_derived():
    persons = load_datasets()["persons"]
    props = rules.normalise(
        persons,
        {
            "full_name": " 单雄信 ",
            "resident_id": "640104850612021",
            "phone": "+86 138 1234 5678",
            "birth_date": "1985-06-12T00:00:00",
            "children_count": "2",
            "ethnicity": "3",
            "name_pinyin": "ignored",
            "unknown": "dropped",
        },
    )
    assert props == {
        "full_name": "单雄信",
        "resident_id": "640104198506120218",
        "phone": "13812345678",
        "birth_date": "1985-06-12",
        "children_count": 2,
        "ethnicity": "03",
        "name_pinyin": "shanxiongxin",
    }
    assert rules.changed_properties({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": None}) == ["b"]
    assert rules.apply_changes({"a": 1, "b": 2}, {"b": None, "c": 3}) == {"a": 1, "b": 2, "c": 3}
