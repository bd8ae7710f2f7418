"""Account rules: user creation checks, API tokens for departments."""

from __future__ import annotations

import pytest

from server.accounts import service
from server.errors import ConflictError, RuleViolation


def test_create_user_reports_every_problem(db):
    with pytest.raises(RuleViolation) as err:
        service.create_user(db, username="bad name!", password="short", role="wizard", unit_codes=["999"])
    assert set(err.value.errors) == {"role", "username", "password", "units"}


def test_non_admin_needs_a_scope(db):
    with pytest.raises(RuleViolation) as err:
        service.create_user(db, username="noscope", password="long-enough", role="supervisor")
    assert "units" in err.value.errors


def test_duplicate_username_conflicts(db):
    with pytest.raises(ConflictError):
        service.create_user(db, username="worker", password="long-enough", role="admin")


def test_department_api_token_is_long_lived_and_valid(db):
    token = service.issue_api_token(db, "police", "police migrant platform")
    db.flush()
    assert (token.expires_at - token.user.created_at).days >= 300
    assert service.user_for_token(db, token.access_token).username == "police"


def test_api_tokens_only_for_departments(db):
    with pytest.raises(RuleViolation):
        service.issue_api_token(db, "worker", "x")
