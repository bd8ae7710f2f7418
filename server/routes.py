"""Register every context's blueprints on the app."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register_routes(app: Flask, api: Api) -> None:
    """Attach the API blueprints and other routes."""
    from server.accounts.admin_api import blp as users_blp
    from server.accounts.admin_api import departments_blp
    from server.accounts.api import blp as accounts_blp
    from server.audit.api import blp as audit_blp
    from server.forms.api import blp as forms_blp
    from server.geo.api import blp as geo_blp

    for blp in (accounts_blp, users_blp, departments_blp, audit_blp, geo_blp, forms_blp):
        api.register_blueprint(blp)

    from server.console import blp as console_blp
    from server.mobile import blp as mobile_blp

    app.register_blueprint(mobile_blp)
    app.register_blueprint(console_blp)

    from server.openrosa import register as register_openrosa

    register_openrosa(app, api)

    from server.submissions.api import blp as submissions_blp
    from server.submissions.attachments_api import blp as attachments_blp

    for blp in (submissions_blp, attachments_blp):
        api.register_blueprint(blp)

    from server.registry.api import blp as registry_blp

    api.register_blueprint(registry_blp)

    from server.cases.api import blp as cases_blp

    api.register_blueprint(cases_blp)

    from server.reports.api import blp as reports_blp

    api.register_blueprint(reports_blp)

    from server.exports.api import blp as exports_blp

    api.register_blueprint(exports_blp)

    from server.imports.api import blp as imports_blp

    api.register_blueprint(imports_blp)

    from server.webhooks.api import blp as webhooks_blp

    api.register_blueprint(webhooks_blp)
