"""Password hashing: argon2id with a named profile; a hash carries its own work factors."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters, profiles

from server.accounts.passwords import DEFAULT_PROFILE, PROFILES, hash_password, verify_password
from server.settings import PASSWORD_PROFILES, SettingsError, load_settings


def test_the_settings_name_every_profile_and_default_to_rfc_9106_low_memory() -> None:
    assert set(PROFILES) == set(PASSWORD_PROFILES)
    assert DEFAULT_PROFILE == "RFC_9106_LOW_MEMORY"
    assert load_settings({"GRIDREG_DEMO": "1"}).password_profile == DEFAULT_PROFILE


def test_an_unknown_profile_is_a_settings_problem() -> None:
    with pytest.raises(SettingsError, match="GRIDREG_PASSWORD_PROFILE must be one of"):
        load_settings({"GRIDREG_DEMO": "1", "GRIDREG_PASSWORD_PROFILE": "FAST"})


def test_the_default_profile_hashes_with_rfc_9106_low_memory_work_factors() -> None:
    params = extract_parameters(hash_password("a-password"))
    assert (params.time_cost, params.memory_cost, params.parallelism) == (
        profiles.RFC_9106_LOW_MEMORY.time_cost, profiles.RFC_9106_LOW_MEMORY.memory_cost,
        profiles.RFC_9106_LOW_MEMORY.parallelism)


# (RFC 9106's high-memory profile takes 2 GiB a hash: it is named, not exercised.)
@pytest.mark.parametrize("made_with", [DEFAULT_PROFILE, "CHEAPEST"])
@pytest.mark.parametrize("checked_with", [DEFAULT_PROFILE, "CHEAPEST"])
def test_a_hash_verifies_whatever_profile_the_service_runs_now(made_with: str, checked_with: str) -> None:
    stored = hash_password("correct horse", made_with)
    assert extract_parameters(stored).memory_cost == PROFILES[made_with].memory_cost
    assert verify_password(stored, "correct horse", checked_with)
    assert not verify_password(stored, "wrong horse", checked_with)


def test_no_hash_never_verifies() -> None:
    assert not verify_password(None, "gridreg-timing-equaliser", "CHEAPEST")
    assert not verify_password("not-a-hash", "x", "CHEAPEST")
