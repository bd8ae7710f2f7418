"""Pure registry rules and the sealer: no database."""

from __future__ import annotations

import base64

import pytest

from server.domain.datasets import load_datasets
from server.registry import dedup, rules
from server.registry.rules import Move, classify_conflict, residence_transition
from server.sealing import masking
from server.sealing.crypto import Sealer, SealError

KEY = base64.urlsafe_b64encode(b"a" * 32).decode()
OLD_KEY = base64.urlsafe_b64encode(b"b" * 32).decode()


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


def test_one_unmasking_rule():
    assert masking.sees_full_values("admin", None)
    assert masking.sees_full_values("department", "police")
    assert not masking.sees_full_values("department", "health")
    assert not masking.sees_full_values("supervisor", None) and not masking.sees_full_values("grid_worker", None)
    assert masking.sees_ethnicity("grid_worker", None) and not masking.sees_ethnicity("department", "health")
    from server.domain.datasets import PropertyType

    assert masking.mask_value(PropertyType.CN_RESIDENT_ID, "640104198506120218") == "6401**********0218"
    assert masking.mask_value(PropertyType.PHONE, "13812345678") == "138****5678"


def test_sealer_round_trip_rotation_and_tampering():
    old = Sealer(OLD_KEY)
    token = old.seal("resident_id", "640104198506120218")
    assert "640104198506120218" not in token and token.startswith(old.kid + ":")
    rotated = Sealer(KEY, (OLD_KEY,))
    assert rotated.open("resident_id", token) == "640104198506120218"
    assert rotated.needs_reseal(token) and not rotated.needs_reseal(rotated.seal("phone", "1"))
    with pytest.raises(SealError):
        rotated.open("phone", token)  # bound to its property
    with pytest.raises(SealError):
        Sealer(KEY).open("resident_id", token)  # the old key is gone
    assert old.seal("x", "v") != old.seal("x", "v")  # fresh nonce each time
    assert old.digest("resident_id", "1") == Sealer(OLD_KEY).digest("resident_id", "1")
    assert old.digest("resident_id", "1") != old.digest("phone", "1") != Sealer(KEY).digest("phone", "1")


def test_dedup_scores_homophones_and_explains():
    a = dedup.Profile("马小红", "maxiaohong", "1985-06-12", "640104", "h1", "幸福路8号")
    b = dedup.Profile("马晓红", "maxiaohong", "1985-06-12", "640104", None, None)
    result = dedup.score(a, b)
    assert result.is_candidate
    assert [r.feature for r in result.reasons][:2] == ["birth_date", "name"]
    swapped = dedup.score(a, dedup.Profile("马小红", "maxiaohong", "1985-12-06", "640105"))
    assert {r.feature: r.similarity for r in swapped.reasons}["birth_date"] == 0.8
    assert swapped.is_candidate
    stranger = dedup.score(a, dedup.Profile("张伟", "zhangwei", "1992-08-15", "622921"))
    assert not stranger.is_candidate and stranger.total == 0


def test_blocking_keys():
    keys = dedup.blocking_keys("买买提·艾力", "1990-01-02")
    assert keys.name_key == "买买提艾力" and keys.block_key == keys.name_initials + "1990"
    assert dedup.blocking_keys(None, None).block_key is None
