"""The code lists a case is opened with: every department and kind declared in forms/departments.yaml."""

from __future__ import annotations

from server.domain.departments import duties
from tests.cases.conftest import CASES


def test_departments_and_kinds_as_declared(client, auth):
    for user in ("supervisor", "admin", "hrss"):
        resp = client.get(f"{CASES}/codes", headers=auth.headers(user))
        assert resp.status_code == 200, (user, resp.get_json())
        body = resp.get_json()
        assert [d["code"] for d in body["departments"]] == list(duties().departments)
        hrss = next(d for d in body["departments"] if d["code"] == "hrss")
        assert hrss["label_zh"] == "人力资源和社会保障局" and "due_days" not in hrss
        kinds = {k["code"]: (k["label_zh"], k["due_days"]) for k in body["kinds"]}
        assert kinds["relief"] == ("急难救助", 3) and set(kinds) == {"appeal", "dispute", "relief", "need"}


def test_codes_need_a_registry_reader(client, auth):
    assert client.get(f"{CASES}/codes").status_code == 401
    assert client.get(f"{CASES}/codes", headers=auth.headers("designer")).status_code == 403
