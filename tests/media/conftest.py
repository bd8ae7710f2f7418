"""The media tests share the submission tests' fixtures: the published registration form, jobs in the test."""

from tests.submissions.conftest import jobs_in_test_transaction, registration

__all__ = ["jobs_in_test_transaction", "registration"]
