"""Finding duplicate candidates (server/registry/candidates.py): blocking keys city-wide, one row per pair."""

from __future__ import annotations

from sqlalchemy import func, select

from server.registry import candidates, store
from server.registry.models import CandidateStatus, DuplicateCandidate
from tests.registry.conftest import FAR_POINT, ID_A, REGISTRATION, fresh_entity, registration


def test_without_a_blocking_key_there_is_no_search():
    assert candidates.blocking_query(1, {"name_key": "马小红", "block_key": None}) is None


def test_a_shape_of_keys_is_built_once_then_only_bound():
    first, params = candidates.blocking_query(7, {"block_key": "a", "phone_hash": None}, exclude_id=3)
    again, other = candidates.blocking_query(8, {"block_key": "b"}, exclude_id=4)
    assert first is again
    assert params == {"dataset_id": 7, "block_key": "a", "exclude_id": 3}
    assert other == {"dataset_id": 8, "block_key": "b", "exclude_id": 4}
    by_birth, bound = candidates.blocking_query(7, {"birth_date": "1985-06-12", "origin_code": "640104"})
    assert by_birth is not first and bound == {"dataset_id": 7, "birth_date": "1985-06-12", "origin_code": "640104"}


def test_a_near_match_across_townships_is_one_pair_rescored_while_open(db, merge):
    first = merge(REGISTRATION, registration("马小红", ID_A))
    second = merge(REGISTRATION, registration("马晓红", None, point=FAR_POINT, phone="13900001111"))
    (pair_id,) = second.candidates  # dedup spans grids: the other township's record is found
    persons = store.get_dataset(db, "persons")
    newcomer, older = fresh_entity(db, second.entity_uuid), fresh_entity(db, first.entity_uuid)
    pair = db.get(DuplicateCandidate, pair_id)
    assert (pair.entity_a_id, pair.entity_b_id) == (older.id, newcomer.id)  # lower id first
    assert (pair.path_a, pair.path_b) == (older.unit_path, newcomer.unit_path)
    revision = pair.revision

    assert candidates.find_for(db, persons, newcomer) == [pair_id]
    db.flush()
    db.expire(pair)  # read back what was written
    assert pair.revision == revision + 1 and pair.status == CandidateStatus.OPEN.value

    pair.status = CandidateStatus.DISTINCT.value  # a supervisor decided: the pair stays as decided
    db.flush()
    assert candidates.find_for(db, persons, older) == [pair_id]
    db.flush()
    db.expire(pair)  # read back what was written
    assert pair.revision == revision + 1 and pair.status == CandidateStatus.DISTINCT.value
    assert db.scalar(select(func.count()).select_from(DuplicateCandidate)) == 1


def test_different_id_numbers_make_a_match_less_likely(db, merge, sealer):
    merge(REGISTRATION, registration("马小红", ID_A))
    persons = store.get_dataset(db, "persons")
    cols = store.search_columns(persons.spec, {"full_name": "马晓红", "birth_date": "1985-06-12",
                                               "origin_county": "640104", "phone": "13812345678"},
                                sealer)
    (row, unnamed), = candidates.search(db, persons.id, cols)
    (_, named), = candidates.search(db, persons.id, {**cols, "id_hash": "another"})
    assert named.total == round(unnamed.total * 0.8, 4) and named.reasons == unnamed.reasons
