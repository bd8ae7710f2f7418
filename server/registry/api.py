"""Registry API: search, detail, conflicts, duplicates, held moves, merge results and delta sync, all scoped."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request

from server.accounts.auth import current_user
from server.api import API_PREFIX, ETAG_HEADER, GUARDED, BaseView, Blueprint, Tagged, app_sealer, tagged
from server.db import get_session
from server.registry import catalog, decisions, placements, results, service, sync
from server.registry.schemas import (
    CandidateArgsSchema,
    CandidatePageSchema,
    CandidateSchema,
    ConflictPageSchema,
    DatasetDetailSchema,
    DatasetSchema,
    EntityDetailSchema,
    EntityPageSchema,
    MergeResultSchema,
    MergeSchema,
    PageArgsSchema,
    PlacementArgsSchema,
    PlacementPageSchema,
    PlacementSchema,
    PropertyCreateSchema,
    ResolveSchema,
    SearchArgsSchema,
    SyncArgsSchema,
    SyncPageSchema,
)
from server.scope import reads_dataset, require_dataset

blp = Blueprint(
    "registry",
    __name__,
    url_prefix=f"{API_PREFIX}/registry",
    description="登记库：人员与住户 (registry: persons and households)",
)

@blp.route("/datasets")
class Datasets(BaseView):
    """The declared datasets."""

    @blp.response(200, DatasetSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Datasets with their declaration in force: typed properties, identity keys, placement (a department:
        its purpose's)."""
        user = current_user()
        catalog.require_declaration_reader(user)
        return [d for d in catalog.list_datasets(get_session()) if reads_dataset(user, d["name"])]


@blp.route("/datasets/<string:dataset>")
class DatasetDetail(BaseView):
    """One dataset's declaration."""

    @blp.response(200, DatasetDetailSchema)
    def get(self, dataset: str) -> dict[str, Any]:
        """The declaration in force and every version of it."""
        user = current_user()
        catalog.require_declaration_reader(user)
        require_dataset(get_session(), user, dataset)
        return catalog.dataset_detail(get_session(), dataset)


@blp.route("/datasets/<string:dataset>/properties")
class DatasetProperties(BaseView):
    """Declaring properties (admins and form designers)."""

    @blp.arguments(PropertyCreateSchema)
    @blp.response(201, DatasetDetailSchema)
    def post(self, body: dict[str, Any], dataset: str) -> dict[str, Any]:
        """Add a property: a new version of the declaration (ID, phone and ethnicity are always sensitive)."""
        return catalog.add_property(get_session(), current_user(), dataset, body)


@blp.route("/<string:dataset>/entities")
class Entities(BaseView):
    """Search a dataset."""

    @blp.arguments(SearchArgsSchema, location="query")
    @blp.response(200, EntityPageSchema)
    def get(self, args: dict[str, Any], dataset: str) -> dict[str, Any]:
        """Records in the caller's scope by name (characters or pinyin), ID number, phone, grid, status…"""
        return service.search(get_session(), app_sealer(), current_user(), dataset, args)


@blp.route("/<string:dataset>/entities/<string:uuid>")
class EntityDetail(BaseView):
    """One record."""

    @blp.response(200, EntityDetailSchema, headers=ETAG_HEADER)
    def get(self, dataset: str, uuid: str) -> Tagged:
        """A record with its versions, events and submissions; ETag for conflict resolution."""
        data = service.detail(get_session(), app_sealer(), current_user(), dataset, uuid)
        return tagged(data, data["etag"])


@blp.route("/<string:dataset>/entities/<string:uuid>/resolution")
class ConflictResolution(BaseView):
    """Settle a record's conflicts."""

    @blp.arguments(ResolveSchema)
    @blp.response(200, EntityDetailSchema, headers=ETAG_HEADER)
    @blp.doc(**GUARDED)
    def post(self, body: dict[str, Any], dataset: str, uuid: str) -> Tagged:
        """New version with the chosen values (If-Match: the record's ETag; 412 when stale)."""
        data = decisions.resolve_conflict(
            get_session(), app_sealer(), current_user(), dataset, uuid, request.headers.get("If-Match"),
            body["properties"],
        )
        return tagged(data, data["etag"])


@blp.route("/<string:dataset>/conflicts")
class Conflicts(BaseView):
    """The conflict queue."""

    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, ConflictPageSchema)
    def get(self, args: dict[str, Any], dataset: str) -> dict[str, Any]:
        """Unresolved conflicting versions in the caller's scope, with base, current and incoming values."""
        return service.list_conflicts(
            get_session(), app_sealer(), current_user(), dataset, args.get("cursor"), args["limit"]
        )


@blp.route("/<string:dataset>/duplicates")
class Duplicates(BaseView):
    """The duplicate-candidate queue."""

    @blp.arguments(CandidateArgsSchema, location="query")
    @blp.response(200, CandidatePageSchema)
    def get(self, args: dict[str, Any], dataset: str) -> dict[str, Any]:
        """Candidates touching the caller's scope, with scores and reasons."""
        return decisions.list_candidates(
            get_session(), current_user(), dataset, args.get("status"), args.get("cursor"), args["limit"]
        )


@blp.route("/<string:dataset>/duplicates/<int:candidate_id>")
class Candidate(BaseView):
    """One duplicate candidate."""

    @blp.response(200, CandidateSchema, headers=ETAG_HEADER)
    def get(self, dataset: str, candidate_id: int) -> Tagged:
        """A candidate in any status with both records and its ETag (to unmerge from a person's page)."""
        return _decided(decisions.get_candidate(get_session(), current_user(), dataset, candidate_id))


def _decided(data: dict[str, Any]) -> Tagged:
    return tagged(data, data["etag"])


@blp.route("/<string:dataset>/duplicates/<int:candidate_id>/merge")
class MergeCandidate(BaseView):
    """Merge a candidate pair."""

    @blp.arguments(MergeSchema)
    @blp.response(200, CandidateSchema, headers=ETAG_HEADER)
    @blp.doc(**GUARDED)
    def post(self, body: dict[str, Any], dataset: str, candidate_id: int) -> Tagged:
        """One survivor; the other keeps its history and points to it (If-Match: candidate ETag)."""
        return _decided(
            decisions.merge_candidate(
                get_session(),
                app_sealer(),
                current_user(),
                dataset,
                candidate_id,
                request.headers.get("If-Match"),
                body.get("survivor"),
            )
        )


@blp.route("/<string:dataset>/duplicates/<int:candidate_id>/distinct")
class DistinctCandidate(BaseView):
    """Mark a candidate pair as two people."""

    @blp.response(200, CandidateSchema, headers=ETAG_HEADER)
    @blp.doc(**GUARDED)
    def post(self, dataset: str, candidate_id: int) -> Tagged:
        """Close the candidate as distinct (If-Match: candidate ETag)."""
        return _decided(
            decisions.mark_distinct(
                get_session(), current_user(), dataset, candidate_id, request.headers.get("If-Match")
            )
        )


@blp.route("/<string:dataset>/duplicates/<int:candidate_id>/unmerge")
class UnmergeCandidate(BaseView):
    """Undo a merge."""

    @blp.response(200, CandidateSchema, headers=ETAG_HEADER)
    @blp.doc(**GUARDED)
    def post(self, dataset: str, candidate_id: int) -> Tagged:
        """Restore the merged record (If-Match: candidate ETag)."""
        return _decided(
            decisions.unmerge_candidate(
                get_session(), app_sealer(), current_user(), dataset, candidate_id, request.headers.get("If-Match")
            )
        )


@blp.route("/<string:dataset>/placements")
class Placements(BaseView):
    """Moves held for a supervisor (a located submission outside its submitter's scope)."""

    @blp.arguments(PlacementArgsSchema, location="query")
    @blp.response(200, PlacementPageSchema)
    def get(self, args: dict[str, Any], dataset: str) -> dict[str, Any]:
        """Held moves from or to the caller's scope, with the record, both grids and the submission."""
        return placements.list_placements(
            get_session(), current_user(), dataset, args.get("status"), args.get("cursor"), args["limit"]
        )


@blp.route("/<string:dataset>/placements/<int:review_id>/accept")
class AcceptPlacement(BaseView):
    """Make a held move."""

    @blp.response(200, PlacementSchema, headers=ETAG_HEADER)
    @blp.doc(**GUARDED)
    def post(self, dataset: str, review_id: int) -> Tagged:
        """The record moves to the proposed grid, with its open follow-ups (If-Match: the review's ETag)."""
        return _decided(
            placements.accept_placement(
                get_session(), app_sealer(), current_user(), dataset, review_id, request.headers.get("If-Match")
            )
        )


@blp.route("/<string:dataset>/placements/<int:review_id>/reject")
class RejectPlacement(BaseView):
    """Refuse a held move."""

    @blp.response(200, PlacementSchema, headers=ETAG_HEADER)
    @blp.doc(**GUARDED)
    def post(self, dataset: str, review_id: int) -> Tagged:
        """The record stays where it is (If-Match: the review's ETag)."""
        return _decided(
            placements.reject_placement(
                get_session(), current_user(), dataset, review_id, request.headers.get("If-Match")
            )
        )


@blp.route("/submissions/<string:instance_id>")
class MergeResult(BaseView):
    """What the registry did with one submission."""

    @blp.response(200, MergeResultSchema)
    def get(self, instance_id: str) -> dict[str, Any]:
        """Per dataset: created, updated, deduplicated or skipped (and why, e.g. create_if was false)."""
        return results.merge_result(get_session(), current_user(), instance_id)


@blp.route("/<string:dataset>/sync")
class Sync(BaseView):
    """Delta sync for devices."""

    @blp.arguments(SyncArgsSchema, location="query")
    @blp.response(200, SyncPageSchema)
    def get(self, args: dict[str, Any], dataset: str) -> Response:
        """The caller's scoped changes since ``cursor`` (a snapshot without one) and the next cursor."""
        page = sync.sync(get_session(), current_user(), dataset, args.get("cursor"), args.get("limit"))
        return current_app.response_class(sync.dumps(page), mimetype="application/json")
