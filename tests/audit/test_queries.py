"""Reading the audit trail: filters by actor, action, target and time, keyset pages, every full read findable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server.accounts.models import User
from server.audit.models import AuditEvent
from server.audit.queries import list_events
from server.errors import BadRequestError, RuleViolation

T0 = datetime(2001, 1, 1, 1, 0, tzinfo=UTC)  # long before the demo's events, whatever today is
WINDOW = {"since": T0, "until": T0 + timedelta(hours=6)}


@pytest.fixture
def events(db):
    """Six events by three actors, an hour apart."""
    ids = {u.username: u.id for u in db.scalars(select(User))}
    rows = [
        ("admin", "user.create", "user", "7", {}),
        ("police", "registry.reveal", "registry.persons", "uuid-a", {"entities": ["uuid-a"], "count": 1}),
        ("police", "registry.export", "registry.persons", None, {"entities": ["uuid-b", "uuid-a"], "count": 2}),
        ("worker", "submission.read", "submission", "uuid:s1", {}),
        ("admin", "submission.read", "submission", "uuid:s2", {"unmasked": ["/data/id_number"]}),
        ("admin", "registry.candidate_distinct", "registry.persons", "uuid-a%_", {}),
    ]
    made = []
    for hour, (actor, action, target_type, target_id, detail) in enumerate(rows):
        event = AuditEvent(at=T0 + timedelta(hours=hour), actor_id=ids[actor], action=action,
                           target_type=target_type, target_id=target_id, detail=detail)
        db.add(event)
        made.append(event)
    db.flush()
    return made


def _actions(page):
    return [item["action"] for item in page.items]


def test_newest_first_with_actor_names(db, events):
    page = list_events(db, {**WINDOW, "limit": 10})
    assert [item["id"] for item in page.items] == [e.id for e in reversed(events)]
    assert page.items[0]["actor"] == "admin" and page.next_cursor is None


def test_each_filter(db, events):
    base = WINDOW
    assert _actions(list_events(db, {**base, "actor": "police"})) == ["registry.export", "registry.reveal"]
    assert list_events(db, {**base, "actor": "nobody"}).items == []
    assert _actions(list_events(db, {**base, "action": "submission.read"})) == ["submission.read"] * 2
    assert _actions(list_events(db, {**base, "action": "registry.*"})) == [
        "registry.candidate_distinct", "registry.export", "registry.reveal"]
    assert _actions(list_events(db, {**base, "target_type": "user"})) == ["user.create"]
    window = list_events(db, {"since": T0 + timedelta(hours=1), "until": T0 + timedelta(hours=3)})
    assert _actions(window) == ["registry.export", "registry.reveal"]


def test_a_target_is_found_where_it_is_the_target_or_among_revealed_records(db, events):
    found = list_events(db, {**WINDOW, "target": "uuid-a"})
    assert _actions(found) == ["registry.export", "registry.reveal"]  # not the "uuid-a%_" look-alike
    assert _actions(list_events(db, {**WINDOW, "target": "uuid-b"})) == ["registry.export"]
    assert _actions(list_events(db, {**WINDOW, "target": "uuid-a%_"})) == ["registry.candidate_distinct"]


def test_full_reads_are_the_unmasked_ones(db, events):
    page = list_events(db, {**WINDOW, "full_reads": True})
    assert _actions(page) == ["submission.read", "registry.export", "registry.reveal"]
    assert page.items[0]["target_id"] == "uuid:s2"  # the masked read of uuid:s1 is not one


def test_keyset_pages_cover_everything_once(db, events):
    seen, cursor = [], None
    while True:
        page = list_events(db, {**WINDOW, "limit": 4, "cursor": cursor})
        seen += [item["id"] for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [e.id for e in reversed(events)]


def test_bad_cursor_and_range(db, events):
    for cursor in ("!!", "LTE", "bm90LWEtbnVtYmVy"):
        with pytest.raises(BadRequestError):
            list_events(db, {"cursor": cursor})
    with pytest.raises(RuleViolation):
        list_events(db, {"since": T0, "until": T0})
