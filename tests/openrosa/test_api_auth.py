"""Basic auth on /openrosa goes through the credential cache: argon2 once, stale credentials refused at once."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.accounts import basic_cache as module
from server.accounts.service import set_user_active
from server.demo import DEMO_PASSWORD
from tests.openrosa.conftest import collect_headers


def test_collect_requests_pay_argon2_once(client: FlaskClient, verifications: list[str], db: Session) -> None:
    for _ in range(4):
        assert client.head("/openrosa/submission", headers=collect_headers("worker")).status_code == 204
    assert verifications == ["worker"]
    set_user_active(db, "worker", False)
    db.commit()
    response = client.head("/openrosa/submission", headers=collect_headers("worker"))
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == 'Basic realm="gridreg"'


def test_the_process_cache_is_used_by_basic_auth(client: FlaskClient, verifications: list[str]) -> None:
    client.get("/openrosa/formList", headers=collect_headers("worker"))
    assert module.basic_cache().lookup("worker", DEMO_PASSWORD) is not None
