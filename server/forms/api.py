"""Form upload, publishing and compiled definitions."""

from __future__ import annotations

from typing import Any

from server.accounts.auth import current_user
from server.accounts.models import Role
from server.api import API_PREFIX, BaseView, Blueprint
from server.db import get_session
from server.errors import BadRequestError
from server.forms import service
from server.forms.models import Form, FormVersion
from server.forms.schemas import (
    CompiledFormSchema,
    FormSummarySchema,
    UploadArgsSchema,
    UploadFileSchema,
    UploadResultSchema,
    VersionEntrySchema,
)

blp = Blueprint("forms", __name__, url_prefix=f"{API_PREFIX}/forms", description="表单 (XLSForm forms)")
MANAGERS = (Role.ADMIN, Role.FORM_DESIGNER)


@blp.route("")
class Forms(BaseView):
    """The forms collection."""

    @blp.response(200, FormSummarySchema(many=True))
    def get(self) -> list[Form]:
        """Forms the caller may fill, or manage (drafts included) for designers."""
        return service.list_forms(get_session(), current_user())

    @blp.arguments(UploadArgsSchema, location="query")
    @blp.arguments(UploadFileSchema, location="files")
    @blp.response(201, UploadResultSchema)
    def post(self, args: dict[str, Any], files: dict[str, Any]) -> service.UploadResult:
        """Upload an XLSForm workbook: a new form, or a new draft of an existing one (?declare=text: see below).

        A ``save_to`` naming a property the dataset lacks is a located 422 ``form.unknown_property``;
        with ``?declare=text`` publishing declares it as plain, non-sensitive text instead.
        """
        user = current_user(*MANAGERS)
        upload = files["file"]
        if not hasattr(upload, "read"):
            raise BadRequestError("field 'file' must be a file", code="form.no_file")
        return service.upload(get_session(), user, upload.read(), upload.filename or "form.xlsx",
                              declare=args.get("declare"))


@blp.route("/<string:form_id>")
class FormCurrent(BaseView):
    """A form's published version."""

    @blp.response(200, CompiledFormSchema)
    def get(self, form_id: str) -> FormVersion:
        """The current published compiled form."""
        current_user()
        return service.current_version(get_session(), form_id)


@blp.route("/<string:form_id>/draft")
class FormDraft(BaseView):
    """A form's draft, for preview."""

    @blp.response(200, CompiledFormSchema)
    def get(self, form_id: str) -> FormVersion:
        """The draft's compiled form."""
        current_user(*MANAGERS)
        return service.get_draft(get_session(), form_id)


@blp.route("/<string:form_id>/draft/publish")
class FormPublish(BaseView):
    """Publishing."""

    @blp.response(200, CompiledFormSchema)
    def post(self, form_id: str) -> FormVersion:
        """Publish the draft as the form's current version."""
        return service.publish(get_session(), current_user(*MANAGERS), form_id)


@blp.route("/<string:form_id>/versions/<string:version>")
class FormVersionDetail(BaseView):
    """One version of a form."""

    @blp.response(200, CompiledFormSchema)
    def get(self, form_id: str, version: str) -> FormVersion:
        """A version's compiled form (drafts for designers only)."""
        return service.get_version(get_session(), current_user(), form_id, version)


@blp.route("/<string:form_id>/versions")
class FormVersions(BaseView):
    """A form's history, for its designers."""

    @blp.response(200, VersionEntrySchema(many=True))
    def get(self, form_id: str) -> list[service.VersionEntry]:
        """Every version, newest first, with who uploaded and who published it and when."""
        current_user(*MANAGERS)
        return service.list_versions(get_session(), form_id)
