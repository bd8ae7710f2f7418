"""Core test helpers: the registry's merge driver, for the meta-tests that need a record to look for."""

from __future__ import annotations

from tests.registry.conftest import merge, sealer, user_named  # noqa: F401  (fixtures)
