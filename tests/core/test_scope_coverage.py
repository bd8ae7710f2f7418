"""Every read endpoint is either shown to be scoped by a named test, or says why it needs no scope.

A new GET endpoint fails this test until its author decides which it is, so
"every list and detail goes through the scope helper" stays checked as the API grows.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

# endpoint -> the test that shows a grid worker or supervisor sees nothing outside their scope there
SCOPED = {
    "/api/v1/geo/units": "geo/test_api.py::test_supervisor_tree_is_their_township",
    "/api/v1/geo/units/<string:code>": "geo/test_api.py::test_out_of_scope_detail_is_404_like_missing",
    "/api/v1/geo/units/<string:code>/neighbours":
        "geo/test_api.py::test_neighbours_touch_the_grid_and_stay_in_scope",
    "/api/v1/geo/locate": "geo/test_api.py::test_locate_outside_scope_or_city",
    "/api/v1/forms/<string:form_id>/submissions": "submissions/test_api.py::test_out_of_scope_is_404_like_missing",
    "/api/v1/submissions/<string:instance_id>": "submissions/test_api.py::test_out_of_scope_is_404_like_missing",
    "/api/v1/submissions": "submissions/test_review_api.py::test_queue_is_scoped",
    "/api/v1/submissions/<string:instance_id>/comments": "submissions/test_review_api.py::test_comments_are_scoped",
    "/api/v1/me/returned": "submissions/test_review_api.py::test_returned_lists_only_the_callers_own",
    "/api/v1/submissions/<string:instance_id>/attachments/<string:name>":
        "media/test_api.py::test_out_of_scope_users_get_404",
    "/api/v1/registry/<string:dataset>/entities": "registry/test_api.py::test_lists_and_details_are_scoped",
    "/api/v1/registry/<string:dataset>/entities/<string:uuid>":
        "registry/test_api.py::test_lists_and_details_are_scoped",
    "/api/v1/registry/<string:dataset>/conflicts": "registry/test_api.py::test_queues_and_sync_are_scoped_too",
    "/api/v1/registry/<string:dataset>/duplicates": "registry/test_api.py::test_queues_and_sync_are_scoped_too",
    "/api/v1/registry/<string:dataset>/duplicates/<int:candidate_id>":
        "registry/test_decisions.py::test_one_candidate_by_id_for_an_unmerge",
    "/api/v1/registry/<string:dataset>/sync": "registry/test_api.py::test_queues_and_sync_are_scoped_too",
    "/api/v1/registry/<string:dataset>/placements":
        "registry/test_placements.py::test_held_moves_are_scoped_and_stale_ones_refused",
    "/api/v1/registry/submissions/<string:instance_id>": "registry/test_results.py::test_merge_results_are_scoped",
    "/api/v1/cases": "cases/test_api.py::test_cases_are_scoped_to_the_grid",
    "/api/v1/cases/<string:case_id>": "cases/test_api.py::test_cases_are_scoped_to_the_grid",
    "/api/v1/reports/monthly/<string:period>":
        "reports/test_api.py::test_a_supervisor_sees_only_their_townships_units",
    "/api/v1/reports/monthly/<string:period>.xlsx":
        "reports/test_api.py::test_a_supervisor_sees_only_their_townships_units",
    "/api/v1/reports/overview":
        "reports/test_overview.py::test_a_supervisor_sees_their_township_and_its_communities_only",
    "/openrosa/forms/<form_id>/attachments/<filename>":
        "openrosa/test_entity_list_scope.py::test_entity_list_is_scoped",
    "/api/v1/feed": "exports/test_feed.py::test_the_feed_is_scoped_to_the_callers_grids",
    "/api/v1/exports/<string:export_id>": "exports/test_api.py::test_someone_elses_export_is_404_and_links_expire",
    "/openrosa/forms/<form_id>/versions/<version>/attachments/<filename>":
        "openrosa/test_entity_list_scope.py::test_entity_list_is_scoped",
}

# endpoint -> why it holds nothing that differs by area
UNSCOPED = {
    "/": "redirect to the web client",
    "/healthz": "process probe",
    "/readyz": "dependency probe",
    "/api/docs": "API documentation",
    "/api/openapi.json": "API description",
    "/static/<path:filename>": "documentation assets",
    "/m/": "the web client's shell",
    "/m/<path:path>": "the web client's static files",
    "/console/": "the console's shell",
    "/console/<path:path>": "the console's static files",
    "/console/config.json": "the city's base-map settings",
    "/api/v1/me": "the caller's own account",
    "/api/v1/me/collect-settings": "the caller's own Collect settings",
    "/api/v1/me/collect-settings.png": "the caller's own Collect settings",
    "/api/v1/forms": "form definitions are city-wide and hold no personal data",
    "/api/v1/forms/<string:form_id>": "form definitions are city-wide",
    "/api/v1/forms/<string:form_id>/draft": "form definitions are city-wide (designers only)",
    "/api/v1/forms/<string:form_id>/versions/<string:version>": "form definitions are city-wide",
    "/api/v1/registry/datasets": "dataset declarations, no records",
    "/api/v1/cases/codes": "the city's departments and kinds of case, no records",
    "/api/v1/registry/datasets/<string:dataset>": "dataset declarations and their versions, no records",
    "/api/v1/users": "accounts are city-wide; admins only (accounts/test_admin_api.py::test_only_admins)",
    "/api/v1/users/<string:username>": "accounts are city-wide; admins only",
    "/api/v1/users/<string:username>/tokens": "accounts are city-wide; admins only",
    "/api/v1/departments": "the city's declared departments and purposes; admins only "
                           "(accounts/test_admin_api.py::test_departments_are_listed_with_what_their_purpose_reads)",
    "/api/v1/audit": "the audit trail is city-wide; admins only (audit/test_api.py::test_admins_only)",
    "/api/v1/forms/<string:form_id>/versions": "forms are city-wide; designers and admins only "
                                               "(forms/test_versions_and_cells.py::test_only_designers_and_admins_list_versions)",
    "/api/v1/exports/<string:export_id>/download": "a signed link to its requester's file, scoped when written "
                                                   "(exports/test_api.py::test_exports_are_scoped_to_the_callers_grids)",
    "/api/v1/imports/<int:import_id>": "administrators only, whose scope is the city "
                                       "(imports/test_api.py::test_only_administrators_import_or_read_imports)",
    "/api/v1/webhooks": "a department's own subscriptions (admins: every one); what they push is its feed, "
                        "scoped (webhooks/test_api.py::test_who_may_register_and_see_webhooks)",
    "/api/v1/webhooks/<int:subscription_id>": "the caller's own subscription, another's answers 404 "
                                              "(webhooks/test_api.py::test_who_may_register_and_see_webhooks)",
    "/api/v1/webhooks/<int:subscription_id>/deliveries": "the caller's own subscription's deliveries, no record "
                                                         "values (webhooks/test_api.py::"
                                                         "test_who_may_register_and_see_webhooks)",
    "/openrosa/formList": "form definitions are city-wide",
    "/openrosa/forms/<form_id>/form.xml": "form definitions are city-wide",
    "/openrosa/forms/<form_id>/versions/<version>/form.xml": "form definitions are city-wide",
    "/openrosa/forms/<form_id>/manifest": "names and hashes of media; the scoped files themselves are checked",
    "/openrosa/forms/<form_id>/versions/<version>/manifest": "names and hashes of media",
}


def _read_endpoints(app) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}


def test_every_read_endpoint_is_classified(app):
    endpoints = _read_endpoints(app)
    unclassified = endpoints - SCOPED.keys() - UNSCOPED.keys()
    assert not unclassified, f"say whether these are scoped (and which test shows it): {sorted(unclassified)}"
    stale = (SCOPED.keys() | UNSCOPED.keys()) - endpoints
    assert not stale, f"no such endpoints any more: {sorted(stale)}"
    assert not SCOPED.keys() & UNSCOPED.keys()


def test_named_scope_tests_exist():
    for endpoint, node in SCOPED.items():
        path, _, name = node.partition("::")
        tree = ast.parse((TESTS / path).read_text(encoding="utf-8"))
        names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert name in names, f"{endpoint}: {node} does not exist"
