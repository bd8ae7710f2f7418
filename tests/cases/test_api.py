"""The cases API: opening by hand, working a case with If-Match, lists with filters, scope and purpose."""

from __future__ import annotations

from sqlalchemy import func, select

from server.registry.models import Entity, RegistryEvent
from tests.cases.conftest import CASE_BLOCK, CASES, TODAY, audit_rows
from tests.registry.conftest import FAR_POINT, REGISTRATION, registration


def _person(merge, name="马小红", id_number="640104198506120218", **kw):
    return merge(REGISTRATION, registration(name, id_number, **kw)).entity_uuid


def test_open_a_case_by_hand(client, auth, db, merge, open_case):
    person = _person(merge)
    case = open_case(person, kind="appeal", department="hrss", notes="工地欠薪三个月")
    assert case["status"] == "open" and case["opened_date"] == TODAY and case["due_date"] == "2026-12-22"
    assert case["department"] == "hrss" and case["department_label"] == "人力资源和社会保障局"
    assert case["person"] == person and case["overdue"] is False and case["properties"]["notes"] == "工地欠薪三个月"
    relief = open_case(person, kind="relief", department="civil", due_date="2026-12-08")
    assert relief["due_date"] == "2026-12-08"  # given, not the kind's 3 days
    entity = db.scalar(select(Entity).where(Entity.uuid == case["uuid"]))
    person_row = db.scalar(select(Entity).where(Entity.uuid == person))
    assert entity.followed_id == person_row.id and entity.grid_code == person_row.grid_code  # lives in their grid
    (event,) = db.scalars(select(RegistryEvent).where(RegistryEvent.entity_id == entity.id))
    assert event.kind == "created" and event.detail["case"] == "opened" and event.event_date == TODAY
    assert [a.detail["department"] for a in audit_rows(db, "case.opened", case["uuid"])] == ["hrss"]


def test_unknown_department_or_person_is_422_and_writes_nothing(client, auth, db, merge):
    person = _person(merge)
    count = db.scalar(select(func.count()).select_from(Entity))
    body = {"person": person, "kind": "appeal", "department": "weather", "title": "x"}
    resp = client.post(CASES, json=body, headers=auth.headers("supervisor"))
    assert resp.status_code == 422 and resp.get_json()["error"] == "case.unknown_department"
    assert "department" in resp.get_json()["errors"]
    headers = auth.headers("supervisor")
    resp = client.post(CASES, json={**body, "department": "hrss", "person": "nobody"}, headers=headers)
    assert resp.status_code == 422 and resp.get_json()["error"] == "case.person_not_found"
    resp = client.post(CASES, json={**body, "department": "hrss", "kind": "gossip"}, headers=headers)
    assert resp.status_code == 422 and "kind" in resp.get_json()["errors"]
    assert db.scalar(select(func.count()).select_from(Entity)) == count


def _patch(client, auth, case, body, user="hrss", etag=None):
    headers = {**auth.headers(user), **({"If-Match": etag} if etag is not None else {})}
    return client.patch(f"{CASES}/{case['uuid']}", json=body, headers=headers)


def test_work_a_case_to_closed_and_reopen_it(client, auth, db, merge, open_case):
    case = open_case(_person(merge))
    assert _patch(client, auth, case, {"status": "in_progress"}).status_code == 428
    assert _patch(client, auth, case, {"status": "in_progress"}, etag='"stale"').status_code == 412
    started = _patch(client, auth, case, {"status": "in_progress", "assignee": "张科长"}, etag=case["etag"])
    assert started.status_code == 200 and started.headers["ETag"] != case["etag"]
    case = started.get_json()
    assert case["status"] == "in_progress" and case["assignee"] == "张科长"
    assert _patch(client, auth, case, {"note": "已联系用工单位"}, etag='"old"').status_code == 412
    bad = _patch(client, auth, case, {"status": "closed"}, etag=case["etag"])
    assert bad.status_code == 409 and bad.get_json()["error"] == "case.invalid_transition"
    case = _patch(client, auth, case, {"note": "已联系用工单位"}, etag=case["etag"]).get_json()
    case = _patch(client, auth, case, {"status": "resolved", "resolution": "工资已结清"}, etag=case["etag"]).get_json()
    assert case["status"] == "resolved" and case["resolved_date"] == TODAY
    case = _patch(client, auth, case, {"status": "closed"}, etag=case["etag"]).get_json()
    assert case["status"] == "closed" and case["closed_date"] == TODAY
    case = _patch(client, auth, case, {"status": "open", "note": "本人反映仍未到账"}, etag=case["etag"]).get_json()
    assert case["status"] == "open" and case["resolved_date"] is None and case["closed_date"] is None
    actions = [(a["action"], a["from"], a["to"], a["note"]) for a in case["actions"]]
    assert actions == [
        ("opened", None, "open", None),
        ("in_progress", "open", "in_progress", None),
        ("noted", "in_progress", "in_progress", "已联系用工单位"),
        ("resolved", "in_progress", "resolved", None),
        ("closed", "resolved", "closed", None),
        ("reopened", "closed", "open", "本人反映仍未到账"),
    ]
    assert case["version"] == 6
    audited = [row.action for row in audit_rows(db, "case.resolved") + audit_rows(db, "case.reopened")]
    assert audited == ["case.resolved", "case.reopened"]
    assert _patch(client, auth, case, {}, etag=case["etag"]).status_code == 422


def test_lists_filter_and_put_overdue_first(client, auth, merge, open_case):
    person, other = _person(merge), _person(merge, "李娜", "450102199704300363", birth="1997-04-30",
                                              phone="13600000000", origin="450102")
    late = open_case(person, kind="relief", department="civil", due_date="2026-12-01")
    due_today = open_case(person, kind="appeal", department="hrss", due_date=TODAY)
    later = open_case(other, kind="dispute", department="hrss")
    done = open_case(other, kind="relief", department="civil", due_date="2026-11-01")
    assert _patch(client, auth, done, {"status": "resolved"}, user="civil", etag=done["etag"]).status_code == 200

    def uuids(user="admin", **params):
        resp = client.get(CASES, query_string=params, headers=auth.headers(user))
        assert resp.status_code == 200, resp.get_json()
        return [i["uuid"] for i in resp.get_json()["items"]]

    assert uuids() == [done["uuid"], later["uuid"], due_today["uuid"], late["uuid"]]  # newest first
    assert uuids(overdue="true") == [late["uuid"]]  # due today is not late; resolved is never late
    assert uuids(department="civil") == [done["uuid"], late["uuid"]]
    assert uuids(kind="dispute") == [later["uuid"]]
    assert uuids(status="resolved") == [done["uuid"]]
    assert uuids(person=person) == [due_today["uuid"], late["uuid"]]
    assert uuids(grid=late["grid_code"]) == uuids() and uuids(grid="410184105005003") == []
    assert uuids(order="overdue_first") == [late["uuid"], done["uuid"], later["uuid"], due_today["uuid"]]
    pages, cursor = [], None
    while True:
        params = {"order": "overdue_first", "limit": 1, **({"cursor": cursor} if cursor else {})}
        body = client.get(CASES, query_string=params, headers=auth.headers("admin")).get_json()
        pages += [i["uuid"] for i in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert pages == uuids(order="overdue_first")
    listed = client.get(CASES, query_string={"overdue": "true"}, headers=auth.headers("admin")).get_json()
    assert listed["items"][0]["overdue"] is True
    assert client.get(CASES, query_string={"cursor": "%%"}, headers=auth.headers("admin")).status_code == 400
    assert client.get(CASES, query_string={"status": "lost"}, headers=auth.headers("admin")).status_code == 422


def test_cases_are_scoped_to_the_grid(client, auth, merge, open_case):
    near = open_case(_person(merge))
    far = open_case(_person(merge, "李娜", "450102199704300363", point=FAR_POINT, birth="1997-04-30",
                            phone="13600000000", origin="450102"), user="admin")
    for user, expected in (("worker", {near["uuid"]}), ("supervisor", {near["uuid"]}),
                           ("admin", {near["uuid"], far["uuid"]})):
        items = client.get(CASES, headers=auth.headers(user)).get_json()["items"]
        assert {i["uuid"] for i in items} == expected, user
    assert client.get(f"{CASES}/{far['uuid']}", headers=auth.headers("worker")).status_code == 404
    assert client.get(f"{CASES}/{far['uuid']}", headers=auth.headers("admin")).status_code == 200
    assert client.get(CASES, headers=auth.headers("designer")).status_code == 403
    assert client.get(CASES).status_code == 401


def test_each_department_sees_exactly_its_purpose(client, auth, db, merge, open_case):
    person = _person(merge)
    wages = open_case(person, kind="appeal", department="hrss", title="拖欠工资")
    labour = merge(CASE_BLOCK, {"person": person, "title": "劳动合同纠纷", "kind": "dispute", "status": "open",
                                "department": "justice", "dispute_type": "labour"})
    labour = {"uuid": labour.entity_uuid}
    relief = open_case(person, kind="relief", department="housing", title="房屋失火急需安置")
    school = open_case(person, kind="need", department="education", title="子女入学")
    permit = open_case(person, kind="need", department="police", title="办理居住证")
    expected = {
        "hrss": {wages["uuid"], labour["uuid"]},  # routed to it, and every labour dispute
        "civil": {relief["uuid"]},
        "education": {school["uuid"]},
        "police": {permit["uuid"]},
        "admin": {wages["uuid"], labour["uuid"], relief["uuid"], school["uuid"], permit["uuid"]},
    }
    for user, seen in expected.items():
        items = client.get(CASES, headers=auth.headers(user)).get_json()["items"]
        assert {i["uuid"] for i in items} == seen, user
    before = len(audit_rows(db, "purpose.denied"))
    resp = client.get(f"{CASES}/{wages['uuid']}", headers=auth.headers("police"))
    assert resp.status_code == 404 and resp.get_json()["error"] == "case.not_found"
    assert _patch(client, auth, wages, {"status": "in_progress"}, user="police", etag=wages["etag"]).status_code == 404
    denied = audit_rows(db, "purpose.denied")[before:]
    assert [(d.target_id, d.detail["department"]) for d in denied] == [(wages["uuid"], "police")] * 2
    assert client.get(f"{CASES}/{wages['uuid']}", headers=auth.headers("hrss")).status_code == 200
