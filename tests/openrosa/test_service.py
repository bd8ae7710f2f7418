"""The entity-list integration point: the registry's CSV when it has one, else a header-only list."""

from __future__ import annotations

from typing import Any

import pytest

from server.openrosa import service
from server.openrosa.service import empty_entity_list_csv
from server.registry.declarations import catalog


def test_the_empty_list_has_collects_columns_then_the_declared_properties(db: Any) -> None:
    spec = catalog(db)["persons"]
    header, *rows = empty_entity_list_csv(spec).decode("utf-8").splitlines()
    assert header.split(",") == ["name", "label", "__version", *spec.properties]
    assert rows == []


def test_without_a_registry_the_header_only_list_is_served(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "_registry_provider", lambda: None)
    csv = service.entity_list_csv(db, None, "persons")  # type: ignore[arg-type]
    assert csv == empty_entity_list_csv(catalog(db)["persons"])


def test_the_registry_provider_is_called_with_session_user_and_dataset(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []

    def provider(session: Any, user: Any, dataset: str) -> bytes:
        calls.append((session, user, dataset))
        return b"name,label,__version\n"

    monkeypatch.setattr(service, "_registry_provider", lambda: provider)
    assert service.entity_list_csv("s", "u", "households") == b"name,label,__version\n"  # type: ignore[arg-type]
    assert calls == [("s", "u", "households")]
