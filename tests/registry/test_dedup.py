"""Duplicate scoring and blocking keys: pure, no database."""

from __future__ import annotations

from server.registry import dedup


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
