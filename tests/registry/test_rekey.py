"""Key rotation: retired keys still open old tokens; `gridreg registry rekey` reseals everything, once, in batches."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.registry import rekey, service, store
from server.registry.models import Entity, EntityVersion
from server.sealing.crypto import Sealer, SealError
from server.settings import SettingsError, load_settings
from tests.conftest import TEST_KEY
from tests.registry.conftest import ID_A, ID_B, REGISTRATION, VISIT, registration
from tests.support.cli import gridreg

NEW_KEY = base64.urlsafe_b64encode(b"n" * 32).decode()
PHONE_BLOCK = {"dataset": "persons", "entity_id": "${person}", "save_to": {"phone": "phone"}}


def test_settings_name_retired_keys(tmp_path):
    env = {"GRIDREG_DATABASE_URL": "sqlite:///x", "GRIDREG_MEDIA_ROOT": str(tmp_path), "GRIDREG_SECRET_KEY": "s",
           "GRIDREG_ENCRYPTION_KEY": NEW_KEY, "GRIDREG_ENCRYPTION_KEYS_OLD": f" {TEST_KEY} ,"}
    settings = load_settings(env)
    assert settings.encryption_keys_old == (TEST_KEY,)
    token = Sealer(TEST_KEY).seal("phone", "13812345678")
    assert Sealer.from_settings(settings).open("phone", token) == "13812345678"
    with pytest.raises(SettingsError) as err:
        load_settings({**env, "GRIDREG_ENCRYPTION_KEYS_OLD": f"{TEST_KEY},short"})
    assert "GRIDREG_ENCRYPTION_KEYS_OLD (key 2)" in str(err.value)
    assert load_settings({**env, "GRIDREG_ENCRYPTION_KEYS_OLD": ""}).encryption_keys_old == ()


def test_lookups_match_hashes_under_every_known_key():
    old, rotated = Sealer(TEST_KEY), Sealer(NEW_KEY, (TEST_KEY, NEW_KEY))
    expected = (rotated.digest("resident_id", ID_A), old.digest("resident_id", ID_A))
    assert rotated.digests("resident_id", ID_A) == expected
    assert rotated.rotating and not old.rotating and rotated.key_ids == (rotated.kid, old.kid)
    assert Sealer(NEW_KEY).digests("phone", "1") == (Sealer(NEW_KEY).digest("phone", "1"),)
    token, current = old.seal("phone", "1"), rotated.seal("phone", "1")
    assert rotated.reseal("phone", token).startswith(rotated.kid + ":") and rotated.reseal("phone", current) == current


@pytest.fixture
def open_session(maker) -> Iterator[object]:
    """One committed (savepoint) session per batch, on the test's connection."""

    @contextmanager
    def opened():
        session = maker()
        try:
            yield session
            session.commit()
        finally:
            session.close()

    return opened


def _tokens(db) -> list[str]:
    tokens = []
    for sealed, in db.execute(select(Entity.sealed)):
        tokens += list(sealed.values())
    for sealed, detail in db.execute(select(EntityVersion.sealed, EntityVersion.conflict_detail)):
        tokens += list(sealed.values())
        for triple in ((detail or {}).get("values") or {}).values():
            if triple.get("sealed"):
                tokens += [v for k, v in triple.items() if k in ("base", "current", "incoming") and v]
    return tokens


def _registry(merge):
    """Two people under the current (soon retired) key, one with a hard conflict over the phone number."""
    first = merge(REGISTRATION, registration())
    merge(REGISTRATION, registration("张伟", ID_B, birth="1992-08-15", phone="13700000000", origin="622921"))
    merge(VISIT, {"person": first.entity_uuid, "visit_date": "2026-11-20", "visit_type": "home"})
    merge(PHONE_BLOCK, {"person": first.entity_uuid, "phone": "13911112222"}, base_version=1)
    merge(PHONE_BLOCK, {"person": first.entity_uuid, "phone": "13933334444"}, base_version=1)
    return first


def test_rekey_reseals_everything_once_and_lookups_work_throughout(db, merge, sealer, open_session, app, user_named):
    person = _registry(merge)
    assert any(v.conflict_detail for v in db.scalars(select(EntityVersion)))
    rotated = Sealer(NEW_KEY, (TEST_KEY,))
    viewer = service.Viewer(user_named("admin"), rotated, True, True, {})
    ds = store.get_dataset(db, "persons")

    def found(**filters):
        return [e.uuid for e in db.scalars(service.search_query(ds, viewer, filters))]

    # the window: new key deployed, old one retired but listed, nothing resealed yet
    assert found(id_number=ID_A) == [person.entity_uuid] and found(phone="13933334444") == [person.entity_uuid]
    check = rekey.rekey(open_session, rotated, batch=2, write=False)
    assert check.tables["entities"].changed == 2 and check.tables["entity_versions"].changed == 5
    assert all(t.startswith(sealer.kid + ":") for t in _tokens(db))  # --check wrote nothing

    report = rekey.rekey(open_session, rotated, batch=2)
    assert report.tables["entities"].resealed == 2 and report.tables["entities"].rehashed == 2
    assert report.tables["entity_versions"].resealed == 5
    db.expire_all()
    tokens = _tokens(db)
    assert tokens and all(t.startswith(rotated.kid + ":") for t in tokens)
    with pytest.raises(SealError):
        Sealer(TEST_KEY).open("resident_id", db.scalar(select(Entity.sealed).where(Entity.uuid == person.entity_uuid))[
            "resident_id"])
    record = db.scalar(select(Entity).where(Entity.uuid == person.entity_uuid))
    assert store.full_properties(record, Sealer(NEW_KEY))["resident_id"] == ID_A
    assert record.id_hash == Sealer(NEW_KEY).digest("resident_id", ID_A)
    opened = {Sealer(NEW_KEY).open("phone", v.conflict_detail["values"]["phone"][k])
              for v in db.scalars(select(EntityVersion)) if v.conflict_detail for k in ("current", "incoming")}
    assert opened == {"13812345678", "13911112222", "13933334444"}  # conflict values resealed too
    retired = service.Viewer(user_named("admin"), Sealer(NEW_KEY), True, True, {})  # the old key can go now
    assert [e.uuid for e in db.scalars(service.search_query(ds, retired, {"id_number": ID_A}))] == [person.entity_uuid]

    batches = db.scalars(select(AuditEvent).where(AuditEvent.action == "registry.rekey")).all()
    assert {b.target_type for b in batches} == {"entities", "entity_versions"}
    assert sum(b.detail["resealed"] for b in batches if b.target_type == "entity_versions") == 5
    assert all(b.detail["key_id"] == rotated.kid for b in batches)

    again = rekey.rekey(open_session, rotated, batch=2)  # idempotent: nothing left, nothing written
    assert again.remaining == 0
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "registry.rekey")) == len(
        batches)
    assert db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "registry.rekey_finished")) == 2


def test_an_interrupted_rekey_resumes_and_dedup_holds_during_the_window(db, merge, open_session, user_named):
    from server.registry.merge import SubmissionEssentials, merge_submission_data

    _registry(merge)
    rotated = Sealer(NEW_KEY, (TEST_KEY,))
    with open_session() as session:  # the first batch commits, then the run dies
        first = rekey.rekey_batch(session, rotated, "entities", 0, 1)
    assert first.changed == 1
    # registering the same ID number again in the window deduplicates against the old hash
    from datetime import UTC, datetime

    again = merge_submission_data(db, SubmissionEssentials(
        instance_id="uuid:again", entities=REGISTRATION, data=registration("张伟", ID_B, phone="13700000000"),
        submitter_id=user_named("worker").id, received_at=datetime(2026, 11, 28, tzinfo=UTC)), rotated)[0]
    db.flush()
    assert again.action == "deduplicated"
    rest = rekey.rekey(open_session, rotated, batch=1)
    assert rest.tables["entities"].changed == 0  # the dedup update rewrote the second one under the new key
    assert rest.tables["entity_versions"].changed > 0
    assert rekey.rekey(open_session, rotated, write=False).remaining == 0


def test_a_token_under_an_unconfigured_key_stops_the_run_cleanly(db, merge, open_session):
    merge(REGISTRATION, registration())
    with pytest.raises(rekey.UnknownKeyError) as err:
        rekey.rekey(open_session, Sealer(NEW_KEY), batch=10)
    assert err.value.code == "registry.unknown_key" and err.value.errors["table"] == ["entities"]


SEEN: list[tuple[int, int, bool]] = []


def other_context_step(session, sealer, after, limit, write):
    """A stand-in for another context's step: three rows, one needing a new token."""
    rows = [r for r in (1, 2, 3) if r > after][:limit]
    SEEN.append((after, limit, write))
    return rekey.BatchResult("answers", scanned=len(rows), resealed=int(1 in rows), changed=int(1 in rows),
                             last_id=rows[-1] if rows else None)


def test_other_contexts_join_the_run(open_session, monkeypatch):
    monkeypatch.setattr(rekey, "OTHER_STEPS", {"answers": other_context_step})
    SEEN.clear()
    report = rekey.rekey(open_session, Sealer(NEW_KEY, (TEST_KEY,)), batch=2)
    assert rekey.tables() == ("entities", "entity_versions", "answers")
    assert SEEN == [(0, 2, True), (2, 2, True), (3, 2, True)]
    assert report.tables["answers"].scanned == 3 and report.tables["answers"].changed == 1


def test_rekey_command(cli_env, monkeypatch):
    done = gridreg("registry", "rekey", "--batch", "50")
    assert done.exit_code == 0, done.output
    assert '"key_id"' in done.output and '"entities"' in done.output
    assert gridreg("registry", "rekey", "--check").exit_code == 0
    assert gridreg("registry", "rekey", "--batch", "0").exit_code != 0
    monkeypatch.setenv("GRIDREG_ENCRYPTION_KEYS_OLD", "short")
    bad = gridreg("registry", "rekey")
    assert bad.exit_code != 0 and "GRIDREG_ENCRYPTION_KEYS_OLD" in bad.output
