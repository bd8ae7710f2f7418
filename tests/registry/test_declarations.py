"""The one loader of declarations: read from the database, parsed once per digest, never stale."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from server.domain import datasets as domain
from server.errors import NotFoundError
from server.registry import declarations, store
from server.registry.declarations import DeclarationCache
from tests.registry.conftest import redeclare

HOBBY = {"type": "text", "label": {"zh": "爱好", "en": "Hobby"}}


def _with_hobby(block):
    return {**block, "properties": {**block["properties"], "hobby": HOBBY}}


def test_the_catalog_is_what_the_database_holds(db):
    catalog = declarations.catalog(db)
    assert set(catalog) == {"persons", "households", "followups", "services"}
    assert catalog["persons"] == domain.load_datasets()["persons"]
    for name, spec in domain.load_datasets().items():  # in the file's order (entity list columns follow it)
        assert list(catalog[name].properties) == list(spec.properties)
    assert store.declared(db) == catalog


def test_a_change_is_seen_at_once_in_this_transaction_and_the_next(db, maker):
    assert "hobby" not in declarations.spec(db, "persons").properties
    redeclare(db, "persons", _with_hobby)
    assert "hobby" in declarations.spec(db, "persons").properties
    assert "hobby" in store.get_dataset(db, "persons").spec.properties
    other = maker()  # another transaction on the same connection sees the flushed change
    try:
        assert "hobby" in declarations.catalog(other)["persons"].properties
    finally:
        other.close()


def test_specs_are_parsed_once_per_digest(db, maker, monkeypatch):
    parsed = []
    real = declarations.parse_dataset
    monkeypatch.setattr(declarations, "parse_dataset", lambda name, raw: parsed.append(name) or real(name, raw))
    monkeypatch.setattr(declarations, "_cache", DeclarationCache())
    declarations.catalog(db)
    assert sorted(parsed) == ["followups", "households", "persons", "services"]
    second = maker()
    try:
        declarations.catalog(second)
    finally:
        second.close()
    assert len(parsed) == 4  # another transaction: one small query, no parsing
    redeclare(db, "persons", _with_hobby)
    declarations.catalog(db)
    assert parsed[4:] == ["persons"]  # only the redeclared dataset is parsed again


def test_the_cache_drops_the_least_recently_used():
    cache = DeclarationCache(max_entries=2)
    raw = yaml.safe_load(domain.DEFAULT_PATH.read_text(encoding="utf-8"))["datasets"]
    cache.get("persons", "a", lambda: raw["persons"])
    cache.get("households", "b", lambda: raw["households"])
    cache.get("persons", "a", lambda: pytest.fail("a hit must not load"))
    cache.get("households", "c", lambda: raw["households"])
    assert len(cache) == 2
    loads = []
    cache.get("households", "b", lambda: loads.append(1) or raw["households"])
    assert loads == [1]


def test_the_declaration_in_force_at_a_moment(db):
    redeclare(db, "persons", _with_hobby, now=datetime(2026, 11, 20, tzinfo=UTC))
    assert "hobby" in declarations.spec(db, "persons", datetime(2026, 11, 21, tzinfo=UTC)).properties
    assert "hobby" not in declarations.spec(db, "persons", datetime(2026, 11, 19, tzinfo=UTC)).properties
    assert "hobby" not in store.get_dataset(db, "persons", datetime(2026, 11, 19, tzinfo=UTC)).spec.properties


def test_an_undeclared_dataset_is_404(db):
    with pytest.raises(NotFoundError) as err:
        declarations.spec(db, "pets")
    assert err.value.code == "registry.dataset_not_found"
