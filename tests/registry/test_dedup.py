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


def test_a_pair_ruled_out_before_scoring_would_never_have_been_a_candidate():
    import random

    rng = random.Random(5)
    names = ["马小红", "马晓红", "马小虹", "白建国", "艾力", "马红"]
    pinyins = ["maxiaohong", "maxiaohong", "maxiaohong", "baijianguo", "aili", "mahong"]

    def profile() -> dedup.Profile:
        i = rng.randrange(len(names))
        year, month, day = rng.choice(("1985", "1986")), rng.choice(("06", "12")), rng.choice(("06", "12", "01"))
        return dedup.Profile(names[i], pinyins[i], f"{year}-{month}-{day}", rng.choice(("640104", "640105", "650102")),
                             rng.choice(("p1", "p2", None)), rng.choice(("东街1号", "东街1号院", None)))

    ruled_out = 0
    for _ in range(5000):
        a, b = profile(), profile()
        for factor in (1.0, 0.8):
            if not dedup.may_be_candidate(a, b, factor):
                ruled_out += 1
                assert round(dedup.score(a, b).total * factor, 4) < dedup.CANDIDATE_THRESHOLD
    assert ruled_out > 1000  # the shortcut does rule pairs out
