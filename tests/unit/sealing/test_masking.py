"""Who sees full values, and how the others see them masked."""

from __future__ import annotations

from server.sealing import masking


def test_one_unmasking_rule():
    assert masking.sees_full_values("admin", None)
    assert masking.sees_full_values("department", "police")
    assert not masking.sees_full_values("department", "health")
    assert not masking.sees_full_values("supervisor", None) and not masking.sees_full_values("grid_worker", None)
    assert masking.sees_ethnicity("grid_worker", None) and not masking.sees_ethnicity("department", "health")
    from server.domain.datasets import PropertyType

    assert masking.mask_value(PropertyType.CN_RESIDENT_ID, "640104198506120218") == "6401**********0218"
    assert masking.mask_value(PropertyType.PHONE, "13812345678") == "138****5678"
