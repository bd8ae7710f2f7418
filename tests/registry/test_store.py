"""A record's values (server/registry/store.py): sealed with masks left plain, search columns, property roles."""

from __future__ import annotations

from sqlalchemy import select

from server.registry import dedup, store
from server.registry.models import Entity
from tests.registry.conftest import ID_A, REGISTRATION, registration

PROPS = {"full_name": "马小红", "resident_id": ID_A, "phone": "13812345678", "origin_county": "640104",
         "ethnicity": "03", "current_address": "和庄镇幸福路8号"}


def test_id_and_phone_numbers_are_sealed_and_only_their_masks_stay_plain(db, sealer):
    spec = store.declared(db)["persons"]
    plain, sealed = store.split_sealed(spec, {**PROPS, "former_name": None}, sealer)
    assert plain == {**PROPS, "resident_id": "6401**********0218", "phone": "138****5678"}  # no empty values
    assert set(sealed) == {"resident_id", "phone"} and ID_A not in str(sealed) and "13812345678" not in str(sealed)
    assert store.open_sealed(sealed, sealer) == {"resident_id": ID_A, "phone": "13812345678"}


def test_search_columns_take_the_birth_date_from_the_id_number_when_none_is_given(db, sealer):
    spec = store.declared(db)["persons"]
    cols = store.search_columns(spec, PROPS, sealer)
    assert tuple(cols) == store.SEARCH_COLUMNS
    keys = dedup.blocking_keys("马小红", "1985-06-12")
    assert (cols["name_key"], cols["name_pinyin"], cols["block_key"]) == (keys.name_key, keys.name_pinyin,
                                                                          keys.block_key)
    assert (cols["birth_date"], cols["origin_code"], cols["ethnicity"]) == ("1985-06-12", "640104", "03")
    assert cols["id_hash"] == sealer.digest("resident_id", ID_A)
    assert cols["phone_hash"] == sealer.digest("phone", "13812345678")
    assert store.search_columns(spec, {"full_name": "马小红"}, sealer)["birth_date"] is None
    assert store.search_columns(spec, {**PROPS, "birth_date": "1990-01-01"}, sealer)["birth_date"] == "1990-01-01"


def test_which_property_holds_the_name_the_id_number_the_phone_and_the_address(db):
    persons, followups = (store.declared(db)[name] for name in ("persons", "followups"))
    assert store.name_property(persons) == "full_name"  # the source of the pinyin derivation
    assert (store.id_property(persons), store.phone_property(persons)) == ("resident_id", "phone")
    assert store.address_property(persons) == "current_address"
    assert store.name_property(followups) == "title" and store.id_property(followups) is None  # its label


def test_set_properties_fills_the_plain_sealed_label_and_search_columns(db, sealer):
    spec = store.declared(db)["persons"]
    entity = Entity(label="")
    store.set_properties(entity, spec, PROPS, sealer)
    assert entity.label == "马小红" and entity.properties["resident_id"] == "6401**********0218"
    assert store.full_properties(entity, sealer) == PROPS
    assert {k: getattr(entity, k) for k in store.SEARCH_COLUMNS} == store.search_columns(spec, PROPS, sealer)


def test_a_stored_hash_is_found_by_the_plain_value(db, merge, sealer):
    person = merge(REGISTRATION, registration())
    where = store.hash_matches(Entity.id_hash, sealer, "resident_id", ID_A)
    assert db.scalars(select(Entity.uuid).where(where)).all() == [person.entity_uuid]
    assert db.scalars(select(Entity.uuid).where(
        store.hash_matches(Entity.id_hash, sealer, "resident_id", "62292119920815026X"))).all() == []
